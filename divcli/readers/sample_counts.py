"""A column of categories counted into its empirical distribution (``--p-as samples``, ``--q-as samples``).

``divcli entropy preds.csv --select pred --p-as samples``: each row of the column is one observation
of a category (a label, a class name, an integer code), and what the command measures is the
distribution of those observations. The column is read as ``divcli drift`` reads its samples
(:mod:`divcli.readers.samples`: CSV, TSV, JSON Lines, JSON, ``.npy``, Parquet, standard input), a
piece at a time where the file allows it (:mod:`divcli.readers.sample_chunks`: each piece tallied
with ``np.unique`` and the tallies added), so a column larger than memory is counted too.

- A category is named as drift names it: text as written, numbers as integer codes (``1`` and
  ``1.0`` are one category, in a column of text too). Each cell is named on its own, never by what
  the rest of its piece holds, so a file read in pieces counts exactly as one read whole. A number
  written with a leading zero among text (``007``, ``02134``: a code, not a quantity) is named as
  written: ``007`` and ``7`` are two categories. (A file, or a piece of one, that holds plain decimals
  alone is read as numbers, its zeros gone: ``007`` is ``7`` there.)
- The categories are sorted: by value when every one is a number, else by text.
- A missing value (an empty cell, ``NaN``, ``NA``, ``null``) is counted as the category
  :data:`MISSING` (a missed prediction is an observation too: leaving it out would shift every
  share without a word), with a warning that says how many there were.
- One column an operand: the column is the sample; a file of several is refused unless ``--select``
  picks one.

The result is what ``--p-as counts`` reads from a histogram turned into one row
(:class:`CountedBlocks`: one row of counts whose classes are the categories), so the sample size N,
the estimators and the matching of categories by name (:mod:`divcli.engine.by_name`) are those of
counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import DataError, option, show_value
from .blocks import ArrayBlocks
from .columns import ColumnChoice, name_text
from .numbers import parse_number
from .operand import STDIN, STDIN_NAME, Operand
from .reading import is_literal
from .sample_chunks import piecewise, sample_pieces
from .sample_records import MISSING_TEXTS, SampleColumn, Samples
from .samples import read_samples

#: The category of a missing value (an empty cell, NaN, NA, null), as drift names it.
MISSING = "(missing)"
#: Bytes of a file read at a time when its column is counted a piece at a time.
PIECE_BYTES = 1 << 24
#: The name of a literal's one column (its row in the tables).
LITERAL_COLUMN = "samples"
#: More categories than this, most of them seen once, look like measurements rather than categories.
MANY_CATEGORIES = 50
#: A number written with a leading zero: a code (``007``), not a quantity.
_LEADING_ZERO = re.compile(r"\s*[+-]?0\d")


@dataclass(frozen=True)
class Counted:
    """A column counted: its name, the categories (sorted, :data:`MISSING` last) and their counts."""

    name: str
    column: str
    categories: list[str]
    counts: np.ndarray
    missing: int

    @property
    def source(self) -> str:
        """``preds.csv's column 'pred'``, or a literal as the other messages name it."""
        return self.name if self.column == LITERAL_COLUMN else f"{self.name}'s column {show_value(self.column)}"

    @property
    def samples(self) -> int:
        return int(self.counts.sum())

    def operand(self) -> Operand:
        """One row of counts over the categories, turned as a histogram is (a category a class, the
        column's name the row's): what ``--p-as counts`` reads, with the categories matched by name."""
        cells = [[str(int(count))] for count in self.counts]
        lines = [0] * len(self.categories)  # a category is on no line of its own (one the operand lacks: MISSING_LINE)
        return Operand(self.counts.astype(np.float64)[None, :], self.name, classes=list(self.categories), lines=lines,
                       cells=cells, is_transposed=True, row_names=[self.column])


class CountedBlocks(ArrayBlocks):
    """The blocks of a column counted (one row): what the engine reads, and what the header says of it."""

    def __init__(self, counted: Counted):
        operand = counted.operand()
        operand.warnings.extend(counted_warnings(counted))  # shown with the first block
        super().__init__(operand)
        self.counted = counted


def count_column(spec: str, stdin=None, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice(),
                 side: str = "p") -> Counted:
    """The one chosen column of ``spec`` (a file, or ``-`` with ``stdin``) counted per category;
    ``side`` ("p", "q") names the option that chooses it in a refusal."""
    name = STDIN_NAME if spec == STDIN else spec
    if piecewise(spec):
        pieces = sample_pieces(spec, delimiter, columns, PIECE_BYTES)
    elif is_literal(spec):
        pieces = iter([literal_samples(spec)])
    else:
        pieces = iter([read_samples(spec, stdin, delimiter, columns)])
    return _count(pieces, name, side)


def count_values(cells: np.ndarray, name: str) -> Counted:
    """A column given in memory (the Python API's list, numpy array or pandas Series of labels, as
    :func:`memory_cells` keeps it) counted as a file's column is: the same category names, the same
    missing values."""
    return _count(iter([Samples(name, [SampleColumn(LITERAL_COLUMN, cells, 1)], len(cells))]), name, "p")


def memory_cells(values) -> np.ndarray:
    """Values in memory as the readers keep a column: float64 with NaN where missing when they are
    numbers, else objects (text, numbers; anything else as its text) with None where missing (None,
    NaN, and pandas' NA and NaT)."""
    if hasattr(values, "isna") and hasattr(values, "to_numpy"):  # pandas: its own missing values
        missing = np.asarray(values.isna(), dtype=bool)
        values = values.to_numpy(dtype=object)
        values[missing] = None
    array = np.asarray(values)
    if array.dtype.kind in "iuf":
        return array.astype(np.float64)
    return np.array([_cell(cell) for cell in array.ravel().tolist()], dtype=object).reshape(array.shape)


def _cell(cell):
    if cell is None or isinstance(cell, (str, int, float)) and not isinstance(cell, bool):
        return None if isinstance(cell, float) and cell != cell else cell
    return str(cell)


def _count(pieces, name: str, side: str) -> Counted:
    """The pieces' one column (the same in each) tallied per category, missing values apart."""
    tally = Tally()
    column = None
    for piece in pieces:
        name, column = piece.name, column or _one_column(piece, side)
        tally.add(piece.column(column).cells)
    if column is None:
        raise DataError(name, "no rows of samples", "give a header and one row an observation")
    return _counted(name, column, tally.counts, tally.missing)


def literal_samples(spec: str) -> Samples:
    """A literal's items (separated by ``,`` or ``;``) as one column of samples: ``"cat,dog,cat"``."""
    items = [item.strip() for item in re.split(r"[,;]", spec)]
    return Samples(f"literal {show_value(spec)}", [SampleColumn(LITERAL_COLUMN, np.array(items, dtype=object), 1)],
                   len(items))


def _one_column(piece, side: str) -> str:
    """The name of the piece's one column; several are refused, naming the option that picks one."""
    if len(piece.columns) == 1:
        return piece.columns[0].name
    listed = ", ".join(show_value(name) for name in piece.names[:6]) + (", …" if len(piece.names) > 6 else "")
    raise DataError(piece.name, f"has {len(piece.columns)} columns ({listed}): {option(f'{side}_as', 'samples')} "
                                "counts the categories of one",
                    f"choose it with {option('select', 'COL')} (a name or a number from 1)")


class Tally:
    """The categories of a column counted, piece after piece, each cell named on its own
    (:func:`_category`), so that the pieces add up to the column read whole; missing values apart."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.missing = 0

    def add(self, cells: np.ndarray) -> None:
        """One piece's cells: float64 (NaN missing), or objects (text, numbers, None missing)."""
        if cells.dtype != object:
            present = cells[~np.isnan(cells)]
            self.missing += len(cells) - len(present)
            _add(self.counts, present, name_text)
            return
        texts = [cell for cell in cells if isinstance(cell, str) and cell.lower() not in MISSING_TEXTS]
        numbers = [cell for cell in cells if isinstance(cell, (int, float)) and cell == cell]
        self.missing += len(cells) - len(texts) - len(numbers)
        _add(self.counts, np.array(texts, dtype=str), _category)
        _add(self.counts, np.array(numbers, dtype=np.float64), name_text)


def _category(text: str) -> str:
    """A text cell's category: a number (not written with a leading zero) named as the number is
    (``1.0`` is ``1``, as a column of numbers names it), any other text as written."""
    return name_text(parse_number(text)) if _plain_number(text) else text


def _plain_number(text: str) -> bool:
    """Whether ``text`` is a number a code would not be: no leading zero (``007``, ``-01``)."""
    if _LEADING_ZERO.match(text):
        return False
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def _add(tally: dict[str, int], values: np.ndarray, naming) -> None:
    """The counts of ``values`` (none missing) added to ``tally``, each named by ``naming``."""
    if not values.size:
        return
    names, counts = np.unique(values, return_counts=True)
    for value, count in zip(names.tolist(), counts.tolist()):
        label = naming(value)
        tally[label] = tally.get(label, 0) + count


def _counted(name: str, column: str, tally: dict[str, int], missing: int) -> Counted:
    """The counts in order (:func:`_sorted`, :data:`MISSING` last), or why there are none."""
    if not tally and not missing:
        raise DataError(name, f"column {show_value(column)} has no values", "give one row an observation")
    names = _sorted(list(tally))
    counts = [tally[label] for label in names]
    if missing:
        names, counts = names + [MISSING], counts + [missing]
    return Counted(name, column, names, np.array(counts, dtype=np.int64), missing)


def _sorted(names: list[str]) -> list[str]:
    """By value when every name is a number (``2`` before ``10``), else by text."""
    try:
        return sorted(names, key=float)
    except ValueError:
        return sorted(names)


def counted_warnings(counted: Counted) -> list[str]:
    """What a user should know of the count: missing values counted, a column that looks like
    measurements (most values seen once) rather than categories."""
    warnings = []
    column = counted.source
    if counted.missing:
        warnings.append(f"{column}: {counted.missing:,} of {counted.samples:,} values are missing (empty, NaN, NA, "
                        f"null), counted as the category {show_value(MISSING)}")
    present = len(counted.categories) - (1 if counted.missing else 0)
    if present > MANY_CATEGORIES and present > counted.samples / 2:
        warnings.append(f"{column}: {present:,} categories in {counted.samples:,} values, most seen once: these "
                        "look like measurements, not categories (`divcli drift` bins measurements)")
    return warnings
