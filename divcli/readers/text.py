"""Delimited text (CSV, TSV, TXT and sniffed standard input): the careful reader.

It reads every cell by the number grammar (:mod:`divcli.readers.numbers`) and names the line and
column of whatever is wrong. Large plain tables go to a C parser first (:mod:`divcli.readers.fast`),
which declines anything it would read otherwise.
"""

from __future__ import annotations

import csv
import io
import re
import sys

import numpy as np

from .columns import ColumnChoice, Picked
from ..errors import DataError, show_value
from ..vocabulary import count_of
from . import fast
from .numbers import cell_error, is_decimal_comma, is_header_row, looks_numeric, parse_number, with_range_warnings
from .operand import STDIN_NAME, WHITESPACE, Operand

# A cell is as long as the user wrote it (a number may have many digits): the csv module's default
# limit of 128 KiB would end the read with its own words. The whole text is in memory already.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def is_header(line: str, delimiter: str) -> bool:
    """A first row is a header when none of its cells looks like a number (cells as the reader
    splits them, quotes and all)."""
    try:
        cells = next(iter(split_records(line.strip("\r\n"), "", delimiter)), (0, []))[1]
    except DataError:
        return False
    return any(cells) and is_header_row(cells)



def sniff_delimiter(text: str) -> str:
    """The delimiter of a delimited text: tab, ``;`` or ``,`` on its first non-blank line, else
    runs of whitespace (:data:`WHITESPACE`), as ``numpy.savetxt`` writes."""
    line = _first_inked_line(text)
    for delimiter in ("\t", ";", ","):
        if delimiter in line:
            return delimiter
    return WHITESPACE


def extension_delimiter(text: str, default: str) -> str:
    """The delimiter of a file whose extension names one (``default``: ``,`` for .csv, tab for
    .tsv), unless its first non-blank line, quoted cells aside, says otherwise: a line without
    ``default`` but with another delimiter is sniffed as standard input is (Excel's ``a;b;c`` in a
    .csv), a line of numbers apart by spaces is numpy.savetxt's, and a .csv line whose commas are
    all decimal commas between semicolons (``0,2;0,8``) is semicolon-separated. A line of one cell
    keeps ``default`` (a header may hold a space: "class index")."""
    line = _first_inked_line(text)
    bare = _QUOTED.sub("", line)
    if default == "," and ";" in bare and all(is_decimal_comma(part.strip()) for part in bare.split(";") if "," in part):
        return ";"
    if default in bare:
        return default
    if any(delimiter in bare for delimiter in ("\t", ";", ",")) and not is_decimal_comma(bare.strip()):
        return sniff_delimiter(bare)  # (a lone 0,5 is one cell with a decimal comma, not two numbers)
    cells = line.split()
    return WHITESPACE if len(cells) > 1 and all(looks_numeric(cell) for cell in cells) else default


def _first_inked_line(text: str) -> str:
    """The first line with more than whitespace: a line of tabs alone says no delimiter (in a .tsv
    it is a row of empty cells, in any other text a blank line)."""
    ink = _INK.search(text)
    if ink is None:
        return ""
    start = text.rfind("\n", 0, ink.start()) + 1
    end = text.find("\n", ink.start())
    return text[start:] if end < 0 else text[start:end]


_INK = re.compile(r"[^ \t\r\n\x0b\x0c]")


#: Blank lines (nothing but spaces, tabs and carriage returns) after the newline that ends a line
#: with ink, and blank lines from where a line starts: one character class repeated, so a run of
#: any length is found at C speed (an alternation such as ``(?:\A|\n)`` would be 7 times slower).
_BLANK_LINES = re.compile(r"\n[ \t\r\n\x0b\x0c]*\n")
_BLANK_FROM = re.compile(r"[ \t\r\n\x0b\x0c]*\n")
_SPACE = " \t\r\n\x0b\x0c"
#: The same where tab is the delimiter: a line of tabs is a row of empty cells (a row of missing
#: values, as pandas writes NaN), an error as a .csv's ``,,`` is, never a blank line skipped.
_TAB_BLANK_LINES = re.compile(r"\n[ \r\n\x0b\x0c]*\n")
_TAB_BLANK_FROM = re.compile(r"[ \r\n\x0b\x0c]*\n")
_TAB_SPACE = " \r\n\x0b\x0c"
#: A quoted cell (a quote inside one is written twice, which leaves two quoted runs: both removed).
_QUOTED = re.compile(r'"[^"]*"')
#: Text searched for blank lines at a time: the first record costs no scan of the whole text.
_WINDOW = 1 << 20


def split_records(text: str, name: str, delimiter: str, first_line: int = 1):
    """Yield ``(physical line, cells)`` for every record, cells stripped; blank lines are skipped
    (found by regular expressions, never one Python call a blank line, however many there are)."""
    tabs = delimiter == "\t"
    blank_from, blank_lines = (_TAB_BLANK_FROM, _TAB_BLANK_LINES) if tabs else (_BLANK_FROM, _BLANK_LINES)
    text = _without_blank_end(text, _TAB_SPACE if tabs else _SPACE)
    position, line = 0, first_line
    while position < len(text):
        blank = blank_from.match(text, position)
        if blank:  # blank lines where a line starts
            line += _line_ends(text, position, blank.end(), delimiter)
            position = blank.end()
            continue
        window = position + _WINDOW
        blank = blank_lines.search(text, position, window)
        if blank is not None:
            stop = blank.start() + 1  # the segment keeps the newline of its last line
        elif window >= len(text):
            stop = len(text)
        else:  # whole lines up to the window's end (or one line longer than the window)
            stop = text.rfind("\n", position, window) + 1 or text.find("\n", window) + 1 or len(text)
        yield from _split_segment(text[position:stop], name, delimiter, line)
        line += _line_ends(text, position, stop, delimiter)
        position = stop


def _without_blank_end(text: str, space: str = _SPACE) -> str:
    """``text`` without the blank lines (of ``space`` alone) at its end (its last line with ink keeps
    its own spaces); copied only when there are such lines, and only its end is looked at."""
    end, step = len(text), 64
    while end > 0:
        piece = text[max(0, end - step):end]
        kept = piece.rstrip(space)
        if kept:
            last = end - len(piece) + len(kept)  # just past the last character with ink
            newline = text.find("\n", last)
            return text if newline < 0 or newline + 1 == len(text) else text[:newline + 1]
        end, step = end - len(piece), step * 2
    return ""


def _line_ends(text: str, start: int, stop: int, delimiter: str) -> int:
    """The line ends in ``text[start:stop]``: newlines, and for the csv module a carriage return alone too."""
    ends = text.count("\n", start, stop)
    if delimiter != WHITESPACE and text.find("\r", start, stop) >= 0:
        ends += text.count("\r", start, stop) - text.count("\r\n", start, stop)
    return ends


def _split_segment(text: str, name: str, delimiter: str, first_line: int):
    """:func:`split_records` of lines none of which is blank."""
    if delimiter == WHITESPACE:
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        for number, line in enumerate(lines, start=first_line):
            yield number, line.split()
        return
    start = 1  # the line the next record starts on

    def lines():
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            if number > start:  # the reader wants a line past the record's first: a quote is open
                raise _run_over(name, start + first_line - 1)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter, strict=True)
    try:
        for record in reader:
            yield start + first_line - 1, [cell.strip() for cell in record]
            start = reader.line_num + 1
    except csv.Error as error:
        if str(error).startswith("unexpected end of data"):  # a quote still open at the end
            raise _run_over(name, start + first_line - 1) from None
        raise DataError(f"{name}:{reader.line_num + first_line - 1}", *_csv_error(str(error))) from None


def _csv_error(message: str) -> tuple[str, str | None]:
    """What the csv module's error means, in divcli's words (never the module's own)."""
    if "expected after" in message:  # strict: text after a closing quote
        return "text follows the closing quote of a quoted cell", 'quote the whole cell, writing a quote in it as ""'
    if "NUL" in message:
        return "a NUL byte: this is a binary file, not text", "give a .csv, .tsv, .txt, .json or .jsonl file"
    return "malformed quoting", 'quote a whole cell, writing a quote in it as ""'


def _run_over(name: str, line: int) -> DataError:
    """A quoted cell that a line end does not close: a cell holds one number or name, on its line
    (the same error whether the text is read whole or in blocks cut at line ends)."""
    return DataError(f"{name}:{line}", "a quoted cell runs over the end of its line",
                     "close the quote on the same line")



def _empty_cells(name: str, line: int) -> DataError:
    return DataError(f"{name}:{line}", "a row of empty cells (only delimiters, no value)",
                     "remove the line, or write its values")


def pick_columns(text: str, name: str, delimiter: str, columns: ColumnChoice | Picked | None,
                 header_allowed: bool = True, first_line: int = 1) -> Picked | None:
    """``columns`` resolved against the first non-blank row of ``text`` (a header, or a row whose
    cells are counted); a :class:`~divcli.readers.columns.Picked` is returned as it is."""
    if columns is None or isinstance(columns, Picked):
        return columns
    records = split_records(text, name, delimiter, first_line)
    for line, record in records:
        if not any(record) and len(record) > 1:  # a line of delimiters: the error read_delimited gives
            raise _empty_cells(name, line)
        if not any(record):
            continue
        if len(record) > 1 and record[-1] == "":
            record = record[:-1]
        header = header_allowed and is_header_row(record)
        if header and not columns.given and _bins_named(record, next(records, (0, None))[1]):
            columns = ColumnChoice(names=record[0])
        return columns.resolve(record if header else None, len(record), name)
    return None


#: The header of a histogram's counts or shares, as pandas' ``value_counts()`` names them.
COUNT_HEADERS = ("count", "proportion")


def _bins_named(header: list[str], first: list[str] | None) -> bool:
    """A histogram as people write it (``bin,count``, pandas' ``value_counts().to_csv()``): a header
    of two cells over rows of a name and a number, or of a value and its ``count`` (or
    ``proportion``). Its first column then names the rows, as pandas' index column does."""
    if len(header) != 2 or not header[0] or first is None:
        return False
    cells = first[:-1] if len(first) > 2 and first[-1] == "" else first
    if len(cells) != 2 or not looks_numeric(cells[1]):
        return False
    return not looks_numeric(cells[0]) or header[1].lower() in COUNT_HEADERS


def read_delimited(text: str, name: str, delimiter: str, first_line: int = 1, header_allowed: bool = True,
                   width: int | None = None, large: bool | None = None,
                   columns: ColumnChoice | Picked | None = ColumnChoice()) -> Operand:
    """Parse delimited text: a header row when its first non-blank row holds no number.

    A block of a longer text starts at ``first_line``; its rows need ``width`` values, and only the
    first block may hold the header (``header_allowed``). ``large`` says that the whole input is
    large enough for pyarrow's parser (by default: this text is).
    """
    large = len(text) >= fast.ARROW_MIN_BYTES if large is None else large
    picked = pick_columns(text, name, delimiter, columns, header_allowed, first_line)
    fast_read = fast.read_fast(text, name, delimiter, first_line, header_allowed, width, arrow=large, picked=picked)
    if fast_read is not None:
        return fast_read
    return _read_careful(text, name, delimiter, first_line, header_allowed, width or 0, picked)


def _read_careful(text: str, name: str, delimiter: str, first_line: int, header_allowed: bool, width: int,
                  picked: Picked | None) -> Operand:
    """:func:`read_delimited` a record at a time, for whatever the C parsers decline.

    One pass over the records tells every fault apart (blank, header, duplicate class, ragged row,
    bad cell) where it is found, so that each message names its line and column.
    """
    classes: list[str] | None = None
    header_line = 0
    lines: list[int] = []
    cells: list[list[str]] = []
    rows: list[list[float]] = []
    row_names: list[str] | None = None if picked is None or picked.names is None else []
    written = None if picked is None else picked.keep
    for line, record in split_records(text, name, delimiter, first_line):
        record = _record_cells(record, name, line)
        if record is None:
            continue
        if header_allowed and not rows and classes is None and is_header_row(record):
            header_line, width = line, len(record)
            classes = _header_classes(record, picked, name, line)
            continue
        width = _checked_width(record, width, picked, name, line, header_line, lines)
        chosen = record if picked is None else picked.cells(record)
        rows.append(_row_values(chosen, record, written, name, line, delimiter))
        cells.append(chosen)
        lines.append(line)
        if row_names is not None:
            row_names.append(record[picked.names])
    if not rows:
        raise _no_rows(name, classes)
    return with_range_warnings(Operand(np.array(rows, dtype=np.float64), name, classes, lines, cells,
                                        row_names=row_names, written_columns=written))


def _record_cells(record: list[str], name: str, line: int) -> list[str] | None:
    """The cells of a record that holds values, without one trailing delimiter; ``None`` for a blank
    line the csv module sees (after a carriage return alone). A line of delimiters is an error."""
    if not any(record):
        if len(record) <= 1:
            return None
        raise _empty_cells(name, line)  # no blank line: a line of delimiters
    if len(record) > 1 and record[-1] == "":
        return record[:-1]  # one trailing delimiter
    return record


def _header_classes(record: list[str], picked: Picked | None, name: str, line: int) -> list[str]:
    """The class names of a header row (the picked columns only), each named once: a class named
    twice could not be told apart in the output."""
    classes = record if picked is None else picked.cells(record)
    if len(set(classes)) != len(classes):
        duplicate = next(c for c in classes if classes.count(c) > 1)
        raise DataError(f"{name}:{line}", f"the header names class {show_value(duplicate)} twice")
    return classes


def _checked_width(record: list[str], width: int, picked: Picked | None, name: str, line: int,
                   header_line: int, lines: list[int]) -> int:
    """The width of a row of values, which must be the ``width`` set before it (0: none yet) by the
    header on ``header_line`` or the first row read (``lines[0]``), and that of the row the picked
    columns were resolved against: a ragged row has no class for some value."""
    if width and len(record) != width:
        seen = (f"the header on line {header_line}" if header_line else
                f"line {lines[0]}" if lines else "the first row")
        raise DataError(
            f"{name}:{line}",
            f"this row has {count_of(len(record), 'value', 'values')}, {seen} has {width}",
            "every row needs one value per class",
        )
    width = len(record)
    if picked is not None and width != picked.width:
        raise DataError(f"{name}:{line}",
                        f"this row has {count_of(width, 'value', 'values')}, the first row has {picked.width}",
                        "every row needs one value per class")
    return width


def _row_values(chosen: list[str], record: list[str], written: tuple[int, ...] | None, name: str, line: int,
                delimiter: str) -> list[float]:
    """The numbers of one row's chosen cells; a cell that is no number is an error naming its line
    and the column the user wrote (``written``, when columns were picked)."""
    values = []
    for col, cell in enumerate(chosen):
        try:
            values.append(parse_number(cell))
        except ValueError as error:
            raise cell_error(f"{name}:{line}:{(col if written is None else written[col]) + 1}", cell, str(error),
                             delimiter, ",".join(record)) from None
    return values


def _no_rows(name: str, classes: list[str] | None) -> DataError:
    """A text without a row of numbers (with or without a header); standard input is no file."""
    what = "the file has a header but no rows" if classes else "no numbers found"
    return DataError(name, what if name != STDIN_NAME else what.replace("file", "input"))
