"""Where the output goes, and what happens when it cannot go there.

* standard output (no ``-o``, ``-o -``, or a path to the stream standard output already is, such as
  ``/dev/stdout``): written as the output is made. The first :data:`HOLD` characters are held in
  memory, so a run that fails before then prints nothing; a longer output is passed on in pieces.
  A closed pipe (``| head -1``) ends the run at once and quietly, exit :data:`CLOSED_PIPE`; any other
  failure is one line, ``Error: cannot write to standard output: cause`` (exit 1);
* a path to a stream this process already has open (``/dev/stderr``, ``/dev/fd/N``,
  ``/proc/self/fd/N``, or the file standard error is redirected to): written through that stream,
  where it stands, never reopened, truncated or replaced;
* a regular file, or a new one: through a temporary ``.divcli-*.tmp`` file in the target's own
  folder (symlinks resolved first, so a symlink stays a symlink and its target is written), which
  gets the existing file's mode (a new file: what the umask gives) and is renamed over the target;
* a character device, FIFO or socket: cannot be renamed over, so it is opened (a FIFO waits for its
  reader) and written in place, as standard output is.

Every other ``OSError`` on the way is one line, ``Error: PATH: cause`` (exit 1), and a regular target
keeps its previous content. SIGTERM and SIGHUP become a clean exit (status 128 + signal) while an
output is open, so the temporary file is removed on every way out.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import threading

import click

from ..errors import printable
from .targets import descriptor_named

#: The signals turned into a clean exit while an output is open (SIGINT is already KeyboardInterrupt).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

#: Characters of a stream's output held in memory before any is written (a shorter output is all or
#: nothing); past them the output is passed on every :data:`PIECE` characters.
HOLD = 1 << 20
PIECE = 1 << 16

#: The exit status when standard output is a pipe closed early: 128 + SIGPIPE, what the shell shows
#: for a program the closed pipe stopped, whatever the format.
CLOSED_PIPE = 128 + getattr(signal, "SIGPIPE", 13)


class OutputError(click.ClickException):
    """The output could not be written: the path as given and the system's cause (exit 1)."""

    exit_code = 1

    def __init__(self, path: str, error: OSError, why: str = ""):
        self.path = path
        cause = error.strerror or str(error) or type(error).__name__
        super().__init__(f"{printable(path) if path else repr(path)}: {cause}{why}")


class StdoutError(click.ClickException):
    """Standard output cannot be written (closed, a full device): one line, exit 1."""

    exit_code = 1


def _refuse(number: int) -> OSError:
    return OSError(number, os.strerror(number))


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def _catch_signals() -> dict:
    """SIGTERM and SIGHUP raise SystemExit (so ``finally`` and ``__exit__`` run); the previous
    handlers are returned for :func:`_restore`. A signal the caller ignores (``nohup``) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for number in SIGNALS:
        handler = signal.getsignal(number)
        if handler is not signal.SIG_IGN:
            previous[number] = signal.signal(number, _terminate)
    return previous


def _restore(previous: dict) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def _signals_held():
    """SIGINT, SIGTERM and SIGHUP held back until the block ends, then handled as they would have
    been: a temporary file made inside the block has its name kept before any handler can raise.
    Python runs every handler on the main thread, so a handler that only notes the signal holds it
    back whichever thread the system gave it to (blocking it there would not: another thread, such as
    a BLAS worker, may take it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = {}
    for number in (signal.SIGINT, *SIGNALS):
        if signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        _restore(previous)
        for number in dict.fromkeys(pending):
            handler = previous[number]
            if callable(handler):
                handler(number, None)
            else:
                signal.raise_signal(number)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def silence(stream) -> None:
    """After ``stream`` (standard output or error) failed: its descriptor pointed at /dev/null, as
    Python's documentation advises, so that the interpreter's last flush of what it still holds
    cannot fail again ("Exception ignored …", exit 120) once the one-line error is shown."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # closed, or not a real file (a test's capture)
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(null, descriptor)
    except OSError:
        pass  # the descriptor went away meanwhile: nothing is left to flush there
    finally:
        os.close(null)


def stdout_failed(error: OSError):
    """Standard output failed with ``error``: a pipe closed early ends the run quietly (exit
    :data:`CLOSED_PIPE`); any other cause is one line, exit 1."""
    silence(sys.stdout)
    if error.errno == errno.EPIPE:
        raise SystemExit(CLOSED_PIPE) from None
    cause = error.strerror or str(error) or type(error).__name__
    raise StdoutError(f"cannot write to standard output: {cause}") from None


def _stdout_is_closed():
    raise StdoutError("cannot write to standard output: it is closed; redirect it (> FILE) or give -o FILE")


class _Guarded:
    """The temporary file, whose write errors (no space, file too large) name the target."""

    def __init__(self, stream, path: str):
        self._stream = stream
        self._path = path

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise OutputError(self._path, error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise OutputError(self._path, error) from None

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _write_all(target, text: str) -> None:
    """``text`` to the text stream ``target``, flushed. A binary buffer's ``write`` may take only part
    of a large piece, without an error, when a pipe's reader leaves: the rest is written until it
    is taken or the error comes (``TextIOWrapper`` would drop it silently)."""
    buffer = getattr(target, "buffer", None)
    if buffer is None:  # a text stream without bytes under it (a caller's StringIO)
        target.write(text)
        target.flush()
        return
    target.flush()
    data = memoryview(text.encode(target.encoding or "utf-8", target.errors or "strict"))
    while data:
        written = buffer.write(data)
        if not written:
            raise _refuse(errno.EAGAIN)
        data = data[written:]
    buffer.flush()


class _Streamed:
    """A stream written as the output is made (standard output, a device, a descriptor): the first
    :data:`HOLD` characters are held, then the output is passed on every :data:`PIECE` characters and
    at :meth:`finish`. ``target()`` gives the stream to write to (looked up when written, as
    ``sys.stdout`` may be replaced); an ``OSError`` goes to ``failed``, which raises."""

    def __init__(self, target, failed, encoding: str = "utf-8"):
        self._target, self._failed, self.encoding = target, failed, encoding
        self._held: list[str] = []
        self._size, self._limit = 0, HOLD

    def write(self, text: str) -> int:
        self._held.append(text)
        self._size += len(text)
        if self._size >= self._limit:
            self._pass_on()
            self._limit = PIECE
        return len(text)

    def flush(self) -> None:
        """Rich flushes after each print; what is held waits for the limit or the end."""

    def isatty(self) -> bool:
        return False  # Rich is told whether it writes to a terminal (console._console)

    def _pass_on(self) -> None:
        text, self._held, self._size = "".join(self._held), [], 0
        try:
            _write_all(self._target(), text)
        except OSError as error:
            self._failed(error)

    def finish(self) -> None:
        """Everything still held, written and flushed."""
        self._pass_on()

    def discard(self) -> None:
        self._held, self._size = [], 0


class Output:
    """``with Output(path) as out:`` write to ``out.stream``; a regular file changes only if the block
    ends without an exception. ``path`` None or ``-`` is standard output."""

    def __init__(self, path: str | None):
        self.path = None if path is None or path == "-" else os.fspath(path)
        self.descriptor = None if self.path is None else descriptor_named(self.path)
        if self.descriptor == 1:
            self.path = None  # -o /dev/stdout is standard output, where it stands
        self.is_terminal = self.path is None and sys.stdout is not None and sys.stdout.isatty()
        self.temporary: str | None = None  # the temporary file's name while it exists
        self._signals: dict = {}
        self._device = None  # the device, FIFO, socket or descriptor written in place

    def __enter__(self):
        if self.path is None:
            if sys.stdout is None:
                _stdout_is_closed()
            self.stream = _Streamed(lambda: sys.stdout, stdout_failed,
                                    getattr(sys.stdout, "encoding", None) or "utf-8")
            return self
        self._signals = _catch_signals()
        try:
            if self.descriptor is not None:
                self._device = open(os.dup(self.descriptor), "w", encoding="utf-8", newline="")
            else:
                self.target, info = self._resolve()
                if info is None or stat.S_ISREG(info.st_mode):
                    self.stream = self._temporary(info)
                    return self
                self._device = open(self.target, "w", encoding="utf-8", newline="")
        except OSError as error:
            self._discard()
            raise OutputError(self.path, error) from None
        except BaseException:  # OutputError; Ctrl-C or a signal before the block: no temporary file left
            self._discard()
            raise
        self.stream = _Streamed(lambda: self._device, self._device_failed)
        return self

    def _device_failed(self, error: OSError):
        raise OutputError(self.path, error) from None

    def _resolve(self):
        """The file to write (symlinks followed) and its stat (None for a new file)."""
        if self.path == "":
            raise _refuse(errno.ENOENT)
        if self.path.endswith(os.sep) or (os.altsep and self.path.endswith(os.altsep)):
            raise _refuse(errno.EISDIR)  # what open() says of "newdir/"
        target = os.path.realpath(self.path)
        try:
            info = os.stat(target)
        except FileNotFoundError:
            return target, None
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(errno.EISDIR)
        return target, info

    def _temporary(self, info):
        import tempfile  # here, not at the top: --help and usage errors never need it

        folder = os.path.dirname(self.target)
        try:
            with _signals_held():  # the file, its name and its stream kept together: no signal between
                descriptor, self.temporary = tempfile.mkstemp(prefix=".divcli-", suffix=".tmp", dir=folder)
                self.stream = _Guarded(open(descriptor, "w", encoding="utf-8", newline=""), self.path)
        except OSError as error:
            raise self._folder_error(folder, error) from None
        if info is None:
            os.fchmod(descriptor, 0o666 & ~_umask())
        else:
            if not os.access(self.target, os.W_OK):  # a file made read-only stays unwritten
                raise _refuse(errno.EACCES)
            if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.fchown(descriptor, info.st_uid, info.st_gid)
                except OSError:
                    pass  # not ours to give away: the file becomes ours, as any editor's save would
            os.fchmod(descriptor, stat.S_IMODE(info.st_mode))
        return self.stream

    def _folder_error(self, folder: str, error: OSError) -> OSError | OutputError:
        """The temporary file could not be made in the target's folder: the folder is to blame when
        it exists but refuses new files (its permissions; a kernel file system such as /proc)."""
        if not os.path.isdir(folder):
            return error  # a missing folder: "PATH: No such file or directory", as open() says
        shown = os.path.dirname(self.path) or "."
        how = f"-o writes a temporary file in the folder of {printable(os.path.basename(self.path))} and renames it"
        if error.errno in (errno.EACCES, errno.EPERM):
            return OutputError(shown, error, f" ({how} into place; make the folder writable or write elsewhere)")
        if error.errno == errno.ENOENT:
            return OutputError(shown, OSError(error.errno, "this folder takes no new files (a kernel file system "
                                                           "such as /proc or /sys)"), f"; {how}: write elsewhere")
        return error

    def _discard(self) -> None:
        stream = getattr(self, "stream", None)
        if isinstance(stream, _Streamed):
            stream.discard()
        elif stream is not None:
            try:
                stream.close()
            except OSError:
                pass  # the unwritten rest of a failed file
        if self._device is not None:
            try:
                self._device.close()
            except OSError:
                pass  # what a failed device could not take
            self._device = None
        if self.temporary is not None:
            try:
                os.unlink(self.temporary)
            except FileNotFoundError:
                pass
            self.temporary = None
        _restore(self._signals)
        self._signals = {}

    def __exit__(self, kind, error, traceback):
        if kind is not None:
            self._discard()
            from ..output.registry import TemporaryFileError

            if isinstance(error, TemporaryFileError):  # a sink's own temporary file, in TMPDIR
                raise OutputError(error.filename, error, error.why) from None
            return False
        try:
            if self.temporary is not None:
                self.stream.flush()
                os.fsync(self.stream.fileno())
                self.stream._stream.close()
                os.replace(self.temporary, self.target)
                self.temporary = None
            else:
                self.stream.finish()
                if self._device is not None:
                    device, self._device = self._device, None
                    device.close()
        except (OSError, OutputError) as failure:
            self._discard()
            if isinstance(failure, OutputError):
                raise
            raise OutputError(self.path, failure) from None
        except BaseException:
            self._discard()
            raise
        self._discard()
        return False


def write_text(path: str, text: str) -> None:
    """``text`` to ``path`` by :class:`Output`'s rules (the --svg picture)."""
    with Output(path) as out:
        out.stream.write(text)
