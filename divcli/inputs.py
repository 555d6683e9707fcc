"""Operands → arrays: files, standard input and literals, with where each value came from.

An operand is one of

* a path to a delimited text file (``.csv``, ``.tsv``, ``.txt``), a JSON file (``.json``) or a
  JSON Lines file (``.jsonl``, ``.ndjson``);
* ``-`` for standard input, sniffed: JSON when the first non-blank character is ``[`` or ``{``,
  delimited text otherwise;
* a literal: numbers separated by commas, rows by ``;`` (``"0.2,0.8;0.5,0.5"``), or a JSON array.

Every number is a decimal, scientific, ``inf``/``-inf`` or a fraction ``a/b``; ``nan`` is never a
value. Whatever is wrong raises :class:`~divcli.errors.DataError` naming the file (or ``<stdin>``, or
the literal), the physical line and the column where they are known.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import stat
import sys
import tokenize
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import BinaryIO

import numpy as np

from .columns import ColumnChoice, Picked, name_text, pick_values
from .errors import DataError, foreign_digit, show_value

STDIN = "-"
STDIN_NAME = "<stdin>"

# Only the ASCII digits 0-9 are digits (re.ASCII): Python's float() also reads '١' and '５'.
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"(?:{_DECIMAL}|[+-]?inf(?:inity)?)", re.IGNORECASE | re.ASCII)
_FRACTION = re.compile(rf"({_DECIMAL})\s*/\s*({_DECIMAL})", re.ASCII)
_NAN = re.compile(r"[+-]?nan", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
#: A number written with other digits (Arabic-Indic, fullwidth …): meant as a number, never a class name.
_ANY_DIGITS_NUMBER = re.compile(rf"{_DECIMAL}(?:\s*/\s*{_DECIMAL})?|[+-]?\d+,\d+")
#: The delimiters a cell may hold when the file was read with another one.
_OTHER_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_OPTION_VALUE = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}

# A cell is as long as the user wrote it (a number may have many digits): the csv module's default
# limit of 128 KiB would end the read with its own words. The whole text is in memory already.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

DELIMITED_EXTENSIONS = {".csv": ",", ".tsv": "\t", ".txt": None}
JSON_EXTENSIONS = {".json"}
JSON_LINES_EXTENSIONS = {".jsonl", ".ndjson"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
KNOWN_EXTENSIONS = {*DELIMITED_EXTENSIONS, *JSON_EXTENSIONS, *JSON_LINES_EXTENSIONS, *PARQUET_EXTENSIONS,
                    ".npy", ".npz"}


@dataclass
class Operand:
    """The numbers of one operand (or of a block of its rows), N rows × C classes, and where each
    came from.

    ``lines[i]`` is the physical line of row ``i`` (0 where unknown); ``cells[i][j]`` is the text the
    user wrote for value ``(i, j)`` (``None`` for JSON, whose numbers have no text of their own).
    ``first_row`` is the index of row 0 in the whole operand. After :meth:`transposed`
    (``--columns``) ``lines`` and ``cells`` stay as written and positions follow the values.
    """

    values: np.ndarray
    name: str
    classes: list[str] | None = None
    lines: list[int] | np.ndarray | None = None
    cells: list[list[str]] | None = None
    is_transposed: bool = False
    row_names: list[str] | None = field(default=None)
    warnings: list[str] = field(default_factory=list)
    #: (text, delimiter, its first physical line) when cells were not kept: see text()
    source: tuple[str, str, int] | None = None
    first_row: int = 0
    #: the column as written of each value column, when --select, --drop or --names left some out
    written_columns: tuple[int, ...] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def rows(self) -> int:
        return self.values.shape[0]

    def _written(self, row: int, col: int | None) -> tuple[int | None, int | None, int | None]:
        """(index into lines and cells, row as written counted from 0, column as written)."""
        if self.is_transposed:
            return col, col, None if row is None else self._as_written(row + self.first_row)
        return row, None if row is None else row + self.first_row, self._as_written(col)

    def _as_written(self, col: int | None) -> int | None:
        return col if col is None or self.written_columns is None else self.written_columns[col]

    def where(self, row: int | None = None, col: int | None = None) -> str:
        """``p.csv:3:2``, ``<stdin>:3``, ``p.json: row 2, item 1`` or ``literal '…': row 2``."""
        if row is None:
            return self.name
        local, written_row, written_col = self._written(row, col)
        if local is None:
            return f"{self.name}: item {written_col + 1}"
        line = int(self.lines[local]) if self.lines is not None else 0
        if line:
            return f"{self.name}:{line}" + (f":{written_col + 1}" if written_col is not None else "")
        place = f"row {written_row + 1}" + (f", item {written_col + 1}" if written_col is not None else "")
        return f"{self.name}: {place}"

    def text(self, row: int, col: int) -> str:
        """The value at ``(row, col)`` as the user wrote it (or its shortest float text)."""
        local, _, written_col = self._written(row, col)
        if self.cells is not None:  # the chosen cells only
            return self.cells[local][row + self.first_row if self.is_transposed else col]
        if self.source is not None and self.lines is not None:
            text, delimiter, first_line = self.source
            cells = _split_line(_nth_line(text, int(self.lines[local]) - first_line + 1), delimiter)
            if written_col < len(cells):
                return cells[written_col]
        return repr(float(self.values[row, col]))

    def transposed(self) -> "Operand":
        """Each column taken as a distribution (``--columns``): header cells now name the rows."""
        return replace(self, values=np.ascontiguousarray(np.asarray(self.values, dtype=np.float64).T),
                       classes=self.row_names, row_names=self.classes, is_transposed=not self.is_transposed)

    def rows_slice(self, start: int, stop: int) -> "Operand":
        """Rows ``start:stop`` as an operand of their own, in float64 whatever the stored dtype."""
        part = slice(start, stop)
        by_row = not self.is_transposed
        return replace(
            self,
            values=np.asarray(self.values[part], dtype=np.float64),
            lines=self.lines[part] if by_row and self.lines is not None else self.lines,
            cells=self.cells[part] if by_row and self.cells is not None else self.cells,
            row_names=None if self.row_names is None else self.row_names[part],
            warnings=self.warnings if start == 0 else [],
            first_row=self.first_row + start,
        )

    def as_column(self) -> "Operand":
        """One row of N values as N rows of one value (labels written across)."""
        if self.rows != 1:
            return self
        return replace(self, values=self.values.reshape(-1, 1), is_transposed=not self.is_transposed,
                       classes=None)


# --------------------------------------------------------------------------------------------
# numbers


def parse_number(text: str) -> float:
    """One number as divcli reads it; raises ``ValueError`` with the reason.

    >>> parse_number("9/25"), parse_number("-1e-3"), parse_number("inf")
    (0.36, -0.001, inf)
    """
    if _NUMBER.fullmatch(text):
        return float(text)
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        return _fraction(*fraction.groups(), text)
    if _NAN.fullmatch(text):
        raise ValueError("nan is not a value")
    if not text:
        raise ValueError("empty cell")
    digit = foreign_digit(text)
    if digit:
        raise ValueError(f"not a number: {show_value(text)}: {digit}")
    raise ValueError(f"not a number: {show_value(text)}")


_SMALL_DECIMAL = re.compile(r"[+-]?[\d.]{1,40}(?:[eE][+-]?\d{1,3})?", re.ASCII)


def _fraction(numerator_text: str, denominator_text: str, text: str) -> float:
    """``a/b`` correctly rounded (1/3 is the float64 nearest to a third) where that is cheap: exact
    rational arithmetic for short numbers, float division for huge exponents or digit runs (an
    exact 1e999999999 would take minutes)."""
    if float(denominator_text) == 0 and not re.search(r"[1-9]", denominator_text.split("e")[0].split("E")[0]):
        raise ValueError(f"division by zero in {show_value(text)}")
    if _SMALL_DECIMAL.fullmatch(numerator_text) and _SMALL_DECIMAL.fullmatch(denominator_text):
        quotient = Fraction(numerator_text) / Fraction(denominator_text)
        try:
            return float(quotient)
        except OverflowError:
            return math.inf if quotient > 0 else -math.inf
    with np.errstate(all="ignore"):
        value = float(np.float64(numerator_text) / np.float64(denominator_text))
    if math.isnan(value):
        raise ValueError(f"{show_value(text)} is beyond float64's range")
    return value


def range_warning(text: str, value: float) -> str | None:
    """A warning when the float64 of ``text`` is not what it says: under- or overflow."""
    if value == 0 and re.search(r"[1-9]", text.split("e")[0].split("E")[0]):
        return f"{show_value(text)} underflows float64 to 0"
    if math.isinf(value) and "inf" not in text.lower():
        return f"{show_value(text)} overflows float64 to {value}"
    return None


def _with_range_warnings(operand: Operand) -> Operand:
    """Note every cell whose float64 is 0 or infinite though its text is not (the first three)."""
    suspects = np.argwhere((operand.values == 0) | np.isinf(operand.values))
    found = []
    for row, col in suspects:
        warning = range_warning(operand.cells[row][col], float(operand.values[row, col]))
        if warning:
            found.append(f"{operand.where(int(row), int(col))}: {warning}")
    operand.warnings.extend(found[:3] + ([f"… and {len(found) - 3} more"] if len(found) > 3 else []))
    return operand


def is_header(line: str, delimiter: str) -> bool:
    """A first row is a header when none of its cells looks like a number (cells as the reader
    splits them, quotes and all)."""
    try:
        cells = next(iter(_split_records(line.strip("\r\n"), "", delimiter)), (0, []))[1]
    except DataError:
        return False
    return any(cells) and not any(_looks_numeric(cell) for cell in cells)


def _looks_numeric(text: str) -> bool:
    """A cell meant as a number, even a bad one (``nan``, ``0,36``, ``1/0``, ``٠.٥``): never a class name.

    A first row is a header only when none of its cells looks numeric, so a ``nan`` or a typo in
    the first row of data is reported, not silently taken for a header; so is a row of numbers
    joined by another delimiter than the file's (``0.2|0.8``).
    """
    parts = _other_delimiter_parts(text)
    if parts:  # a file read with the wrong delimiter; a quoted class name may hold a comma ("x, 1")
        numeric = [_looks_numeric(part) for part in parts if part]
        return bool(numeric) and (all(numeric) if "," in text else any(numeric))
    if _NUMBER.fullmatch(text) or _FRACTION.fullmatch(text) or _NAN.fullmatch(text) or _DECIMAL_COMMA.fullmatch(text):
        return True
    return not text.isascii() and bool(_ANY_DIGITS_NUMBER.fullmatch(unicodedata.normalize("NFKC", text)))


def _other_delimiter_parts(text: str) -> list[str] | None:
    """The parts of a cell split at a delimiter it holds (``;``, tab, ``|``, or ``,`` unless it
    makes a decimal comma such as ``0,36``), or None when it holds none."""
    for delimiter in _OTHER_DELIMITERS:
        if delimiter in text and not (delimiter == "," and _DECIMAL_COMMA.fullmatch(text)):
            return [part.strip() for part in text.split(delimiter)]
    return None


def _cell_error(where: str, text: str, reason: str, delimiter: str, line: str = "") -> DataError:
    """A bad cell; ``line`` is its whole row, to recognise decimal commas split by a ``,`` delimiter.

    A cell that holds another delimiter between numbers (a .tsv of commas, a .txt of ``|``) says
    which and names ``--delimiter``; a decimal comma (``0,36``) gets the decimal point's hint."""
    hints = []
    parts = _other_delimiter_parts(text) or []
    other = next((d for d in _OTHER_DELIMITERS if d in text), None) if parts else None
    if other is not None and any(_looks_numeric(part) for part in parts):
        hints.append(f"the cells hold {_OPTION_VALUE[other]} between numbers, as a {_OTHER_DELIMITERS[other]}-"
                     f"separated file does: pass --delimiter {_OPTION_VALUE[other]}")
    if (_DECIMAL_COMMA.fullmatch(text) or any(_DECIMAL_COMMA.fullmatch(part) for part in parts)
            or (delimiter == "," and other is not None and _DECIMAL_COMMA.search(line))):
        hints.append("divcli reads '.' as the decimal point: write 0.36, not 0,36")
    return DataError(where, reason, "; ".join(hints) or None)


# --------------------------------------------------------------------------------------------
# delimited text


WHITESPACE = " "  # as a delimiter: runs of spaces and tabs


def sniff_delimiter(text: str) -> str:
    """The delimiter of a delimited text: tab, ``;`` or ``,`` on its first non-blank line, else
    runs of whitespace (:data:`WHITESPACE`), as ``numpy.savetxt`` writes."""
    for line in text.split("\n"):
        if line.strip():
            for delimiter in ("\t", ";", ","):
                if delimiter in line:
                    return delimiter
            break
    return WHITESPACE


def _split_records(text: str, name: str, delimiter: str, first_line: int = 1):
    """Yield ``(physical line, cells)`` for every record, cells stripped."""
    if delimiter == WHITESPACE:
        for number, line in enumerate(text.split("\n"), start=first_line):
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


def _nth_line(text: str, number: int) -> str:
    """Physical line ``number`` (1-based) of ``text``."""
    start = 0
    for _ in range(number - 1):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def _split_line(line: str, delimiter: str) -> list[str]:
    return line.split() if delimiter == WHITESPACE else [cell.strip() for cell in line.split(delimiter)]


#: Text this large goes to a C parser first (plain numeric tables only).
FAST_MIN_CHARS = 1 << 16
#: Inputs this large go to pyarrow's CSV parser instead of numpy's, when pyarrow is installed
#: (``pip install "divcli[fast]"``); pyarrow is imported only then, so small calls stay fast.
ARROW_MIN_BYTES = 8 << 20
#: Rows this wide go to numpy's parser: pyarrow's costs much for every column.
ARROW_MAX_COLUMNS = 1 << 12
_BIG_EXPONENT = re.compile(r"e[+-]?0*\d{3}", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_LONE_CR = re.compile(r"\r(?!\n)")


def _not_for_fast(text: str) -> bool:
    """What a C parser would read differently from the careful reader: quotes, fractions, nan,
    numbers that may under- or overflow, blank lines (they would shift line numbers). Each regular
    expression runs only when a plain substring search says it may match."""
    if '"' in text or "/" in text or "0" * 300 in text or not text[:1].strip():
        return True
    if ("n" in text or "N" in text) and "nan" in text.lower():
        return True
    if ("e" in text or "E" in text) and _BIG_EXPONENT.search(text):
        return True
    if "\r" in text and _LONE_CR.search(text):
        return True  # a carriage return alone ends a line for pyarrow, not for the careful reader
    return bool(_BLANK_LINE.search(text))  # one pass, and faster than any test before it


def _arrow():
    """pyarrow with its CSV reader, or None when it is not installed."""
    try:
        import pyarrow
        import pyarrow.csv  # noqa: F401 - the submodule is what is used
    except ImportError:
        return None
    return pyarrow


def _parse_arrow(body: str, delimiter: str, columns: int, keep: tuple[int, ...] | None = None) -> np.ndarray | None:
    """Rows of ``columns`` float64 numbers by pyarrow's CSV reader, or None for anything it reads
    otherwise than the careful reader would (a cell that is no number; a bare carriage return, which
    ends a line for pyarrow, never gets here: :func:`_not_for_fast` declines it for both C parsers)."""
    pa = _arrow()
    if pa is None:
        return None
    csv_module = pa.csv
    wanted = range(columns) if keep is None else keep
    try:
        table = csv_module.read_csv(
            pa.py_buffer(body.encode()),
            read_options=csv_module.ReadOptions(autogenerate_column_names=True, use_threads=True),
            parse_options=csv_module.ParseOptions(delimiter=delimiter, quote_char=False, double_quote=False,
                                                  escape_char=False, newlines_in_values=False,
                                                  ignore_empty_lines=False),
            convert_options=csv_module.ConvertOptions(
                column_types={f"f{i}": pa.float64() for i in wanted}, null_values=[],
                include_columns=[f"f{i}" for i in wanted],
                strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_columns != len(wanted) or any(column.type != pa.float64() for column in table.columns):
        return None
    values = np.empty((table.num_rows, len(wanted)), dtype=np.float64)
    for index, column in enumerate(table.columns):
        values[:, index] = column.to_numpy()
    return values


def _read_fast(text: str, name: str, delimiter: str, first_line: int = 1, header_allowed: bool = True,
               width: int | None = None, arrow: bool = False, picked: Picked | None = None) -> Operand | None:
    """A C parser for a plain numeric table, or None to leave it to the careful reader: pyarrow's
    when ``arrow`` (a large input) and it is installed, else numpy's.

    The careful reader runs whenever this one declines or fails, so every error is still reported
    with its line and column, and every value reads the same (a property the tests check).
    """
    if len(text) < FAST_MIN_CHARS or _not_for_fast(text):
        return None
    first_end = text.find("\n")
    first_line_text = text if first_end < 0 else text[:first_end]
    first = _split_line(first_line_text[:100], delimiter)[:1]  # a row of millions is split only when needed
    if not (first and _looks_numeric(first[0])) or len(first_line_text) <= 100:
        first = _split_line(first_line_text, delimiter)
    header = header_allowed and not any(_looks_numeric(cell) for cell in first)
    body = text[first_end + 1:] if header else text
    if not body.strip():
        return None  # a header alone: the careful reader says so (numpy would warn "no data")
    row_names = None
    if picked is not None:
        if delimiter == WHITESPACE:
            return None  # the careful reader counts the cells of every row
        lines = body.split("\n")
        if lines and not lines[-1]:
            lines.pop()
        if any(line.count(delimiter) != picked.width - 1 for line in lines):
            return None  # a ragged row (or a trailing delimiter): the careful reader says where
        if picked.names is not None:
            row_names = [line.split(delimiter)[picked.names].strip() for line in lines]
    wide = first_line_text.count(delimiter) >= ARROW_MAX_COLUMNS if delimiter != WHITESPACE else False
    if arrow and not wide and delimiter != WHITESPACE and len(delimiter) == 1 and _arrow() is not None:
        if header:
            second_end = body.find("\n")
            columns = len(_split_line(body if second_end < 0 else body[:second_end], delimiter))
        else:
            columns = len(_split_line(first_line_text, delimiter))
        values = _parse_arrow(body, delimiter, columns, None if picked is None else picked.keep)
        if values is None:
            return None
    else:
        try:
            values = np.loadtxt(io.StringIO(body), delimiter=None if delimiter == WHITESPACE else delimiter,
                                dtype=np.float64, comments=None, ndmin=2, encoding=None,
                                usecols=None if picked is None else picked.keep)
        except ValueError:
            return None
    raw_width = values.shape[1] if picked is None else picked.width
    if values.size == 0 or (header and (len(first) != raw_width or len(set(first)) != len(first))):
        return None
    if np.isnan(values).any():
        return None  # nan is never a value: the careful reader says where
    if np.isinf(values).any() and "inf" not in text.lower():
        return None  # a long run of digits overflowed: the careful reader warns about it
    if width is not None and raw_width != width:
        return None  # ragged against an earlier block: the careful reader says where
    lines = np.arange(values.shape[0]) + (first_line + 1 if header else first_line)
    classes = (first if picked is None else picked.cells(first)) if header else None
    return Operand(values, name, classes, lines, source=(text, delimiter, first_line), row_names=row_names,
                   written_columns=None if picked is None else picked.keep)


def pick_columns(text: str, name: str, delimiter: str, columns: ColumnChoice | Picked | None,
                 header_allowed: bool = True) -> Picked | None:
    """``columns`` resolved against the first non-blank row of ``text`` (a header, or a row whose
    cells are counted); a :class:`~divcli.columns.Picked` is returned as it is."""
    if columns is None or isinstance(columns, Picked):
        return columns
    for _, record in _split_records(text, name, delimiter):
        if not any(record):
            continue
        if len(record) > 1 and record[-1] == "":
            record = record[:-1]
        header = header_allowed and not any(_looks_numeric(cell) for cell in record)
        return columns.resolve(record if header else None, len(record), name)
    return None


def read_delimited(text: str, name: str, delimiter: str, first_line: int = 1, header_allowed: bool = True,
                   width: int | None = None, large: bool | None = None,
                   columns: ColumnChoice | Picked | None = ColumnChoice()) -> Operand:
    """Parse delimited text: a header row when its first non-blank row holds no number.

    A block of a longer text starts at ``first_line``; its rows need ``width`` values, and only the
    first block may hold the header (``header_allowed``). ``large`` says that the whole input is
    large enough for pyarrow's parser (by default: this text is).
    """
    large = len(text) >= ARROW_MIN_BYTES if large is None else large
    picked = pick_columns(text, name, delimiter, columns, header_allowed)
    fast = _read_fast(text, name, delimiter, first_line, header_allowed, width, arrow=large, picked=picked)
    if fast is not None:
        return fast
    classes: list[str] | None = None
    header_line = 0
    lines: list[int] = []
    cells: list[list[str]] = []
    rows: list[list[float]] = []
    row_names: list[str] | None = None if picked is None or picked.names is None else []
    written = None if picked is None else picked.keep
    expected = width or 0
    width = expected
    for line, record in _split_records(text, name, delimiter, first_line):
        if not any(record):
            continue  # a blank line
        if len(record) > 1 and record[-1] == "":
            record = record[:-1]  # one trailing delimiter
        if header_allowed and not rows and classes is None and not any(_looks_numeric(cell) for cell in record):
            header_line = line
            width = len(record)
            classes = record if picked is None else picked.cells(record)
            if len(set(classes)) != len(classes):
                duplicate = next(c for c in classes if classes.count(c) > 1)
                raise DataError(f"{name}:{line}", f"the header names class {show_value(duplicate)} twice")
            continue
        if width and len(record) != width:
            seen = (f"the header on line {header_line}" if header_line else
                    f"line {lines[0]}" if rows else "the first row")
            raise DataError(
                f"{name}:{line}",
                f"this row has {len(record)} values, {seen} has {width}",
                "every row needs one value per class",
            )
        width = len(record)
        if picked is not None and width != picked.width:
            raise DataError(f"{name}:{line}", f"this row has {width} values, the first row has {picked.width}",
                            "every row needs one value per class")
        chosen = record if picked is None else picked.cells(record)
        values = []
        for col, cell in enumerate(chosen):
            try:
                values.append(parse_number(cell))
            except ValueError as error:
                raise _cell_error(f"{name}:{line}:{(col if written is None else written[col]) + 1}", cell, str(error),
                                  delimiter, ",".join(record)) from None
        rows.append(values)
        cells.append(chosen)
        lines.append(line)
        if row_names is not None:
            row_names.append(record[picked.names])
    if not rows:
        what = "the file has a header but no rows" if classes else "no numbers found"
        raise DataError(name, what if name != STDIN_NAME else what.replace("file", "input"))
    return _with_range_warnings(Operand(np.array(rows, dtype=np.float64), name, classes, lines, cells,
                                        row_names=row_names, written_columns=written))


# --------------------------------------------------------------------------------------------
# JSON and JSON Lines


def _reject_constant(constant: str):
    raise ValueError(f"{constant} is not a value")


class _HugeInteger(str):
    """A JSON integer too long for float64, kept as its text (Python's int() stops at 4300 digits,
    with words about sys.set_int_max_str_digits)."""


def _parse_int(text: str):
    return int(text) if len(text) < 400 else _HugeInteger(text)


class _DuplicateKeys(dict):
    """A JSON object that names a key twice (``json`` would keep the last silently): refused by
    :func:`_json_row`, which knows where the object is."""

    duplicate = ""


def _object(pairs: list) -> dict:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    found = _DuplicateKeys(found)
    seen: set = set()
    found.duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
    return found


def _json_number(value, where: str) -> float:
    if isinstance(value, _HugeInteger):
        raise DataError(where, f"number too large for float64: {show_value(value)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = json.dumps(value)[:40] if not isinstance(value, (list, dict)) else type(value).__name__
        raise DataError(where, f"not a number: {shown}", "only JSON numbers are values")
    try:
        return float(value)
    except OverflowError:
        raise DataError(where, f"number too large for float64: {str(value)[:40]}") from None


def _json_number_at(value, where_item, key) -> float:
    """:func:`_json_number`, locating the value (``where_item(key)``) only when it is wrong."""
    if isinstance(value, float) or isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1 << 1000:
        return float(value)
    return _json_number(value, where_item(key))


def _json_row(item, where_row, where_item, columns: ColumnChoice | None = None,
              name: str = "") -> tuple[list[float], list[str] | None, str | None]:
    """One row: a list of numbers, or an object of class name → number; and its name (``--names``).
    ``where_row()`` and ``where_item(key)`` locate the row and a value, asked only for an error."""
    if columns is not None and isinstance(item, (dict, list)) and item and not isinstance(item, _DuplicateKeys):
        keys = list(item) if isinstance(item, dict) else None
        picked = columns.resolve(keys, len(item), name)
        if picked is not None:
            cells = list(item.values()) if keys else item
            values = [_json_number_at(cells[i], where_item, keys[i] if keys else i) for i in picked.keep]
            row_name = None if picked.names is None else _json_name(cells[picked.names])
            return values, None if keys is None else picked.cells(keys), row_name
    if isinstance(item, dict):
        if isinstance(item, _DuplicateKeys):
            raise DataError(where_row(), f"the object names class {show_value(item.duplicate)} twice",
                            "give each class once")
        if not item:
            raise DataError(where_row(), "an empty object has no classes")
        return [_json_number_at(v, where_item, k) for k, v in item.items()], list(item), None
    if isinstance(item, list):
        return [_json_number_at(v, where_item, i) for i, v in enumerate(item)], None, None
    raise DataError(where_row(), f"a row must be a list of numbers or an object, not {json.dumps(item)[:40]}")


def _json_name(value) -> str:
    """A row name from JSON: a string as it is, a number as written (``3``, not ``3.0``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return name_text(value) if isinstance(value, float) else str(value)
    return json.dumps(value)[:40]


def _load_json(text: str, where, warnings: list[str] | None = None) -> object:
    def parse_float(number: str) -> float:
        value = float(number)
        warning = range_warning(number, value) if (value == 0 or math.isinf(value)) else None
        if warning and warnings is not None:
            warnings.append(f"{where(None, None)}: {warning}")
        return value

    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=parse_float, parse_int=_parse_int,
                          object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        digit = foreign_digit(text[error.pos:error.pos + 1])
        if digit:
            raise DataError(where(error.lineno, error.colno), f"not a JSON number: {digit}") from None
        raise DataError(where(error.lineno, error.colno), f"invalid JSON: {error.msg}") from None
    except ValueError as error:  # NaN / Infinity from parse_constant
        raise DataError(where(None, None), str(error), "only finite JSON numbers are values") from None
    except RecursionError:
        raise DataError(where(None, None), "JSON nested too deeply") from None


def _rows_to_operand(parsed_rows, name, lines, where=None) -> Operand:
    """Check that JSON rows agree in length and class names, then stack them."""
    rows: list[list[float]] = []
    classes: list[str] | None = None
    names = [row_name for _, _, row_name in parsed_rows]
    for index, (values, keys, _) in enumerate(parsed_rows):
        def here(index=index) -> str:  # located only for an error (locating a JSON row scans the text)
            return f"{name}:{lines[index]}" if lines else where(index)

        if index == 0:
            classes = keys
        elif (keys is None) != (classes is None):
            raise DataError(here(), "mixes objects and lists", "write every row the same way")
        elif keys is not None and keys != classes:
            if set(keys) == set(classes):
                raise DataError(here(), "the classes are in a different order than in the first row")
            raise DataError(here(), f"the classes {sorted(set(keys) ^ set(classes))[:5]} are not in every row")
        if rows and len(values) != len(rows[0]):
            raise DataError(here(), f"this row has {len(values)} values, the first has {len(rows[0])}",
                            "every row needs one value per class")
        rows.append(values)
    if not rows or not rows[0]:
        raise DataError(name, "no numbers found")
    return Operand(np.array(rows, dtype=np.float64), name, classes, lines or None,
                   row_names=names if names and names[0] is not None else None)


def json_position(text: str, path: tuple) -> tuple[int, int] | None:
    """The (line, column) where the value at ``path`` starts in JSON ``text``, or None.

    ``path`` holds list indices and object keys (``(2, 1)``: row 3, item 2). A flat scan with an
    explicit stack, so any depth is fine; used only to locate an error.
    """
    stack: list[list] = []  # [is_object, index or key, state]
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char == ":":
            stack[-1][2] = "value"
            index += 1
        elif char == ",":
            if stack and stack[-1][0]:
                stack[-1][2] = "key"
            elif stack:
                stack[-1][1] += 1
            index += 1
        elif char in "]}":
            if stack:
                stack.pop()
            index += 1
        else:
            end = index + 1
            if char == '"':
                while end < len(text) and text[end] != '"':
                    end += 2 if text[end] == "\\" else 1
                end += 1
                if stack and stack[-1][0] and stack[-1][2] == "key":
                    try:
                        stack[-1][1] = json.loads(text[index:end])
                    except ValueError:
                        return None
                    index = end
                    continue
            if tuple(entry[1] for entry in stack) == path:
                line = text.count("\n", 0, index) + 1
                return line, index - (text.rfind("\n", 0, index) + 1) + 1
            if char in "[{":
                stack.append([char == "{", 0 if char == "[" else None, "key" if char == "{" else "value"])
                index = end
                continue
            while end < len(text) and text[end] not in ",]} \t\r\n":
                end += 1
            index = end
    return None


def read_json(text: str, name: str, columns: ColumnChoice | None = None) -> Operand:
    """A list of numbers (one row), a list of lists, an object, or a list of objects."""
    warnings: list[str] = []
    data = _load_json(text, lambda line, col: f"{name}:{line}:{col}" if line else name, warnings)

    def where(*path) -> str:
        found = json_position(text, path)
        if found:
            return f"{name}:{found[0]}:{found[1]}"
        return f"{name}: " + ", ".join(f"{'row' if i == 0 and len(path) > 1 else 'item'} "
                                       f"{p + 1 if isinstance(p, int) else repr(p)}" for i, p in enumerate(path))

    if isinstance(data, dict) or (isinstance(data, list) and data and not isinstance(data[0], (list, dict))):
        rows = [_json_row(data, lambda: name, lambda key: where(key), columns, name)]
    elif not isinstance(data, list):
        raise DataError(name, f"expected a list or an object, not {json.dumps(data)[:40]}")
    elif not data:
        raise DataError(name, "no numbers found (an empty list)")
    else:
        rows = [_json_row(item, lambda i=i: where(i), lambda key, i=i: where(i, key), columns, name)
                for i, item in enumerate(data)]
    operand = _rows_to_operand(rows, name, None, where)
    operand.warnings.extend(warnings[:3])
    return operand


def read_json_lines(text: str, name: str, first_line: int = 1, columns: ColumnChoice | None = None) -> Operand:
    """One JSON row (a list of numbers or an object) per non-blank line."""
    parsed, lines, warnings = [], [], []
    for number, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        item = _load_json(line, lambda _l, col, n=number: f"{name}:{n}:{col}" if col else f"{name}:{n}", warnings)
        parsed.append(_json_row(item, lambda n=number: f"{name}:{n}",
                                lambda key, n=number: f"{name}:{n}: item {key + 1 if isinstance(key, int) else repr(key)}",
                                columns, name))
        lines.append(number)
    if not parsed:
        raise DataError(name, "no numbers found")
    operand = _rows_to_operand(parsed, name, lines)
    operand.warnings.extend(warnings[:3])
    return operand


# --------------------------------------------------------------------------------------------
# bytes → text, files, standard input, literals


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


def read_bounded(stream: BinaryIO, name: str, ahead: bytes = b"") -> bytes:
    """The rest of ``stream`` after ``ahead`` (bytes already read), a chunk at a time: binary data is
    refused on its first chunk, and a pipe or device (it may never end) at
    :data:`MAX_STREAM_BYTES`."""
    try:
        regular = stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        regular = isinstance(stream, io.BytesIO)
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


def parse_text(text: str, name: str, extension: str = "", delimiter: str | None = None,
               columns: ColumnChoice = ColumnChoice()) -> Operand:
    """Parse text by its extension, sniffing the format when the extension does not say.

    ``delimiter`` (``--delimiter``) overrides the extension's and the sniffed one for delimited text.
    """
    if extension in JSON_EXTENSIONS:
        return read_json(text, name, columns)
    if extension in JSON_LINES_EXTENSIONS:
        return read_json_lines(text, name, columns=columns)
    if delimiter is not None and not (extension == "" and text.lstrip()[:1] in ("[", "{")):
        return read_delimited(text, name, delimiter, columns=columns)
    if extension in (".csv", ".tsv"):
        return read_delimited(text, name, DELIMITED_EXTENSIONS[extension], columns=columns)
    if extension == ".txt":
        return read_delimited(text, name, sniff_delimiter(text), columns=columns)
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            if error.msg == "Extra data":
                return read_json_lines(text, name, columns=columns)
        except (ValueError, RecursionError):
            pass  # read_json reports these
        return read_json(text, name, columns)
    return read_delimited(text, name, sniff_delimiter(text), columns=columns)


def read_file(path: str, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice()) -> Operand:
    try:
        with open(path, "rb") as handle:
            data = read_bounded(handle, path)
    except IsADirectoryError:
        raise DataError(path, "is a directory", "give a file") from None
    except OSError as error:
        raise DataError(path, f"cannot read: {error.strerror}") from None
    return parse_text(decode(data, path), path, os.path.splitext(path)[1].lower(), delimiter, columns)


def read_stdin(stream: BinaryIO, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice()) -> Operand:
    if hasattr(stream, "isatty") and stream.isatty():
        raise DataError(STDIN_NAME, "'-' reads standard input, but nothing is piped in",
                        "pipe data in (cat p.csv | divcli …) or give a file")
    return parse_text(decode(read_bounded(stream, STDIN_NAME), STDIN_NAME), STDIN_NAME, "", delimiter, columns)


def parse_literal(spec: str) -> Operand:
    """``"0.2,0.8;0.5,0.5"`` (rows by ``;``, numbers by ``,``) or a JSON array."""
    name = f"literal {show_value(spec)}"
    if spec.lstrip()[:1] in ("[", "{"):
        return read_json(spec, name)
    rows, cells = [], []
    for row_text in spec.split(";"):
        if not row_text.strip() and len(rows) > 0:
            continue  # a trailing ';'
        items = [item.strip() for item in row_text.split(",")]
        values = []
        for col, item in enumerate(items):
            try:
                values.append(parse_number(item))
            except ValueError as error:
                raise DataError(
                    f"{name}: row {len(rows) + 1}, item {col + 1}", str(error)
                ) from None
        if rows and len(values) != len(rows[0]):
            raise DataError(f"{name}: row {len(rows) + 1}",
                            f"this row has {len(values)} values, the first has {len(rows[0])}",
                            "every row needs one value per class")
        rows.append(values)
        cells.append(items)
    return _with_range_warnings(Operand(np.array(rows, dtype=np.float64), name, cells=cells))


def looks_like_literal(spec: str) -> bool:
    """True when ``spec`` starts like a number or a JSON array (so ``-0.7,…`` is an operand)."""
    return bool(re.match(r"\s*(?:[+-]?(?:\d|\.\d|inf)|\[|\{)", spec, re.IGNORECASE))


def _binary_array(array, name: str, widen: bool = True) -> Operand:
    """A 1-D (one row) or 2-D numeric array from .npy/.npz: as float64, or as stored when not
    ``widen`` (its slices of rows, :meth:`Operand.rows_slice`, are float64 all the same)."""
    if array.dtype.kind not in "iuf":
        raise DataError(name, f"holds {array.dtype} values, not real numbers", "save a float or integer array")
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.size == 0:
        raise DataError(name, f"has shape {array.shape}; divcli reads a 2-D array of rows (or one row)")
    if array.dtype.kind == "f":  # a slice of rows at a time: a memory-mapped file is never read whole
        step = max(1, (1 << 20) // array.shape[1])
        for start in range(0, array.shape[0], step):
            bad = np.isnan(array[start:start + step])
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise DataError(f"{name}: row {start + row + 1}, item {col + 1}", "nan is not a value")
    return Operand(np.asarray(array, dtype=np.float64) if widen else array, name)


#: What numpy's header parser raises on a corrupted .npy header (it tokenizes and evaluates a dict).
_NPY_HEADER_ERRORS = (ValueError, SyntaxError, TypeError, OverflowError, EOFError, MemoryError, KeyError,
                      tokenize.TokenError, UnicodeDecodeError)
_RESAVE = "save it again with numpy.save or numpy.savez"


def _npy_header(stream: BinaryIO, name: str, size: int) -> tuple[np.dtype, tuple[int, ...], bool]:
    """The dtype, shape and order of the .npy ``stream`` (``size`` bytes long), checked before any
    array is made: its data must all be there, and hold no Python objects (they would be unpickled)."""
    from numpy.lib import format as npy_format

    start = stream.tell()
    if stream.read(6) != b"\x93NUMPY":
        raise DataError(name, "not a .npy file (it does not start with \\x93NUMPY)", _RESAVE)
    stream.seek(start)
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
        else:
            shape, fortran, dtype = npy_format._read_array_header(stream, version)
    except _NPY_HEADER_ERRORS as error:
        raise DataError(name, f"a corrupted .npy header (numpy cannot parse it: {type(error).__name__})",
                        _RESAVE) from None
    if dtype.hasobject:
        raise DataError(name, f"holds Python objects ({dtype}), which divcli never loads (they would be unpickled)",
                        "save a float or integer array")
    wanted = math.prod(shape) * dtype.itemsize
    present = size - stream.tell()
    if wanted > present:
        raise DataError(name, f"the header says shape {shape} of {dtype} ({wanted:,} bytes) but only "
                        f"{max(present, 0):,} bytes follow it", f"the file is cut short or corrupted; {_RESAVE}")
    return dtype, shape, fortran


def _npy_array(stream: BinaryIO, name: str, size: int, path: str | None = None) -> np.ndarray:
    """The array of a .npy stream: memory-mapped from ``path`` when given, else read."""
    dtype, shape, fortran = _npy_header(stream, name, size)
    count = math.prod(shape)
    order = "F" if fortran else "C"
    if count == 0:
        return np.empty(shape, dtype, order=order)
    if path is not None:
        return np.memmap(path, dtype=dtype, mode="r", offset=stream.tell(), shape=shape, order=order)
    data = stream.read(count * dtype.itemsize)
    return np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order=order)


def read_npy(path: str, name: str | None = None, widen: bool = True) -> Operand:
    """A local ``.npy`` file, memory-mapped (the Dask engine's shards too)."""
    name = name or path
    try:
        with open(path, "rb") as handle:
            array = _npy_array(handle, name, os.fstat(handle.fileno()).st_size, path)
    except IsADirectoryError:
        raise DataError(name, "is a directory", "give a file") from None
    except OSError as error:
        raise DataError(name, f"cannot read: {error.strerror or error}") from None
    return _binary_array(array, name, widen)


def read_npy_bytes(data: bytes, name: str) -> Operand:
    """A ``.npy`` file fetched whole (a remote shard)."""
    return _binary_array(_npy_array(io.BytesIO(data), name, len(data)), name)


def read_numpy(path: str, key: str | None = None, *, widen: bool = True) -> Operand:
    """``.npy`` (memory-mapped) or ``.npz`` with ``file.npz:key`` (the key may be left out when the
    archive holds one array). Pickled objects are never loaded. Not ``widen``: a float32 or integer
    array stays as stored, for a reader that takes it a block of rows at a time, each widened to
    float64 (a memory-mapped float32 file is then never copied whole). Every fault of the file (cut
    short, a corrupted header, a broken zip) is a :class:`DataError` that says which."""
    if path.lower().endswith(".npy"):
        return read_npy(path, widen=widen)
    name = path if key is None else f"{path}:{key}"
    try:
        with open(path, "rb") as handle:
            if handle.read(2) != b"PK":
                raise DataError(name, "not a .npz file (not a zip archive)", _RESAVE)
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                members = {member.removesuffix(".npy"): member for member in archive.namelist()}
                keys = list(members)
                if key is None and len(keys) == 1:
                    key, name = keys[0], f"{path}:{keys[0]}"
                if key not in members:
                    raise DataError(name, f"{'no array ' + repr(key) if key else 'more than one array'} in the archive",
                                    f"name one: {', '.join(f'{path}:{k}' for k in keys[:8])}")
                if not members[key].endswith(".npy"):
                    raise DataError(name, f"the member {show_value(members[key])} is not a .npy array", _RESAVE)
                info = archive.getinfo(members[key])
                with archive.open(info) as member:
                    array = _npy_array(io.BytesIO(member.read()), name, info.file_size)
    except IsADirectoryError:
        raise DataError(name, "is a directory", "give a file") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DataError(name, f"a broken .npz (zip) archive ({show_value(str(error)[:200])})", _RESAVE) from None
    except OSError as error:
        raise DataError(name, f"cannot read: {error.strerror or error}") from None
    return _binary_array(array, name, widen)


#: The one-line fix when pyarrow is missing.
INSTALL_FAST = 'pip install "divcli[fast]" (pyarrow)'


def arrow_reason(error: Exception) -> str:
    """pyarrow's reason, whole sentences only: its first sentence (on its first line), at most 300
    characters, without the file's path (the message names the file already)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    sentence = re.split(r"(?<=[a-z)'\]])\. ", text, maxsplit=1)[0].rstrip(".")
    return sentence if len(sentence) <= 300 else f"{type(error).__name__}: message too long to show"


def check_column_names(names: list[str], path: str) -> None:
    """Parquet allows two columns of one name; divcli names the classes by them, so refuses that."""
    seen = set()
    for column in names:
        if column in seen:
            raise DataError(path, f"two columns are named {show_value(column)}", "give every column its own name")
        seen.add(column)


class ParquetReader:
    """A Parquet file's rows, a record batch at a time: every numeric column is a class (its name the
    class name), or a single list column holds each row's values. Integer and float columns
    (float32 included) are widened to float64; nulls, nan and other types are errors that name the
    row and the column. Memory is bounded by a row group, not the file."""

    BATCH_ROWS = 1 << 16

    def __init__(self, path: str, columns: ColumnChoice = ColumnChoice()):
        self.name = path
        try:
            import pyarrow.parquet as parquet
        except ImportError:
            raise DataError(path, "reading Parquet needs pyarrow, which is not installed", INSTALL_FAST) from None
        import pyarrow as pa

        self.pa = pa
        try:
            self.file = parquet.ParquetFile(path)
        except (pa.ArrowException, OSError) as error:
            raise DataError(path, f"not a Parquet file pyarrow can read ({arrow_reason(error)})") from None
        schema = self.file.schema_arrow
        check_column_names(schema.names, path)
        types = pa.types
        self.list_column = len(schema) == 1 and (types.is_list(schema[0].type) or types.is_large_list(schema[0].type)
                                                 or types.is_fixed_size_list(schema[0].type))
        numeric = lambda kind: types.is_integer(kind) or types.is_floating(kind)  # noqa: E731
        self.picked = None if self.list_column else columns.resolve(schema.names, len(schema), path)
        self.columns_choice = columns if self.list_column and columns.given else None
        self.names_column = None if self.picked is None or self.picked.names is None else schema.names[self.picked.names]
        self.row_names: list[str] | None = None  # the last batch's (--names)
        if self.picked is not None:
            schema = [schema.field(index) for index in self.picked.keep]
        for field_ in schema:
            kind = field_.type.value_type if self.list_column else field_.type
            if not numeric(kind):
                raise DataError(f"{path}: column {field_.name!r}", f"holds {kind} values, not real numbers",
                                "divcli reads integer and float columns, or one list column of numbers")
        if not len(schema):
            raise DataError(path, "no columns")
        self.columns = [field_.name for field_ in schema]
        self.classes = None if self.list_column else self.columns
        self.width = None if self.list_column else len(self.columns)
        #: the columns the batches hold (None: every column)
        self.read_columns = None if self.picked is None else \
            self.columns + [self.names_column] * (self.names_column is not None)
        self.batches = self.file.iter_batches(batch_size=self.BATCH_ROWS, columns=self.read_columns)
        self.rows_read = 0

    def _where(self, row: int, col: int | None = None) -> str:
        if self.list_column:
            return f"{self.name}: row {row + 1}" + ("" if col is None else f", item {col + 1}")
        return f"{self.name}: row {row + 1}, column {self.columns[col]!r}"

    def _column(self, array, first_row: int, col: int | None) -> np.ndarray:
        if array.null_count:
            row = int(np.argmax(np.asarray(array.is_null())))
            raise DataError(self._where(first_row + row, col), "a missing value (null)", "every cell needs a number")
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)

    def close(self) -> None:
        self.file.close()

    def next_batch(self) -> np.ndarray | None:
        """The next record batch as float64 rows, checked, or None at the end of the file."""
        try:
            batch = next(self.batches, None)
        except (self.pa.ArrowException, OSError) as error:
            raise DataError(self.name, f"cannot read: {arrow_reason(error)}") from None
        if batch is None:
            return None
        first = self.rows_read
        self.rows_read += batch.num_rows
        if self.list_column:
            lists = batch.column(0)
            if lists.null_count:
                row = int(np.argmax(np.asarray(lists.is_null())))
                raise DataError(self._where(first + row), "a missing row (null)")
            if self.pa.types.is_fixed_size_list(lists.type):  # every row the same length
                self.width = lists.type.list_size
                values = self._column(lists.flatten(), first, None).reshape(batch.num_rows, self.width)
                return self._no_nan(values, first)
            offsets = np.asarray(lists.offsets, dtype=np.int64)
            lengths = np.diff(offsets)
            self.width = self.width or (int(lengths[0]) if lengths.size else None)
            ragged = lengths != self.width
            if ragged.any():
                row = int(np.argmax(ragged))
                raise DataError(self._where(first + row), f"this row has {int(lengths[row])} values, the first has "
                                f"{self.width}", "every row needs one value per class")
            flat = self._column(lists.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])), first, None)
            values = flat.reshape(batch.num_rows, self.width or 0)
            if self.columns_choice is not None:  # by number: the items of every row's list
                values, self.row_names = pick_values(values, self.columns_choice.resolve(None, values.shape[1], self.name))
        else:
            values = np.empty((batch.num_rows, len(self.columns)), dtype=np.float64)
            for col in range(len(self.columns)):
                values[:, col] = self._column(batch.column(col), first, col)
            if self.names_column is not None:
                names = batch.column(len(self.columns))
                self.row_names = [value if isinstance(value, str) else "" if value is None else _json_name(value)
                                  for value in names.to_pylist()]
        return self._no_nan(values, first)

    def _no_nan(self, values: np.ndarray, first: int) -> np.ndarray:
        bad = np.isnan(values)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise DataError(self._where(first + int(row), int(col)), "nan is not a value")
        return values


def read_parquet(path: str, columns: ColumnChoice = ColumnChoice()) -> Operand:
    """A whole Parquet file (``--columns`` and ``--weight`` need the whole operand)."""
    reader = ParquetReader(path, columns)
    parts, names = [], []
    try:
        while (values := reader.next_batch()) is not None:
            parts.append(values)
            names += reader.row_names or []
    finally:
        reader.close()
    if not parts or not sum(len(part) for part in parts) or not parts[0].shape[1]:
        raise DataError(path, "no numbers found")
    return Operand(np.concatenate(parts), path, reader.classes, row_names=names or None)


def pick_read(operand: Operand, columns: ColumnChoice | None) -> Operand:
    """``--select``, ``--drop`` and ``--names`` on an operand read whole as numbers (.npy, .npz, a
    literal): columns by number, row names from a column of numbers."""
    if columns is None or not columns.given:
        return operand
    picked = columns.resolve(operand.classes, operand.shape[1], operand.name)
    values, names = pick_values(operand.values, picked)
    return replace(operand, values=values, classes=None if operand.classes is None else picked.cells(operand.classes),
                   cells=None if operand.cells is None else [picked.cells(row) for row in operand.cells],
                   row_names=names, written_columns=picked.keep, source=None)


def read_operand(spec: str, stdin: BinaryIO, delimiter: str | None = None, *, widen: bool = True,
                 columns: ColumnChoice = ColumnChoice()) -> Operand:
    """Read one operand: ``-``, an existing path, or a literal (whose syntax is fixed). ``widen``:
    see :func:`read_numpy`; ``columns``: ``--select``, ``--drop``, ``--names``."""
    if spec == STDIN:
        return read_stdin(stdin, delimiter, columns)
    if spec.lower().endswith(".npy") and os.path.isfile(spec):
        return pick_read(read_numpy(spec, widen=widen), columns)
    npz, _, key = spec.rpartition(":") if ".npz:" in spec.lower() else (spec, "", "")
    if npz.lower().endswith(".npz") and os.path.isfile(npz):
        return pick_read(read_numpy(npz, key or None, widen=widen), columns)
    if os.path.splitext(spec)[1].lower() in PARQUET_EXTENSIONS and os.path.isfile(spec):
        return read_parquet(spec, columns)
    if os.path.exists(spec):
        return read_file(spec, delimiter, columns)
    if os.path.splitext(spec)[1].lower() in KNOWN_EXTENSIONS:
        raise DataError(spec, "no existing file and no valid literal",
                        "check the path (a literal is numbers like \"0.2,0.8\")")
    try:
        literal = parse_literal(spec)
    except DataError as error:
        if looks_like_literal(spec):
            raise
        if os.sep in spec:
            raise DataError(spec, "no existing file and no valid literal",
                            "check the path (a literal is numbers like \"0.2,0.8\")") from None
        raise DataError(
            "", f"{show_value(spec)} is no existing file and no valid literal ({error.what})",
            "check the path, or write numbers like \"0.2,0.8\"",
        ) from None
    return pick_read(literal, columns)
