"""Bytes → text: UTF-8 only (a BOM is dropped), binary and wide encodings refused at once, and a
pipe or device read whole only up to :data:`MAX_STREAM_BYTES`.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from typing import BinaryIO

from ..errors import DataError, show_value

BOM = b"\xef\xbb\xbf"


_WIDE_BOMS = ((b"\xff\xfe\0\0", "UTF-32"), (b"\0\0\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
              (b"\xfe\xff", "UTF-16"))


def wide_encoding(data: bytes) -> str | None:
    """``UTF-16``/``UTF-32`` (with a BOM, which iconv reads) or ``UTF-16LE``, ``UTF-32BE``, … (without
    one) when ``data`` looks like such text: a BOM, or no NUL byte where each character's low byte
    is and mostly NUL bytes elsewhere (as mostly-ASCII text has them); None otherwise."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            return encoding
    head = data[:8192]
    for width, encoding in ((4, "UTF-32"), (2, "UTF-16")):
        sample = head[:len(head) - len(head) % width]
        if len(sample) < 2 * width:
            continue
        for order, text_at in (("LE", 0), ("BE", width - 1)):
            text_bytes = sample[text_at::width]
            high = b"".join(sample[i::width] for i in range(width) if i != text_at)
            if b"\0" not in text_bytes and high.count(0) >= 0.75 * len(high):
                return encoding + order
    return None


#: The most read whole from a pipe or a device (a JSON document on standard input): it may never end.
MAX_STREAM_BYTES = 256 << 20
_TEXT_FILES = "give a .csv, .tsv, .txt, .json or .jsonl file"


def size_text(size: int) -> str:
    """``256 MiB``, ``4 KiB``, ``12 bytes``."""
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if size >= 1 << shift:
            return f"{size / (1 << shift):g} {unit}"
    return f"{size} bytes"


def check_no_nul(data: bytes, name: str, offset: int = 0) -> None:
    """A NUL byte is never in text: the input is binary (``offset``: where ``data`` starts in it)."""
    at = data.find(b"\0")
    if at >= 0:
        raise DataError(name, f"this is a binary file, not text (a NUL byte at byte {offset + at + 1:,})",
                        _TEXT_FILES)


def check_text_start(data: bytes, name: str) -> None:
    """The first bytes of an input (BOM removed) are text: no NUL, UTF-8 (a character cut at the end
    of ``data`` is fine). Binary data is then refused at once, whatever follows."""
    head = data[:1 << 16]
    _refuse_wide(head, name)
    check_no_nul(head, name)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as error:
        line = head[: error.start].count(b"\n") + 1
        raise DataError(f"{name}:{line}", f"not UTF-8 text (byte 0x{head[error.start]:02x})",
                        "save the file as UTF-8") from None


def stream_status(stream: BinaryIO) -> os.stat_result | None:
    """``fstat`` of the stream's descriptor, or None when it has none (bytes in memory)."""
    try:
        return os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return None


def read_bounded(stream: BinaryIO, name: str, ahead: bytes = b"") -> bytes:
    """The rest of ``stream`` after ``ahead`` (bytes already read), a chunk at a time: binary data is
    refused on its first chunk, and a pipe or device (it may never end) at
    :data:`MAX_STREAM_BYTES`."""
    status = stream_status(stream)
    regular = stat.S_ISREG(status.st_mode) if status else isinstance(stream, io.BytesIO)
    chunks, size = [ahead], len(ahead)
    if not size:
        first = stream.read(1 << 16)
        check_text_start(first.removeprefix(b"\xef\xbb\xbf"), name)
        chunks, size = [first], len(first)
    while chunk := stream.read(1 << 22):
        check_no_nul(chunk, name, size)
        chunks.append(chunk)
        size += len(chunk)
        if not regular and size > MAX_STREAM_BYTES:
            raise DataError(name, f"more than {size_text(MAX_STREAM_BYTES)} to read whole from a pipe or device",
                            "stream rows as CSV or JSON Lines (one row a line), or save the data to a file")
    return b"".join(chunks)


def _refuse_wide(data: bytes, name: str) -> None:
    if encoding := wide_encoding(data):
        raise DataError(name, f"this looks like {encoding} text: divcli reads UTF-8",
                        f"convert it with iconv -f {encoding} -t UTF-8")


def decode(data: bytes, name: str, first_line: int = 1) -> str:
    """UTF-8 with or without a BOM; UTF-16 or UTF-32 text, binary or other encodings are errors."""
    if first_line == 1:
        _refuse_wide(data, name)
        check_no_nul(data, name)
    elif b"\0" in data:
        raise DataError(name, "this is a binary file, not text", _TEXT_FILES)
    try:
        return data.decode("utf-8-sig" if first_line == 1 else "utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + first_line
        raise DataError(f"{name}:{line}", f"not UTF-8 text (byte 0x{data[error.start]:02x})",
                        "save the file as UTF-8") from None


#: The names of standard input itself (a terminal or a device there is read by one operand only).
_STDIN_NAMES = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})


def _stream_identity(spec: str, stdin: BinaryIO | None = None) -> tuple[int, int, bool] | None:
    """(device, inode, is it read once) of what ``spec`` reads when that is no regular file: ``-``
    (standard input), ``/dev/stdin``, ``/dev/fd/N``, a named FIFO, a socket; None for a regular file,
    a directory, a literal, or a standard input that is closed. A pipe, a FIFO, a socket, and a
    terminal or device reached through standard input are read once, by one reader."""
    try:
        status = (stream_status(stdin) if stdin is not None else None) if spec == "-" else os.stat(spec)
    except (OSError, ValueError):
        return None
    if status is None or stat.S_ISREG(status.st_mode) or stat.S_ISDIR(status.st_mode):
        return None
    once = stat.S_ISFIFO(status.st_mode) or stat.S_ISSOCK(status.st_mode)
    return status.st_dev, status.st_ino, once


def read_once(spec: str) -> bool:
    """Whether the operand ``spec`` names a stream that can be read only once (a pipe, FIFO or
    socket, ``/dev/stdin`` on a pipe included); False for a file, a literal, or what does not exist."""
    identity = _stream_identity(spec) if spec != "-" else None
    return identity is not None and identity[2]


def same_stream(specs, stdin: BinaryIO | None) -> str | None:
    """Why two of ``specs`` (operands; None and ``uniform`` are skipped) cannot both be read: the
    same pipe, FIFO or socket twice (``kl f.fifo f.fifo`` would wait forever), or standard input
    named twice (``kl - /dev/stdin``: the second would find nothing); None when every operand reads
    a stream of its own. The same regular file twice is fine: each operand opens it on its own.
    ``-`` twice is the caller's to refuse (it needs no system call); ``stdin``: what ``-`` reads
    (None when standard input is closed)."""
    seen: dict[tuple[int, int], str] = {}
    standard = _stream_identity("-", stdin)
    for spec in specs:
        if spec is None or spec == "uniform":
            continue
        identity = standard if spec == "-" else _stream_identity(spec)
        if identity is None:
            continue
        device, inode, once = identity
        first = seen.get((device, inode))
        if first is None:
            seen[device, inode] = spec
            continue
        both = f"{show_value(first, 1024)} and {show_value(spec, 1024)}"
        if not once and not {first, spec} <= _STDIN_NAMES:
            continue  # a device named twice (/dev/null, /dev/zero): each operand opens it on its own
        if standard is not None and (device, inode) == standard[:2]:
            return f"{both} both read standard input, which can stand for one operand only"
        return f"{both} are the same pipe, which can stand for one operand only (it is read once)"
    return None
