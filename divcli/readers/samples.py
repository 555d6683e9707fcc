"""Raw samples for ``divcli drift``: a row an observation, a column a feature, read whole.

The other readers give rows of numbers that are distributions; here a column is a sample of one
feature: numbers, or text to be counted as categories, with missing values. Each column is kept as
read (:class:`SampleColumn`) and turned into numbers (:meth:`Samples.numbers`) or category names
(:meth:`Samples.categories`) when the computation knows which it is.

- CSV, TSV, text (a delimiter by extension, ``--delimiter``, or sniffed): the first row is the
  header unless every cell of it is a number; columns without a header are numbered from 1.
- JSON Lines (``.jsonl``, ``.ndjson``) and JSON (``.json``: a list) of records: the keys are the
  columns (in the order first met); a key a record lacks is missing there.
- ``.npy``: a 1-D array is one column, a 2-D array's columns are numbered from 1.
- Parquet (pyarrow, the ``fast`` extra): numeric columns as numbers, text and booleans as text.
- ``-``: standard input, sniffed (a .npy's magic bytes, JSON, else delimited text).

Missing: an empty cell, ``nan``, ``NA``, ``null`` (any case), JSON's null, Parquet's null.
``--select`` and ``--drop`` pick columns as for every other command
(:class:`~divcli.readers.columns.ColumnChoice`).
"""

from __future__ import annotations

import json
import os
from typing import BinaryIO

import numpy as np

from ..errors import DataError, option, show_value
from .columns import ColumnChoice
from .decimals import parse_decimals
from .operand import STDIN, STDIN_NAME, WHITESPACE
from .sample_binary import npy_samples, parquet_samples
from .sample_records import SampleColumn, Samples, check_unique, is_number_text, no_rows, picked
from .source import BOM, decode, read_bounded, size_text
from .text import sniff_delimiter, split_records

_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_NPY_MAGIC = b"\x93NUMPY"
#: About how many bytes of memory a byte of the file takes once read: text cells become Python
#: strings (some 60 bytes each), a .npy's numbers float64 (a copy besides the bytes read).
MEMORY_PER_BYTE = {"text": 16, "npy": 3}


def read_samples(spec: str, stdin: BinaryIO | None = None, delimiter: str | None = None,
                 columns: ColumnChoice = ColumnChoice()) -> Samples:
    """The samples of ``spec`` (a file, or ``-`` with ``stdin``), its columns picked by ``columns``."""
    name = STDIN_NAME if spec == STDIN else spec
    extension = os.path.splitext(spec)[1].lower()
    if extension in (".parquet", ".pq"):
        return parquet_samples(spec, columns)
    if spec != STDIN and os.path.isfile(spec):  # before reading a byte of it
        check_memory(os.path.getsize(spec), name, MEMORY_PER_BYTE["npy" if extension == ".npy" else "text"])
    data = _bytes(spec, stdin)
    check_memory(len(data), name, MEMORY_PER_BYTE["npy" if data.startswith(_NPY_MAGIC) else "text"])
    if data.startswith(_NPY_MAGIC):
        return npy_samples(data, name, columns)
    if extension in (".npy", ".npz"):
        raise DataError(name, "not a .npy array (its first bytes are not numpy's)",
                        "give a .npy file as numpy.save writes it (drift reads no .npz)")
    text = decode(data, name)
    start = text.lstrip()[:1]
    if extension in (".jsonl", ".ndjson", ".json") or (extension not in _DELIMITERS and start in ("{", "[")):
        return _records(text, name, columns)
    sep = delimiter or _DELIMITERS.get(extension) or sniff_delimiter(text)
    return delimited_samples(text, name, sep, columns)


def available_memory() -> int | None:
    """The memory the system says is available (Linux's MemAvailable), or None where it does not say."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(size: int, name: str, per_byte: float) -> None:
    """Refuse, before parsing, a file whose samples would not fit in the memory available: drift reads
    both samples whole, for the reference's exact quantiles and W₁ and KS from the sorted values."""
    available = available_memory()
    need = int(size * per_byte)
    if available is not None and need > available:
        raise DataError(name, f"{size_text(size)} of samples take about {size_text(need)} of memory once read, more "
                        f"than the {size_text(available)} available (drift reads both samples whole: exact "
                        "quantiles, W₁ and KS)", "take a sample of the rows (shuf -n 1000000 FILE), or save the columns "
                        "as .npy (8 bytes a value)")


def _bytes(spec: str, stdin: BinaryIO | None) -> bytes:
    if spec == STDIN:
        return read_bounded(stdin, STDIN_NAME).removeprefix(BOM) if stdin is not None else b""
    try:
        with open(spec, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DataError(spec, "no such file", "check the path") from None
    except IsADirectoryError:
        raise DataError(spec, "this is a folder, not a file", "give a file of samples") from None
    except OSError as error:
        raise DataError(spec, error.strerror or str(error)) from None


def delimited_samples(text: str, name: str, delimiter: str, columns: ColumnChoice, first_line: int = 1,
                      layout: tuple[list[str] | None, int] | None = None) -> Samples:
    """CSV, TSV, text: a header (unless the first row is all numbers) and one row an observation; or,
    with ``layout`` (the header, or None, and the width of the file's first row), a later piece of
    such a file, its body alone, starting at physical line ``first_line``."""
    records = split_records(text, name, delimiter, first_line)
    if layout is None:
        first_line, first = next(records, (0, None))
        if first is None:
            raise no_rows(name)
        headed = not all(is_number_text(cell) for cell in first)
        header, width = (first if headed else None), len(first)
    else:
        (header, width), headed, first = layout, True, None
    keep = picked(header, width, name, columns)
    fast = _plain(text, delimiter, width, first_line, layout is None) if header else None
    if fast is not None:
        values, lines = fast
        table = None
    else:
        body = list(records) if headed else [(first_line, first), *records]
        _check_widths(body, width, header is not None, name, delimiter)
        before = first_line - 1 if layout is not None else first_line if headed else None
        table, lines = _cell_table(_blank_rows(body, before) if width == 1 else body, width)
    if len(lines) == 0:
        raise no_rows(name)
    kept = [SampleColumn(header[index] if header else str(index + 1),
                         np.ascontiguousarray(values[:, index]) if table is None else table[:, index], index + 1)
            for index in keep]
    check_unique(kept, name)
    return Samples(name, kept, len(lines), lines)


def _plain(text: str, delimiter: str, width: int, first_line: int, headed: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Below a header on line 1 (or a body alone, from ``first_line``), plain decimals only (no empty
    cell, no blank line) read at C speed (:func:`~divcli.readers.decimals.parse_decimals`), with the
    line of each row; else None."""
    end = text.find("\n") if headed else -1
    if headed and (first_line != 1 or end < 0 or '"' in text[:end]):
        return None
    values = parse_decimals(text[end + 1:], delimiter, codes=True)  # 007 read as text: a category's name
    if values is None or values.shape[1] != width:
        return None
    return values, np.arange(len(values)) + first_line + (1 if headed else 0)


def _cell_table(body: list, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows' cells as an object array (a row a record), and each row's physical line."""
    table = np.array([cells for _, cells in body], dtype=object).reshape(len(body), width)
    return table, np.array([line for line, _ in body])


def _blank_rows(body: list, previous: int | None) -> list:
    """A one-column file's rows with its blank lines between rows as empty cells (missing values):
    there an empty cell is a blank line. ``previous``: the line before the first row that may be
    blank (the header's, or the line before a piece), None to count none before the first row.
    Blank lines at the end of a file are no rows (a piece never ends in them: see
    :mod:`.sample_chunks`)."""
    lines = np.array([line for line, _ in body])
    gaps = np.diff(lines, prepend=lines[0] - 1 if previous is None else previous) - 1 if len(lines) else lines
    if not gaps.any():
        return body
    filled = []
    for (line, cells), gap in zip(body, gaps):
        filled.extend((blank, [""]) for blank in range(line - int(gap), line))
        filled.append((line, cells))
    return filled


def _check_widths(body: list, width: int, headed: bool, name: str, delimiter: str) -> None:
    for line, cells in body:
        if len(cells) != width:
            raise DataError(f"{name}:{line}", f"{len(cells)} cells where the {'header' if headed else 'first row'} "
                            f"has {width}", "give every row the same columns" +
                            (f" (or pass {option('delimiter', 'tab', cli='tab')} if tabs separate them)"
                             if delimiter == WHITESPACE else ""))


def _records(text: str, name: str, columns: ColumnChoice) -> Samples:
    """JSON Lines of records, or a JSON list of records: the keys are the columns."""
    stripped = text.lstrip()
    records: list[tuple[int, dict]] = []
    if stripped.startswith("[") and not _json_lines(text):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"{name}:{error.lineno}:{error.colno}", f"not JSON: {error.msg}") from None
        records = [(0, item) for item in (document if isinstance(document, list) else [document])]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise DataError(f"{name}:{number}:{error.colno}", f"not JSON: {error.msg}",
                                    "write one record a line: {\"age\": 31, \"city\": \"Paris\"}") from None
    return _record_samples(records, name, columns)


def _json_lines(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines)


def _record_samples(records: list[tuple[int, object]], name: str, columns: ColumnChoice) -> Samples:
    keys: dict[str, None] = {}
    for index, (line, record) in enumerate(records):
        if not isinstance(record, dict):
            where = f"{name}:{line}" if line else f"{name}: item {index + 1}"
            raise DataError(where, f"a record is an object of column: value, not {show_value(json.dumps(record), 30)}",
                            "write one record a line: {\"age\": 31, \"city\": \"Paris\"}")
        keys.update(dict.fromkeys(record))
    if not records:
        raise no_rows(name)
    header = list(keys)
    keep = picked(header, len(header), name, columns)
    lines = np.array([line for line, _ in records]) if records[0][0] else None
    kept = []
    for index in keep:
        key = header[index]
        cells = np.empty(len(records), dtype=object)
        for row, (line, record) in enumerate(records):
            cells[row] = _json_cell(record.get(key), name, line or row + 1, key)
        kept.append(SampleColumn(key, cells, index + 1))
    samples = Samples(name, kept, len(records))
    samples.lines = lines if lines is not None and lines.all() else None
    return samples


def _json_cell(value, name: str, line: int, key: str):
    if value is None or isinstance(value, (str, float)) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    raise DataError(f"{name}:{line}", f"{show_value(key)} holds {type(value).__name__ if not isinstance(value, list) else 'a list'}, "
                    "not a number or a text", "give one value a column in each record")
