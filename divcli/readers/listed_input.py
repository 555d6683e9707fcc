"""Telling top-k log-probs (:mod:`.top_logprobs`) from the other inputs of ``divcli lm``, by their
content: a file's first line, or standard input's.

An input is top-k log-probs when its first line is a JSON object of one of the three shapes
(:func:`~divcli.readers.top_logprobs.shape_of`: a line with ``top_logprobs``, or a response with
``choices``); anything else (rows of numbers, a JSON array, a binary file) is read as rows.
Standard input can be read only once: what was read to tell is kept and read again
(:func:`stdin_shape` returns the stream to read from then on, whatever it holds).
"""

from __future__ import annotations

import io
import json
import os
from typing import BinaryIO

from .source import BOM
from .textblocks import MAX_LINE_BYTES
from .top_logprobs import shape_of

#: The bytes read first to tell a file's shape (its first line, or the start of it).
SNIFF_BYTES = 1 << 16
_BLANK = b" \t\r\n"


def _first_line(stream: BinaryIO, read) -> tuple[bytes | None, bytes]:
    """The first line of ``stream`` when it starts (after a BOM and blank lines) with ``{``, else
    None; and every byte read. ``read(n)`` reads at most n bytes (a pipe's: what is there)."""
    seen = read(SNIFF_BYTES)
    start = seen.removeprefix(BOM).lstrip(_BLANK)
    while not start and len(seen) < SNIFF_BYTES and (more := read(SNIFF_BYTES)):  # blank lines first
        seen += more
        start = seen.removeprefix(BOM).lstrip(_BLANK)
    if not start.startswith(b"{"):
        return None, seen
    while b"\n" not in start and len(start) <= MAX_LINE_BYTES and (more := read(SNIFF_BYTES)):
        seen, start = seen + more, start + more
    return start.split(b"\n", 1)[0], seen


def _shape(line: bytes | None) -> str | None:
    if line is None:
        return None
    try:
        return shape_of(json.loads(line))
    except (ValueError, RecursionError):
        return None


def stream_shape(stream: BinaryIO) -> str | None:
    """The shape of the top-k log-probs ``stream`` holds (a file, a shard through fsspec), else None."""
    return _shape(_first_line(stream, stream.read)[0])


def listed_shape(spec: str) -> str | None:
    """The shape of the file ``spec`` names when its first line is top-k log-probs, else None (not a
    file, or another input: those are read as rows of numbers)."""
    if not os.path.isfile(spec):
        return None
    with open(spec, "rb") as stream:
        return stream_shape(stream)


class _Replayed(io.RawIOBase):
    """The bytes read already, then the rest of the stream: standard input as if unread. It has no
    descriptor (a reader that went to it would miss the bytes read)."""

    def __init__(self, ahead: bytes, stream: BinaryIO):
        self.ahead = memoryview(ahead)
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.ahead:
            size = min(len(buffer), len(self.ahead))
            buffer[:size] = self.ahead[:size]
            self.ahead = self.ahead[size:]
            return size
        data = _read_some(self.stream, len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _read_some(stream: BinaryIO, size: int) -> bytes:
    """At most ``size`` bytes, without waiting for more than one read of a pipe gives."""
    read1 = getattr(stream, "read1", None)
    return read1(size) if read1 is not None else stream.read(size)


def stdin_shape(stream: BinaryIO) -> tuple[str | None, BinaryIO]:
    """The shape of the top-k log-probs on standard input (None: it holds something else), and the
    stream to read it from from then on: a file's (``< file``) sought back to where it was, a pipe's
    the bytes read to tell, then the rest. A terminal is not read (nothing is piped in: the reader
    says so)."""
    if stream.isatty():
        return None, stream
    if stream.seekable():
        start = stream.tell()
        line = _first_line(stream, stream.read)[0]
        stream.seek(start)
        return _shape(line), stream
    line, seen = _first_line(stream, lambda size: _read_some(stream, size))
    return _shape(line), io.BufferedReader(_Replayed(seen, stream))
