"""Delimited text and JSON Lines read from a byte stream a block of rows at a time."""

from __future__ import annotations

import re
import stat
from typing import BinaryIO, Callable

import numpy as np

from .columns import ColumnChoice
from ..errors import DataError
from ..vocabulary import count_of
from . import fast
from .blocks import bounded_rows
from .json import read_json_lines
from .numbers import looks_numeric
from .operand import WHITESPACE, Operand
from .source import BOM, check_no_nul, check_text_start, decode, size_text, stream_status
from .text import is_header, pick_columns, read_delimited, sniff_delimiter

#: Bytes read from a text stream at a time (more when a block needs more, up to GROW_BYTES at once).
READ_BYTES = 1 << 22
GROW_BYTES = 1 << 25
#: The longest line a text reader holds (one row, or a run of blank lines): a longer one is refused,
#: so an endless line or stream is stopped in bounded memory (this and a read ahead: the bytes read
#: ahead grow in place, never copied whole).
MAX_LINE_BYTES = 256 << 20
_WHITESPACE = b" \t\r\n\x0b\x0c"
_INK = re.compile(rb"[^ \t\r\n\x0b\x0c]")
_LEADING_BLANK = re.compile(rb"[ \t\r\n\x0b\x0c]*\n")
#: Where tab is the delimiter, a line of tabs is a row of empty cells (an error), not blank.
_TAB_WHITESPACE = b" \r\n\x0b\x0c"
_TAB_LEADING_BLANK = re.compile(rb"[ \r\n\x0b\x0c]*\n")


class TextBlocks:
    """Delimited text or JSON Lines, read from a binary stream a block of rows at a time.

    Blank lines are skipped but counted, so every row keeps its physical line; the header, the
    class names and the row width of the first block hold for every later block. Lines are found
    with numpy over the bytes read ahead, never one Python call per line.
    """

    def __init__(self, stream: BinaryIO, name: str, delimiter: str | None, json_lines: bool,
                 ahead: bytes = b"", owns_stream: bool = False, columns: ColumnChoice = ColumnChoice(),
                 key: str | None = None, sniff: Callable[[str], str] = sniff_delimiter):
        self.stream = stream
        self.key = key  # JSON Lines: the path to each line's row (``FILE.jsonl:outputs.logits``)
        self.sniff = sniff  # the delimiter of the first line with ink, when none is given
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
        status = stream_status(stream)  # None: bytes in memory
        # a regular file's size says at once whether the input is large; a pipe's bytes tell later
        self.size = status.st_size if status else 0
        #: a read may wait on another process (a pipe, a FIFO, a terminal, a socket): read these in the
        #: caller's thread (:func:`divcli.engine.threads.ordered`)
        self.may_wait = status is not None and not stat.S_ISREG(status.st_mode)

    #: :meth:`position` counts bytes (the other readers count rows)
    position_in_bytes = True

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
        """Large enough for pyarrow's CSV parser (see :data:`divcli.readers.fast.ARROW_MIN_BYTES`)."""
        return max(self.size, self.bytes_read) >= fast.ARROW_MIN_BYTES

    @property
    def _blank(self) -> bytes:
        """Bytes that make no row: whitespace, but for tabs in a tab-delimited text (a line of
        delimiters is a row, of empty cells: an error)."""
        return _TAB_WHITESPACE if self.delimiter == "\t" and not self.json_lines else _WHITESPACE

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
            chunk, self.started = chunk.removeprefix(BOM), True
            check_text_start(chunk, self.name)
        if not chunk:
            self.eof = True
            return False
        check_no_nul(chunk, self.name, self.bytes_read)
        try:
            self.ahead += chunk
        except BufferError:  # a view of these bytes is still alive (a frame kept by a traceback): a new buffer
            self.ahead = self.ahead + chunk
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
        # Complexity: the line cutter: the fast path (no blank line among the wanted ones), blank
        # lines, a last line without a newline and reading ahead are each a branch of one loop.
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
        if np.count_nonzero(ink) < ends.size:  # mostly blank lines: the lines of the few ink bytes
            return np.unique(np.searchsorted(ends, np.flatnonzero(ink)))
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
        try:
            del self.ahead[:cut]  # no copy of the rest: a bytearray moves its start
        except BufferError:  # a view of these bytes is still alive: the rest in a new buffer
            self.ahead = self.ahead[cut:]
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
            inked = None
            ink = _INK.search(self.ahead, 0, end)  # the first line with ink, past any number of blank ones
            if ink is not None:
                start = self.ahead.rfind(b"\n", 0, ink.start()) + 1
                stop = self.ahead.find(b"\n", ink.start(), end)
                try:
                    inked = bytes(self.ahead[start:end if stop < 0 else stop]).decode("utf-8")
                except UnicodeDecodeError:
                    return False  # the read reports it, with its line
                if self.delimiter is None:
                    self.delimiter = self.sniff(inked)
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
        leading = _TAB_LEADING_BLANK if self.delimiter == "\t" and not self.json_lines else _LEADING_BLANK
        lead = leading.match(chunk)  # blank lines before the block's first row: counted, not parsed
        if lead and chunk.find(b"\r", 0, lead.end()) < 0:  # (a carriage return alone ends a line for csv)
            first_line += chunk.count(b"\n", 0, lead.end())
            chunk = chunk[lead.end():]
        text = decode(chunk, self.name, first_line)
        if self.json_lines:
            return read_json_lines(text, self.name, first_line, self.columns, self.key, order=self.classes)
        if self.delimiter is None:
            self.delimiter = self.sniff(text)
        if first_block:  # resolved against the header (or the first row) once, for every block
            self.columns = pick_columns(text, self.name, self.delimiter, self.columns, first_line=first_line)
        width = self.width if self.columns is None or self.width is None else self.columns.width
        return read_delimited(text, self.name, self.delimiter, first_line, header_allowed=first_block,
                              width=width, large=self.large, columns=self.columns)

    def _check_consistent(self, block: Operand) -> None:
        if self.width is None:
            self.classes, self.width = block.classes, block.shape[1]
            return
        if block.shape[1] != self.width or (self.json_lines and block.classes != self.classes):
            raise DataError(block.where(0), f"this row has {count_of(block.shape[1], 'value', 'values')}"
                            + (" or other classes" if self.json_lines else "")
                            + f"; the first row has {self.width}", "every row needs one value per class")
        block.classes = self.classes


def _is_header(line: str, delimiter: str) -> bool:
    """:func:`divcli.readers.text.is_header`, at once when the first cell is plainly a number (a row of
    millions of numbers is then not split twice)."""
    if delimiter != WHITESPACE:
        first = line[:line.find(delimiter, 0, 1000)].strip() if delimiter in line[:1000] else ""
        if first and '"' not in first and looks_numeric(first):
            return False
    return is_header(line, delimiter)


