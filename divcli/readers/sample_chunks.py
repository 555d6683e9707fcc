"""Raw samples a piece at a time, for ``divcli drift`` on files larger than memory: each piece is a
:class:`~divcli.readers.samples.Samples` of some rows, read by the same parsers as a whole file, so
a value reads the same and an error names the same file, line and column.

- CSV, TSV, text: pieces of about ``size`` bytes cut after a whole line; the header, the delimiter
  and the width are those of the first piece.
- ``.npy``: the array mapped from the file (``mmap_mode="r"``), ``size`` bytes of rows at a time.
- Parquet: pyarrow's record batches of the chosen columns.

JSON, JSON Lines and standard input are not read in pieces (a record's keys decide the columns,
and a pipe cannot be read twice): :func:`piecewise` says which files can be.
"""

from __future__ import annotations

import os
import re
from typing import Iterator


from ..errors import DataError
from .columns import ColumnChoice
from .operand import STDIN
from .sample_binary import PARQUET_NO_ROWS, arrow_cells, load_npy, npy_columns, parquet_modules
from .sample_records import SampleColumn, Samples, is_number_text, no_rows, picked
from .samples import delimited_samples
from .source import BOM, decode
from .text import sniff_delimiter, split_records

_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_TEXT = (".csv", ".tsv", ".txt", ".dat")


def piecewise(spec: str) -> bool:
    """Whether ``spec`` is a file :func:`sample_pieces` reads a piece at a time."""
    extension = os.path.splitext(spec)[1].lower()
    return spec != STDIN and os.path.isfile(spec) and extension in (*_TEXT, ".npy", ".parquet", ".pq")


def sample_pieces(spec: str, delimiter: str | None, columns: ColumnChoice, size: int) -> Iterator[Samples]:
    """The samples of the file ``spec``, about ``size`` bytes of it at a time, in order."""
    extension = os.path.splitext(spec)[1].lower()
    if extension in (".parquet", ".pq"):
        return _some(_parquet_pieces(spec, columns, size), spec, PARQUET_NO_ROWS)
    if extension == ".npy":
        return _npy_pieces(spec, columns, size)
    return _some(_text_pieces(spec, delimiter or _DELIMITERS.get(extension), columns, size), spec)


def _some(pieces: Iterator[Samples], name: str, *hint: str) -> Iterator[Samples]:
    """``pieces``, or the error of a file with no rows where there is none (as read whole)."""
    empty = True
    for piece in pieces:
        empty = False
        yield piece
    if empty:
        raise no_rows(name, *hint)


def _cut(block: bytes) -> int:
    """The end of the last whole line of ``block`` that is not blank (after its newline), or 0 (a
    quoted cell never runs over its line: the parser refuses one that does). Blank lines after it
    go with the next piece: between two rows of a one-column file they are missing values, at the
    end of the file no rows, as when the file is read whole."""
    whole = block[:block.rfind(b"\n") + 1]
    ink = len(whole.rstrip(b" \t\r\n"))
    return whole.find(b"\n", ink) + 1 if ink else 0


def _text_blocks(handle, size: int) -> Iterator[bytes]:
    """The file's bytes in blocks of whole lines, each about ``size`` bytes or one line long."""
    held = b""
    while True:
        more = handle.read(size)
        held += more
        if not more:
            if held:
                yield held
            return
        cut = _cut(held)
        if cut:
            yield held[:cut]
            held = held[cut:]


#: Two lines with ink: a header and a row at least.
_TWO_LINES = re.compile(rb"\S[^\n]*\n\s*\S")


def _with_a_row(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """``blocks``, the first ones joined until they hold two lines with ink (a header and a row), so
    that the first piece decides the header as the whole file does."""
    held: bytes | None = b""
    for block in blocks:
        if held is None:
            yield block
            continue
        held += block
        if _TWO_LINES.search(held):
            yield held
            held = None
    if held:
        yield held


def _text_pieces(path: str, delimiter: str | None, columns: ColumnChoice, size: int) -> Iterator[Samples]:
    layout, line = None, 1
    with open(path, "rb") as handle:
        for block in _with_a_row(_text_blocks(handle, size)):
            if layout is None:
                block = block.removeprefix(BOM)
            text = decode(block, path)
            if text.strip():
                if layout is None:
                    delimiter = delimiter or sniff_delimiter(text)
                    piece = delimited_samples(text, path, delimiter, columns)
                    layout = _layout(text, path, delimiter)
                else:
                    piece = delimited_samples(text, path, delimiter, columns, line, layout)
                yield piece
            line += text.count("\n")


def _layout(text: str, name: str, delimiter: str) -> tuple[list[str] | None, int]:
    """The header (None when every cell of the first row is a number, as the whole-file parser
    decides) and the width of a file, from its first piece."""
    _, cells = next(split_records(text, name, delimiter))
    return (None if all(is_number_text(cell) for cell in cells) else cells), len(cells)


def _npy_pieces(path: str, columns: ColumnChoice, size: int) -> Iterator[Samples]:
    array = load_npy(path, path, mmap=True)
    keep = picked(None, array.shape[1], path, columns)
    rows = max(1, size // max(1, array.itemsize * array.shape[1]))
    for start in range(0, array.shape[0], rows):
        part = array[start:start + rows]
        yield Samples(path, npy_columns(part, keep), len(part))


def _parquet_pieces(path: str, columns: ColumnChoice, size: int) -> Iterator[Samples]:
    from .parquet import arrow_reason

    pa, pq = parquet_modules(path)
    try:
        handle = pq.ParquetFile(path)
        header = list(handle.schema_arrow.names)
        keep = picked(header, len(header), path, columns)
        rows = max(1, size // (8 * max(1, len(keep))))
        batches = handle.iter_batches(batch_size=rows, columns=[header[index] for index in keep])
        for batch in batches:
            if batch.num_rows:
                yield Samples(path, [SampleColumn(header[index], arrow_cells(batch.column(position), header[index],
                                                                             path), index + 1)
                                     for position, index in enumerate(keep)], batch.num_rows)
    except (OSError, pa.ArrowException) as error:
        raise DataError(path, f"cannot read Parquet: {arrow_reason(error)}") from None


#: Bytes of a file a piece holds (about 16 times as much memory once read as text).
PIECE_BYTES = 1 << 24
#: Read files over this many bytes in pieces of as many (for tests; by default: by the memory available).
PIECE_BYTES_VARIABLE = "DIVCLI_DRIFT_PIECE_BYTES"


def piece_size(specs: tuple[str, ...]) -> int | None:
    """The bytes of a piece when the samples are to be read a piece at a time, else None: when a file
    that can be read so would take more than half the memory available once read whole."""
    from .samples import MEMORY_PER_BYTE
    from .sizes import memory_available

    sizes = [os.path.getsize(spec) for spec in specs if piecewise(spec)]
    forced = os.environ.get(PIECE_BYTES_VARIABLE)
    if forced:
        return int(forced) if any(size > int(forced) for size in sizes) else None
    available = memory_available()
    if available is None or not any(size * MEMORY_PER_BYTE["text"] > available // 2 for size in sizes):
        return None
    return PIECE_BYTES
