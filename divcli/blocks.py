"""Operands in blocks of rows: inputs of any length are read, checked and computed in bounded memory.

Delimited text and JSON Lines (files or standard input) are read block by block; a literal, a JSON
document or an ``.npz`` member is read whole and sliced; an ``.npy`` file is memory-mapped and
sliced. Every reader answers :meth:`read` with the next rows (an :class:`~divcli.inputs.Operand`
whose ``first_row`` and ``lines`` place them in the whole input), or ``None`` at the end.
"""

from __future__ import annotations

import json
import os
from collections import deque
from typing import BinaryIO, Protocol

from .errors import DataError
from .inputs import (
    DELIMITED_EXTENSIONS,
    JSON_LINES_EXTENSIONS,
    STDIN,
    STDIN_NAME,
    Operand,
    decode,
    is_header,
    parse_text,
    read_delimited,
    read_json_lines,
    read_operand,
    sniff_delimiter,
)


class Blocks(Protocol):
    name: str

    def read(self, rows: int) -> Operand | None:
        """The next ``rows`` rows (fewer at the end), or None when there are none left."""

    def exhausted(self) -> bool:
        """True when :meth:`read` would return None."""


class ArrayBlocks:
    """An operand held whole (or memory-mapped), handed out in slices of rows."""

    def __init__(self, operand: Operand):
        self.operand = operand
        self.name = operand.name
        self.next = 0

    def read(self, rows: int) -> Operand | None:
        if self.exhausted():
            return None
        start, self.next = self.next, min(self.next + rows, self.operand.rows)
        return self.operand.rows_slice(start, self.next)

    def exhausted(self) -> bool:
        return self.next >= self.operand.rows


class TextBlocks:
    """Delimited text or JSON Lines, read from a binary stream a block of rows at a time.

    Blank lines are skipped but counted, so every row keeps its physical line; the header, the
    class names and the row width of the first block hold for every later block.
    """

    def __init__(self, stream: BinaryIO, name: str, delimiter: str | None, json_lines: bool,
                 pending: list[bytes] | None = None):
        self.stream = stream
        self.name = name
        self.delimiter = delimiter
        self.json_lines = json_lines
        self.pending = deque(pending or ())  # lines read ahead, not yet handed out
        self.line = 1  # the physical line the next block starts on
        self.rows_read = 0
        self.classes: list[str] | None = None
        self.width: int | None = None

    def _next_line(self) -> bytes | None:
        if self.pending:
            return self.pending.popleft()
        return self.stream.readline() or None

    def _peek(self) -> bytes | None:
        """The next non-blank line, left in place (with the blank lines before it)."""
        for line in self.pending:
            if line.strip():
                return line
        while True:
            line = self.stream.readline()
            if not line:
                return None
            self.pending.append(line)
            if line.strip():
                return line

    def exhausted(self) -> bool:
        return self._peek() is None

    def _header_ahead(self) -> bool:
        """Does the first block start with a header row? (It is not counted as a row.)"""
        line = self._peek()
        if line is None or self.json_lines:
            return False
        try:
            text = line.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False  # the read reports it, with its line
        if self.delimiter is None:
            self.delimiter = sniff_delimiter(text)
        return is_header(text, self.delimiter)

    def read(self, rows: int) -> Operand | None:
        first_block = self.rows_read == 0
        wanted = rows + 1 if first_block and self._header_ahead() else rows
        chunk: list[bytes] = []
        found = 0
        while found < wanted:
            line = self._next_line()
            if line is None:
                break
            chunk.append(line)
            if line.strip():
                found += 1
        if not found:
            if first_block:
                raise DataError(self.name, "no numbers found")
            return None
        first_line, self.line = self.line, self.line + len(chunk)
        text = decode(b"".join(chunk), self.name, first_line)
        if self.json_lines:
            block = read_json_lines(text, self.name, first_line)
        else:
            if self.delimiter is None:
                self.delimiter = sniff_delimiter(text)
            block = read_delimited(text, self.name, self.delimiter, first_line,
                                   header_allowed=first_block, width=self.width)
        self._check_consistent(block)
        block.first_row = self.rows_read
        self.rows_read += block.rows
        return block

    def _check_consistent(self, block: Operand) -> None:
        if self.width is None:
            self.classes, self.width = block.classes, block.shape[1]
            return
        if block.shape[1] != self.width or (self.json_lines and block.classes != self.classes):
            raise DataError(block.where(0), f"this row has {block.shape[1]} values"
                            + (" or other classes" if self.json_lines else "")
                            + f"; the first row has {self.width}", "every row needs one value per class")
        block.classes = self.classes


def _sniffed_stdin(stream: BinaryIO, delimiter: str | None) -> Blocks:
    """Standard input: JSON Lines when its first non-blank line is one flat row and more follow,
    a JSON document when it starts with [ or {, else delimited text."""
    pending: list[bytes] = []
    first = b""
    while not first.strip():
        first = stream.readline()
        if not first:
            break
        if not pending:
            first = first.removeprefix(b"\xef\xbb\xbf")  # a BOM
        pending.append(first)
    if first.lstrip()[:1] in (b"[", b"{") and delimiter is None:
        try:
            row = json.loads(first)
        except (ValueError, RecursionError):
            row = None
        flat = isinstance(row, dict) or (isinstance(row, list) and not any(isinstance(v, (list, dict)) for v in row))
        second = stream.readline()
        pending.append(second)
        if flat and second.strip():
            return TextBlocks(stream, STDIN_NAME, None, True, pending)
        rest = b"".join(pending) + stream.read()
        return ArrayBlocks(parse_text(decode(rest, STDIN_NAME), STDIN_NAME))
    return TextBlocks(stream, STDIN_NAME, delimiter, False, pending)


def open_blocks(spec: str, stdin: BinaryIO, delimiter: str | None = None) -> Blocks:
    """Blocks of one operand: ``-``, a path, or a literal (see :func:`divcli.inputs.read_operand`)."""
    if spec == STDIN:
        if hasattr(stdin, "isatty") and stdin.isatty():
            raise DataError(STDIN_NAME, "'-' reads standard input, but nothing is piped in",
                            "pipe data in (cat p.csv | divcli …) or give a file")
        return _sniffed_stdin(stdin, delimiter)
    extension = os.path.splitext(spec)[1].lower()
    if os.path.isfile(spec) and (extension in DELIMITED_EXTENSIONS or extension in JSON_LINES_EXTENSIONS):
        try:
            stream = open(spec, "rb")  # noqa: SIM115 - closed when the process ends
        except OSError as error:
            raise DataError(spec, f"cannot read: {error.strerror}") from None
        json_lines = extension in JSON_LINES_EXTENSIONS
        return TextBlocks(stream, spec, delimiter or DELIMITED_EXTENSIONS.get(extension), json_lines)
    return ArrayBlocks(read_operand(spec, stdin, delimiter))
