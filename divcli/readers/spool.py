"""Binary files on standard input: a ``.npy`` array, an ``.npz`` archive or llama.cpp's ``.kld`` dump
piped in (``divcli kl - q.npy < p.npy``) is known by its first bytes and copied to a temporary file,
which is then read as that file would be: with ``pread``, a block of rows at a time, an archive's
member unpacked as it is read. Those readers need a file (they read at offsets; a zip archive's
directory is at its end), so standard input, which can be read only once and from the start, goes
there first: it takes as much free space in the temporary folder (``TMPDIR``) as the data.

The file is removed as soon as its reader has opened it (the reader keeps it open; the system frees
the space when it is closed), and at once when the copy fails or is interrupted (Ctrl-C): it never
outlives the command. Where a file that is open cannot be removed (Windows), it is removed when
divcli ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from contextlib import contextmanager
from typing import BinaryIO, Iterator

from ..errors import DataError
from .operand import STDIN_NAME

#: The first bytes of each binary format read from standard input, and the extension it is read as.
MAGICS = ((b"\x93NUMPY", ".npy"), (b"PK\x03\x04", ".npz"), (b"_logits_", ".kld"))
#: The bytes needed to tell them apart.
HEAD_BYTES = max(len(magic) for magic, _ in MAGICS)
#: The bytes copied at a time.
_COPY_BYTES = 1 << 22


def read_head(stream: BinaryIO) -> bytes:
    """The first :data:`HEAD_BYTES` of ``stream`` (fewer only at its end), read from it: whoever reads
    on must be given them (a pipe cannot be rewound)."""
    head = b""
    while len(head) < HEAD_BYTES and (more := stream.read(HEAD_BYTES - len(head))):
        head += more
    return head


def binary_kind(head: bytes) -> str | None:
    """The extension of the binary format whose magic ``head`` starts with (``.npy``, ``.npz``,
    ``.kld``), or None: text, or something divcli does not read."""
    return next((extension for magic, extension in MAGICS if head.startswith(magic)), None)


@contextmanager
def spooled(stream: BinaryIO, head: bytes, extension: str, name: str = STDIN_NAME) -> Iterator[str]:
    """The path of a temporary file holding ``head`` and the rest of ``stream``, ending in
    ``extension``; removed when the block ends (open it within the block: what is open stays
    readable)."""
    folder = tempfile.gettempdir()
    try:
        descriptor, path = tempfile.mkstemp(prefix="divcli-stdin-", suffix=extension, dir=folder)
    except OSError as error:
        raise _cannot_copy(name, folder, error) from None
    try:
        with os.fdopen(descriptor, "wb") as copy:
            copy.write(head)
            shutil.copyfileobj(stream, copy, _COPY_BYTES)
    except OSError as error:
        _remove(path)
        raise _cannot_copy(name, folder, error) from None
    except BaseException:  # Ctrl-C, a closed pipe: the copy goes with it
        _remove(path)
        raise
    try:
        yield path
    finally:
        _remove(path)


def _cannot_copy(name: str, folder: str, error: OSError) -> DataError:
    return DataError(name, f"cannot copy a binary file from standard input to the temporary folder {folder}: "
                           f"{error.strerror or error}",
                     "set TMPDIR to a folder with room for the whole file, or give the file's path instead of -")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:  # open, on a system that keeps open files (Windows): when divcli ends
        atexit.register(_remove_quietly, path)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
