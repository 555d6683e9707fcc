"""Where the output goes, all or nothing, and what happens when it cannot go there.

* standard output (no ``-o``, or ``-o -``): through a spool, copied out when the run succeeds, so a
  failing run prints nothing;
* a regular file, or a new one: through a temporary ``.divcli-*.tmp`` file in the target's own
  folder (symlinks resolved first, so a symlink stays a symlink and its target is written), which
  gets the existing file's mode (a new file: what the umask gives) and is renamed over the target;
* a character device, FIFO or socket: cannot be renamed over, so it is opened and written in place
  (through a spool, at the end, like standard output).

Every ``OSError`` on the way is one line, ``Error: PATH: cause`` (exit 1), and the target keeps its
previous content. SIGTERM and SIGHUP become a clean exit (status 128 + signal) while an output is
open, so the temporary file is removed on every way out.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys
import threading

import click

from ..errors import printable

#: The signals turned into a clean exit while an output is open (SIGINT is already KeyboardInterrupt).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class OutputError(click.ClickException):
    """The output could not be written: the path as given and the system's cause (exit 1)."""

    exit_code = 1

    def __init__(self, path: str, error: OSError):
        self.path = path
        cause = error.strerror or str(error) or type(error).__name__
        super().__init__(f"{printable(path) if path else repr(path)}: {cause}")


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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


class Output:
    """``with Output(path) as out:`` write to ``out.stream``; the target changes only if the block
    ends without an exception. ``path`` None or ``-`` is standard output."""

    def __init__(self, path: str | None):
        self.path = None if path is None or path == "-" else os.fspath(path)
        self.is_terminal = self.path is None and sys.stdout.isatty()
        self.temporary: str | None = None  # the temporary file's name while it exists
        self._signals: dict = {}

    def __enter__(self):
        import tempfile  # here, not at the top: --help and usage errors never need it

        if self.path is not None:
            self._signals = _catch_signals()
            try:
                self.target, info = self._resolve()
                if info is None or stat.S_ISREG(info.st_mode):
                    self.stream = self._temporary(info)
                    return self
            except OSError as error:
                self._discard()
                raise OutputError(self.path, error) from None
            except BaseException:  # Ctrl-C or a signal before the block: no temporary file left
                self._discard()
                raise
        self.stream = tempfile.SpooledTemporaryFile(max_size=1 << 24, mode="w+", encoding="utf-8", newline="")
        return self

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
        import tempfile

        descriptor, self.temporary = tempfile.mkstemp(prefix=".divcli-", suffix=".tmp",
                                                      dir=os.path.dirname(self.target))
        self.stream = _Guarded(open(descriptor, "w", encoding="utf-8", newline=""), self.path)
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

    def _discard(self) -> None:
        stream = getattr(self, "stream", None)
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass  # the unwritten rest of a failed file
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
            return False
        if self.path is None:
            import shutil

            try:
                self.stream.seek(0)
                shutil.copyfileobj(self.stream, sys.stdout, 1 << 16)
                sys.stdout.flush()  # a closed pipe is Click's to handle (exit 1, silently)
            finally:
                self._discard()
            return False
        try:
            if self.temporary is not None:
                self.stream.flush()
                os.fsync(self.stream.fileno())
                self.stream._stream.close()
                os.replace(self.temporary, self.target)
                self.temporary = None
            else:
                self._write_in_place()
        except (OSError, OutputError) as failure:
            self._discard()
            if isinstance(failure, OutputError):
                raise
            raise OutputError(self.path, failure) from None
        self._discard()
        return False

    def _write_in_place(self) -> None:
        """A device, FIFO or socket: opened (a FIFO waits for its reader) and written as it is."""
        import shutil

        self.stream.seek(0)
        with open(self.target, "w", encoding="utf-8", newline="") as device:
            shutil.copyfileobj(self.stream, device, 1 << 16)


def write_text(path: str, text: str) -> None:
    """``text`` to ``path`` by :class:`Output`'s rules (the --svg picture)."""
    with Output(path) as out:
        out.stream.write(text)
