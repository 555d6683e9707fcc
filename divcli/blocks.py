"""Operands in blocks of rows: inputs of any length are read, checked and computed in bounded memory.

Delimited text and JSON Lines (files or standard input) are read block by block, Parquet a record
batch at a time; a literal, a JSON document or an ``.npz`` member is read whole and sliced; an
``.npy`` file is memory-mapped and sliced. Every reader answers :meth:`read` with the next rows (an
:class:`~divcli.inputs.Operand` whose ``first_row`` and ``lines`` place them in the whole input), or
``None`` at the end.

A block is bounded twice: ``read(rows, max_values)`` gives at most ``rows`` rows and, when
``max_values`` is given, at most ``max_values`` values (but always one row): every reader applies
:func:`bounded_rows` with the width of its rows as soon as it knows it (a text reader from its first
row), so every source of the same table cuts it into the same blocks.
"""

from __future__ import annotations

import json
import os
import re
from typing import BinaryIO, Protocol

import numpy as np

from . import inputs
from .columns import ColumnChoice
from .errors import DataError
from .inputs import (
    DELIMITED_EXTENSIONS,
    JSON_LINES_EXTENSIONS,
    STDIN,
    STDIN_NAME,
    WHITESPACE,
    Operand,
    check_no_nul,
    check_text_start,
    decode,
    pick_columns,
    is_header,
    parse_text,
    read_bounded,
    read_delimited,
    read_json_lines,
    read_operand,
    size_text,
    sniff_delimiter,
)


def bounded_rows(rows: int, width: int, max_values: int | None) -> int:
    """How many of ``rows`` rows of ``width`` values a block holds: at most ``max_values`` values
    (when given), but at least one row."""
    if max_values is None:
        return rows
    return max(1, min(rows, max_values // max(1, width)))


class Blocks(Protocol):
    name: str

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        """The next ``rows`` rows (fewer at the end), or None when there are none left; at most
        :func:`bounded_rows` of them when ``max_values`` is given."""

    def exhausted(self) -> bool:
        """True when :meth:`read` would return None."""

    def close(self) -> None:
        """Let go of what was opened for these blocks (a file); what was given to them stays open."""


class ArrayBlocks:
    """An operand held whole (or memory-mapped), handed out in slices of rows."""

    def __init__(self, operand: Operand):
        self.operand = operand
        self.name = operand.name
        self.next = 0

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        if self.exhausted():
            return None
        rows = bounded_rows(rows, self.operand.shape[1], max_values)
        start, self.next = self.next, min(self.next + rows, self.operand.rows)
        return self.operand.rows_slice(start, self.next)

    def exhausted(self) -> bool:
        return self.next >= self.operand.rows

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in rows."""
        return self.next, self.operand.rows

    def close(self) -> None:
        pass  # the operand was read (or memory-mapped) before: nothing is open for these blocks


#: Bytes read from a text stream at a time (more when a block needs more, up to GROW_BYTES at once).
READ_BYTES = 1 << 22
GROW_BYTES = 1 << 25
#: The longest line a text reader holds (one row, or a run of blank lines): a longer one is refused,
#: so an endless line or stream is stopped in bounded memory (this and a read ahead: the bytes read
#: ahead grow in place, never copied whole).
MAX_LINE_BYTES = 256 << 20
_WHITESPACE = b" \t\r\n\x0b\x0c"
_BOM = b"\xef\xbb\xbf"


class TextBlocks:
    """Delimited text or JSON Lines, read from a binary stream a block of rows at a time.

    Blank lines are skipped but counted, so every row keeps its physical line; the header, the
    class names and the row width of the first block hold for every later block. Lines are found
    with numpy over the bytes read ahead, never one Python call per line.
    """

    def __init__(self, stream: BinaryIO, name: str, delimiter: str | None, json_lines: bool,
                 ahead: bytes = b"", owns_stream: bool = False, columns: ColumnChoice = ColumnChoice()):
        self.stream = stream
        self.columns = columns  # --select, --drop, --names: resolved on the first block, then kept
        self.owns_stream = owns_stream  # a file opened for these blocks, closed by close()
        self.name = name
        self.delimiter = delimiter
        self.json_lines = json_lines
        self.ahead = bytearray(ahead)  # bytes read, not yet handed out (grown and cut in place)
        self.ends = np.empty(0, dtype=np.intp)  # the newlines in self.ahead[:self.scanned]
        self.scanned = 0
        self.eof = False
        self.line = 1  # the physical line the next block starts on
        self.rows_read = 0
        self.classes: list[str] | None = None
        self.width: int | None = None
        self.started = bool(ahead)  # a BOM is dropped from the first bytes only
        self.bytes_read = len(ahead)
        try:  # a regular file's size says at once whether the input is large; a pipe's bytes tell later
            self.size = os.fstat(stream.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            self.size = 0

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in bytes; the total is unknown for a pipe."""
        return self.bytes_read - len(self.ahead), self.size or None

    def close(self) -> None:
        """Close the file opened for these blocks (a stream given to them, standard input, is the
        caller's)."""
        if self.owns_stream:
            self.stream.close()

    @property
    def large(self) -> bool:
        """Large enough for pyarrow's CSV parser (see :data:`divcli.inputs.ARROW_MIN_BYTES`)."""
        return max(self.size, self.bytes_read) >= inputs.ARROW_MIN_BYTES

    @property
    def _blank(self) -> bytes:
        """Bytes that make no row: whitespace, and a delimiter alone (",,," is skipped as blank)."""
        single = self.delimiter if self.delimiter and len(self.delimiter) == 1 and not self.json_lines else ""
        return _WHITESPACE + single.encode()

    def _has_ink(self, data: bytes) -> bool:
        return bool(data.translate(None, self._blank))

    def _read_more(self, at_least: int = READ_BYTES, held: int = 0) -> bool:
        """Read ahead; False at the end of the stream. ``held``: where the row being completed
        starts in the bytes read ahead; it may not grow past :data:`MAX_LINE_BYTES`."""
        if self.eof:
            return False
        if len(self.ahead) - held > MAX_LINE_BYTES:
            raise self._too_long(held)
        chunk = self.stream.read(min(max(at_least, READ_BYTES), GROW_BYTES))
        if not self.started:
            chunk, self.started = chunk.removeprefix(_BOM), True
            check_text_start(chunk, self.name)
        if not chunk:
            self.eof = True
            return False
        check_no_nul(chunk, self.name, self.bytes_read)
        self.ahead += chunk
        self.bytes_read += len(chunk)
        return True

    def _too_long(self, held: int) -> DataError:
        """The row that starts at ``held`` in the bytes read ahead runs past :data:`MAX_LINE_BYTES`."""
        line = self.line + self.ahead.count(b"\n", 0, held)
        newlines = self.ahead.count(b"\n", held)
        if newlines:  # blank lines, more than the limit of them
            return DataError(f"{self.name}:{line}", f"no row in more than {size_text(MAX_LINE_BYTES)} "
                             f"({newlines:,} blank lines)", "remove the blank lines")
        return DataError(f"{self.name}:{line}", f"a line longer than {size_text(MAX_LINE_BYTES)} (no line end found)",
                         "divcli reads one row a line; split the data into lines")

    def _newlines(self) -> np.ndarray:
        """The positions of the newlines in the bytes read ahead; each byte is scanned once."""
        data = np.frombuffer(self.ahead, dtype=np.uint8)
        if self.scanned < data.size:
            found = np.flatnonzero(data[self.scanned:] == 10)
            found += self.scanned
            self.ends = np.concatenate((self.ends, found)) if self.ends.size else found
            self.scanned = data.size
        return self.ends

    def _cut(self, wanted: int) -> tuple[bytes, int, int]:
        """The bytes of the next ``wanted`` non-blank lines (with the blank lines among them), how
        many physical lines that is, and how many non-blank ones (fewer only at the end)."""
        while True:
            ends = self._newlines()
            if ends.size < wanted and not self.eof:
                self._read_more(len(self.ahead), int(ends[-1]) + 1 if ends.size else 0)
                continue
            if ends.size >= wanted:
                cut = int(ends[wanted - 1]) + 1
                if not self._blank_line(cut, ends[:wanted - 1]):
                    return self._take(cut, wanted, wanted)  # no blank line among them: the usual case
            size = len(self.ahead)
            if self.eof and size and self.ahead[-1] != 10:
                ends = np.append(ends, size - 1)  # a last line without a newline
            last = int(ends[-2]) + 1 if ends.size > 1 else 0
            if self.eof and size and not self._blank_line(size, ends[:-1]) and self._has_ink(self.ahead[last:]):
                filled = np.arange(ends.size)  # fewer lines than wanted at the end, none blank
            else:
                filled = self._filled(ends)
            if filled.size >= wanted or self.eof:
                found = min(wanted, filled.size)
                if found == 0:
                    return self._take(size, ends.size, 0)
                lines = int(filled[found - 1]) + 1
                return self._take(int(ends[lines - 1]) + 1, lines, found)
            self._read_more(size, int(ends[filled[-1]]) + 1 if filled.size else 0)

    def _filled(self, ends: np.ndarray) -> np.ndarray:
        """The indices of the lines (ending at ``ends``) that hold more than blank bytes."""
        if not ends.size:
            return ends
        blank = np.zeros(256, dtype=bool)
        blank[np.frombuffer(self._blank, dtype=np.uint8)] = True
        data = np.frombuffer(self.ahead, dtype=np.uint8, count=int(ends[-1]) + 1)
        ink = ~blank[data]  # one byte a byte; reduced line by line (every line holds its newline)
        starts = np.concatenate(([0], ends[:-1] + 1))
        return np.flatnonzero(np.logical_or.reduceat(ink, starts))

    def _blank_line(self, cut: int, ends: np.ndarray) -> bool:
        """Is there a blank line in ``self.ahead[:cut]`` (``ends``: its newlines but the last)? The
        regular expression runs only when a line starts with a blank byte."""
        blanks = self._blank
        data = np.frombuffer(self.ahead, dtype=np.uint8, count=cut)
        blank = np.zeros(256, dtype=bool)
        blank[np.frombuffer(blanks, dtype=np.uint8)] = True
        if not (blank[data[0]] or blank[data[ends + 1]].any()):
            return False
        blank = re.compile(rb"^[" + re.escape(blanks) + rb"]*\n", re.MULTILINE)
        return bool(blank.search(self.ahead, 0, cut))

    def _take(self, cut: int, lines: int, found: int) -> tuple[bytes, int, int]:
        with memoryview(self.ahead) as view:
            chunk = bytes(view[:cut])
        del self.ahead[:cut]  # no copy of the rest: a bytearray moves its start
        kept = self.ends[np.searchsorted(self.ends, cut):]
        kept -= cut
        self.ends, self.scanned = kept, max(0, self.scanned - cut)
        return chunk, lines, found

    def exhausted(self) -> bool:
        if not self.started:
            self._read_more()
        checked = 0  # the bytes read ahead known to be blank
        while not self._has_ink(self.ahead[checked:] if checked else self.ahead):
            checked = len(self.ahead)
            if not self._read_more(checked):
                return True
        return False

    def _header_ahead(self) -> bool:
        """Does the first block start with a header row? (It is not counted as a row.)"""
        if self.json_lines or self.exhausted():
            return False
        while True:
            end = len(self.ahead) if self.eof else self.ahead.rfind(b"\n")
            if end < 0:  # no whole line yet
                self._read_more(len(self.ahead))
                continue
            complete = self.ahead[:end]
            inked = None
            try:
                for line in _lines(complete):  # up to the first line with ink
                    if not line.strip():
                        continue
                    if self.delimiter is None:
                        self.delimiter = sniff_delimiter(line.decode("utf-8"))
                    if self._has_ink(line):
                        inked = line.decode("utf-8")
                        break
            except UnicodeDecodeError:
                return False  # the read reports it, with its line
            if inked or not self._read_more(len(self.ahead), held=end + 1):
                return bool(inked) and _is_header(inked, self.delimiter)

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        first_block = self.rows_read == 0
        header = int(first_block and self._header_ahead())
        if self.width is not None:
            rows = bounded_rows(rows, self.width, max_values)
        probe = self.width is None and max_values is not None and rows > 1  # the width decides the rows
        chunk, lines, found = self._cut((1 if probe else rows) + header)
        if not found:
            if first_block:
                raise DataError(self.name, "no numbers found")
            return None
        block = None
        if probe:
            more = rows - 1
            if rows * (len(chunk) + 1) > max_values:  # a row has at most as many values as bytes + 1
                block = self._parse(chunk, self.line, first_block)
                more = bounded_rows(rows, block.shape[1], max_values) - 1
            if more:  # the first row is read again with the others: one parse makes the block
                rest, more_lines, _ = self._cut(more)
                chunk, lines, block = chunk + rest, lines + more_lines, None
        first_line, self.line = self.line, self.line + lines
        if block is None:
            block = self._parse(chunk, first_line, first_block)
        if not self.json_lines and self.delimiter != WHITESPACE and b"\r" in chunk:
            # the csv module ends a line at a carriage return alone too: count those lines
            self.line += chunk.count(b"\r") - chunk.count(b"\r\n")
        self._check_consistent(block)
        block.first_row = self.rows_read
        self.rows_read += block.rows
        return block

    def _parse(self, chunk: bytes, first_line: int, first_block: bool) -> Operand:
        """The rows of ``chunk``, whose first line is ``first_line``."""
        text = decode(chunk, self.name, first_line)
        if self.json_lines:
            return read_json_lines(text, self.name, first_line, self.columns)
        if self.delimiter is None:
            self.delimiter = sniff_delimiter(text)
        if first_block:  # resolved against the header (or the first row) once, for every block
            self.columns = pick_columns(text, self.name, self.delimiter, self.columns)
        width = self.width if self.columns is None or self.width is None else self.columns.width
        return read_delimited(text, self.name, self.delimiter, first_line, header_allowed=first_block,
                              width=width, large=self.large, columns=self.columns)

    def _check_consistent(self, block: Operand) -> None:
        if self.width is None:
            self.classes, self.width = block.classes, block.shape[1]
            return
        if block.shape[1] != self.width or (self.json_lines and block.classes != self.classes):
            raise DataError(block.where(0), f"this row has {block.shape[1]} values"
                            + (" or other classes" if self.json_lines else "")
                            + f"; the first row has {self.width}", "every row needs one value per class")
        block.classes = self.classes


def _is_header(line: str, delimiter: str) -> bool:
    """:func:`divcli.inputs.is_header`, at once when the first cell is plainly a number (a row of
    millions of numbers is then not split twice)."""
    if delimiter != WHITESPACE:
        first = line[:line.find(delimiter, 0, 1000)].strip() if delimiter in line[:1000] else ""
        if first and '"' not in first and inputs._looks_numeric(first):
            return False
    return is_header(line, delimiter)


def _lines(data: bytes):
    """The lines of ``data`` one at a time (a header is looked for in the first few only)."""
    start = 0
    while (end := data.find(b"\n", start)) >= 0:
        yield data[start:end]
        start = end + 1
    yield data[start:]


def _flat_row(line: bytes) -> bool:
    """A JSON Lines row: a list of non-containers, or an object."""
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(row, dict) or (isinstance(row, list) and not any(isinstance(v, (list, dict)) for v in row))


def _sniffed_stdin(stream: BinaryIO, delimiter: str | None, name: str = STDIN_NAME,
                   columns: ColumnChoice = ColumnChoice()) -> Blocks:
    """Standard input (or a device, a FIFO): JSON Lines when its first non-blank line is one flat
    row and more follow, a JSON document when it starts with [ or {, else delimited text."""
    ahead = stream.read(READ_BYTES).removeprefix(_BOM)
    check_text_start(ahead, name)
    check_no_nul(ahead, name)
    start = ahead.lstrip()
    if start[:1] not in (b"[", b"{"):
        return TextBlocks(stream, name, delimiter, False, ahead, columns=columns)
    first, _, rest = start.partition(b"\n")
    while not rest.strip() and len(ahead) <= MAX_LINE_BYTES and (more := stream.read(READ_BYTES)):
        check_no_nul(more, name, len(ahead))
        ahead, rest = ahead + more, rest + more
    if rest.strip() and _flat_row(first):
        return TextBlocks(stream, name, None, True, ahead, columns=columns)
    return ArrayBlocks(parse_text(decode(read_bounded(stream, name, ahead), name), name, columns=columns))


class ParquetBlocks:
    """A Parquet file read a record batch at a time (see :class:`divcli.inputs.ParquetReader`)."""

    def __init__(self, path: str, columns: ColumnChoice = ColumnChoice()):
        from . import engine

        self.reader = inputs.ParquetReader(path, columns)
        if self.reader.width:  # record batches of at most a block's values (a list column's width shows later)
            batch = bounded_rows(self.reader.BATCH_ROWS, self.reader.width, engine.BLOCK_ELEMENTS)
            self.reader.batches = self.reader.file.iter_batches(batch_size=batch, columns=self.reader.read_columns)
        self.name = path
        self.pending = np.empty((0, 0))
        self.pending_names: list[str] = []  # the row names of the pending rows (--names)
        self.rows_read = 0

    def _fill(self, rows: int) -> None:
        parts, have = [self.pending], len(self.pending)
        while have < rows and (values := self.reader.next_batch()) is not None:
            parts.append(values)
            self.pending_names += self.reader.row_names or []
            have += len(values)
        if len(parts) > 1:
            self.pending = np.concatenate([part for part in parts if part.size] or parts[-1:])

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        self._fill(1)
        if len(self.pending):
            rows = bounded_rows(rows, self.pending.shape[1], max_values)
        self._fill(rows)
        if not len(self.pending) or not self.pending.shape[1]:
            if self.rows_read == 0:
                raise DataError(self.name, "no numbers found")
            return None
        block, self.pending = self.pending[:rows], self.pending[rows:]
        names, self.pending_names = self.pending_names[:rows] or None, self.pending_names[rows:]
        operand = Operand(block, self.name, self.reader.classes, first_row=self.rows_read, row_names=names)
        self.rows_read += len(block)
        return operand

    def exhausted(self) -> bool:
        self._fill(1)
        return not len(self.pending)

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in rows."""
        return self.rows_read, self.reader.file.metadata.num_rows

    def close(self) -> None:
        self.reader.close()


def open_blocks(spec: str, stdin: BinaryIO, delimiter: str | None = None,
                columns: ColumnChoice = ColumnChoice()) -> Blocks:
    """Blocks of one operand: ``-``, a path, or a literal (see :func:`divcli.inputs.read_operand`);
    ``columns``: ``--select``, ``--drop`` and ``--names``, applied to every block."""
    if spec == STDIN:
        if hasattr(stdin, "isatty") and stdin.isatty():
            raise DataError(STDIN_NAME, "'-' reads standard input, but nothing is piped in",
                            "pipe data in (cat p.csv | divcli …) or give a file")
        return _sniffed_stdin(stdin, delimiter, columns=columns)
    extension = os.path.splitext(spec)[1].lower()
    if extension in inputs.PARQUET_EXTENSIONS and os.path.isfile(spec):
        return ParquetBlocks(spec, columns)
    streamed = extension in DELIMITED_EXTENSIONS or extension in JSON_LINES_EXTENSIONS
    # a device or a FIFO (/dev/stdin, <(…)) may never end: read like standard input, never whole
    device = (extension not in inputs.KNOWN_EXTENSIONS and os.path.exists(spec) and not os.path.isdir(spec)
              and not os.path.isfile(spec))
    if os.path.exists(spec) and not os.path.isdir(spec) and (streamed or device):
        try:
            stream = open(spec, "rb")  # noqa: SIM115 - closed by the blocks' close()
        except OSError as error:
            raise DataError(spec, f"cannot read: {error.strerror}") from None
        if device:
            try:
                blocks = _sniffed_stdin(stream, delimiter, spec, columns)
            except BaseException:
                stream.close()
                raise
            if isinstance(blocks, TextBlocks):
                blocks.owns_stream = True
            else:
                stream.close()
            return blocks
        json_lines = extension in JSON_LINES_EXTENSIONS
        return TextBlocks(stream, spec, delimiter or DELIMITED_EXTENSIONS.get(extension), json_lines,
                          owns_stream=True, columns=columns)
    return ArrayBlocks(read_operand(spec, stdin, delimiter, widen=False, columns=columns))  # blocks are widened one by one
