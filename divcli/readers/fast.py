"""The fast parsers for large plain numeric tables: pyarrow's CSV reader when the input is large and
pyarrow is installed (imported only then, so small calls stay fast); else numpy alone for tables of
plain decimals (:mod:`divcli.readers.decimals`, the fastest without pyarrow); else numpy's ``loadtxt``.

:func:`read_fast` declines (returns None) anything a C parser would read otherwise than the careful
reader (:func:`divcli.readers.text.read_delimited`), which then reads it and reports every error
with its line and column.
"""

from __future__ import annotations

import io
import re

import numpy as np

from .columns import Picked
from .blocks import reading_at_once
from .decimals import parse_decimals
from .numbers import is_header_row, looks_numeric
from .operand import WHITESPACE, Operand, split_line

#: Text this large goes to a C parser first (plain numeric tables only).
FAST_MIN_CHARS = 1 << 16
#: Inputs this large go to pyarrow's CSV parser instead of numpy's, when pyarrow is installed
#: (``pip install "divcli[fast]"``); pyarrow is imported only then, so small calls stay fast.
ARROW_MIN_BYTES = 8 << 20
#: Rows this wide go to numpy's parsers (plain decimals, else loadtxt): pyarrow's costs much for every
#: column. Measured on blocks of 2^19 four-decimal values: pyarrow 12 ms at 16 columns, 26 at 512, 36
#: at 1000; numpy's decimals 20-30 ms whatever the width (100,000 × 1000 CSV pair: 8.9 → 6.6 s).
ARROW_MAX_COLUMNS = 640
_BIG_EXPONENT = re.compile(r"e[+-]?0*\d{3}", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_LONE_CR = re.compile(r"\r(?!\n)")
#: What a step of :func:`read_fast` returns for rows the careful reader must see (None: not read).
_DECLINE = object()


def not_for_fast(text: str) -> bool:
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


def load_pyarrow():
    """pyarrow with its CSV reader, or None when it is not installed."""
    try:
        import pyarrow
        import pyarrow.csv  # noqa: F401 - the submodule is what is used
    except ImportError:
        return None
    return pyarrow


def parse_arrow(body: str, delimiter: str, columns: int, keep: tuple[int, ...] | None = None) -> np.ndarray | None:
    """Rows of ``columns`` float64 numbers by pyarrow's CSV reader, or None for anything it reads
    otherwise than the careful reader would (a cell that is no number; a bare carriage return, which
    ends a line for pyarrow, never gets here: :func:`not_for_fast` declines it for both C parsers)."""
    pa = load_pyarrow()
    if pa is None:
        return None
    csv_module = pa.csv
    wanted = range(columns) if keep is None else keep
    try:
        table = csv_module.read_csv(
            pa.py_buffer(body.encode()),
            # pyarrow's threads, but on the engine's threads that parse P and Q at once (5-8% faster
            # there: two parses with threads of their own only queue on the CPUs)
            read_options=csv_module.ReadOptions(autogenerate_column_names=True, use_threads=not reading_at_once()),
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
        start = 0
        for chunk in column.chunks:
            values[start:start + len(chunk), index] = float64_values(chunk)
            start += len(chunk)
    return values


def float64_values(chunk) -> np.ndarray:
    """The numbers of a pyarrow float64 array without nulls, as a numpy view of its data buffer.
    (pyarrow's ``to_numpy`` imports ``pyarrow.compute`` and pandas the first time: 0.15 s of every
    large run, holding the interpreter while the other threads wait.)"""
    data = chunk.buffers()[1]
    if chunk.null_count or data is None:
        return chunk.to_numpy(zero_copy_only=False)
    return np.frombuffer(data, dtype=np.float64, count=len(chunk), offset=chunk.offset * 8)


def read_fast(text: str, name: str, delimiter: str, first_line: int = 1, header_allowed: bool = True,
              width: int | None = None, arrow: bool = False, picked: Picked | None = None) -> Operand | None:
    """A fast parser for a plain numeric table, or None to leave it to the careful reader: pyarrow's
    when ``arrow`` (a large input) and it is installed, else numpy's (plain decimals, else ``loadtxt``).

    The careful reader runs whenever this one declines or fails, so every error is still reported
    with its line and column, and every value reads the same (a property the tests check).
    """
    if len(text) < FAST_MIN_CHARS:
        return None
    first_end, first_line_text, first = _first_row(text, delimiter)
    header = header_allowed and is_header_row(first)
    body = text[first_end + 1:] if header else text
    values = row_names = None
    if not (arrow and _arrow_applies(first_line_text, delimiter)) and (picked is None or picked.names is None):
        values = _read_decimals(body, delimiter, picked)
        if values is _DECLINE:
            return None
    if values is None:
        values, row_names = _read_by_c_parser(text, body, first_line_text, header, delimiter, arrow, picked)
    if values is None or _declined(values, text, first, header, width, picked):
        return None
    return _operand(values, name, text, delimiter, first_line, first, header, row_names, picked)


def _read_decimals(body: str, delimiter: str, picked: Picked | None):
    """The rows of ``body`` by numpy's plain-decimals parser (the fastest without pyarrow), only the
    picked columns kept; None when it does not read them, or :data:`_DECLINE` for rows ragged against
    the header or first row (the careful reader says where)."""
    values = parse_decimals(body, delimiter)  # checks every byte itself: not_for_fast is not needed
    if values is not None and picked is not None:
        if values.shape[1] != picked.width:
            return _DECLINE
        values = np.ascontiguousarray(values[:, list(picked.keep)])
    return values


def _read_by_c_parser(text: str, body: str, first_line_text: str, header: bool, delimiter: str, arrow: bool,
                      picked: Picked | None) -> tuple[np.ndarray | None, list[str] | None]:
    """The rows of ``body`` and the row names of the ``--names`` column by pyarrow or ``loadtxt``, for
    what plain decimals do not read; values None for anything the careful reader must read instead
    (:func:`not_for_fast`, a header alone, whitespace-separated or ragged rows with picked columns)."""
    if not_for_fast(text):
        return None, None
    if not body.strip():
        return None, None  # a header alone: the careful reader says so (numpy would warn "no data")
    row_names = None
    if picked is not None:
        row_names = _picked_row_names(body, delimiter, picked)
        if row_names is _DECLINE:
            return None, None
    return _parse(body, first_line_text, header, delimiter, arrow, picked), row_names


def _operand(values: np.ndarray, name: str, text: str, delimiter: str, first_line: int, first: list[str],
             header: bool, row_names: list[str] | None, picked: Picked | None) -> Operand:
    """The operand of the rows read, with each row's line number (after the header, when there is
    one) and the header's classes, so that later errors and output name the same lines and columns
    the careful reader would."""
    lines = np.arange(values.shape[0]) + (first_line + 1 if header else first_line)
    classes = (first if picked is None else picked.cells(first)) if header else None
    return Operand(values, name, classes, lines, source=(text, delimiter, first_line), row_names=row_names,
                   written_columns=None if picked is None else picked.keep)


def _first_row(text: str, delimiter: str) -> tuple[int, str, list[str]]:
    """Where the first line ends, its text, and its cells (only the first, when it is plainly a
    number: a row of millions is split only when needed)."""
    first_end = text.find("\n")
    first_line_text = text if first_end < 0 else text[:first_end]
    first = split_line(first_line_text[:100], delimiter)[:1]
    if not (first and looks_numeric(first[0])) or len(first_line_text) <= 100:
        first = split_line(first_line_text, delimiter)
    return first_end, first_line_text, first



def _picked_row_names(body: str, delimiter: str, picked: Picked):
    """The row names of the ``--names`` column (None without one), or :data:`_DECLINE` for rows the
    careful reader must see: whitespace-separated (it counts every row's cells) or ragged."""
    if delimiter == WHITESPACE:
        return _DECLINE
    lines = body.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    if any(line.count(delimiter) != picked.width - 1 for line in lines):
        return _DECLINE  # a ragged row (or a trailing delimiter): the careful reader says where
    if picked.names is not None:
        return [line.split(delimiter)[picked.names].strip() for line in lines]
    return None


def _parse(body: str, first_line_text: str, header: bool, delimiter: str, arrow: bool,
           picked: Picked | None) -> np.ndarray | None:
    """The rows of ``body`` by pyarrow (``arrow``, when it applies) or numpy, or None when it fails."""
    if arrow and _arrow_applies(first_line_text, delimiter):
        if header:
            second_end = body.find("\n")
            columns = len(split_line(body if second_end < 0 else body[:second_end], delimiter))
        else:
            columns = len(split_line(first_line_text, delimiter))
        return parse_arrow(body, delimiter, columns, None if picked is None else picked.keep)
    try:
        return np.loadtxt(io.StringIO(body), delimiter=None if delimiter == WHITESPACE else delimiter,
                          dtype=np.float64, comments=None, ndmin=2, encoding=None,
                          usecols=None if picked is None else picked.keep)
    except ValueError:
        return None


def _arrow_applies(first_line_text: str, delimiter: str) -> bool:
    """pyarrow is installed and reads this table's rows (one-character delimiter, not too wide)."""
    if delimiter == WHITESPACE or len(delimiter) != 1 or first_line_text.count(delimiter) >= ARROW_MAX_COLUMNS:
        return False
    return load_pyarrow() is not None


def _declined(values: np.ndarray, text: str, first: list[str], header: bool, width: int | None,
              picked: Picked | None) -> bool:
    """Values the careful reader must read instead, to say where something is wrong."""
    raw_width = values.shape[1] if picked is None else picked.width
    if values.size == 0 or (header and (len(first) != raw_width or len(set(first)) != len(first))):
        return True
    if np.isnan(values).any():
        return True  # nan is never a value: the careful reader says where
    if np.isinf(values).any() and "inf" not in text.lower():
        return True  # a long run of digits overflowed: the careful reader warns about it
    return width is not None and raw_width != width  # ragged against an earlier block
