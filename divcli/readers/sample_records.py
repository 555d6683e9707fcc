"""The record of raw samples for ``divcli drift`` (:mod:`.samples` reads text and JSON into it,
:mod:`.sample_binary` ``.npy`` and Parquet): a column kept as read (:class:`SampleColumn`), turned
into numbers (:meth:`Samples.numbers`) or category names (:meth:`Samples.categories`) when the
computation knows which it is, and the rule of a missing cell.

Missing: an empty cell, ``nan``, ``NA``, ``null`` (any case), JSON's null, Parquet's null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import DataError, option, show_value
from .columns import ColumnChoice, name_text
from .numbers import parse_number

#: Cell texts read as a missing value (compared in lower case), besides the empty cell.
MISSING_TEXTS = frozenset({"", "nan", "+nan", "-nan", "na", "n/a", "null", "none"})
#: A number written with a leading zero: a code (``007``), not a quantity.
_LEADING_ZERO = re.compile(r"\s*[+-]?0\d")


@dataclass
class SampleColumn:
    """One column as read: ``cells`` float64 (NaN where missing) for a binary format's numbers, else
    an object array of texts or numbers (None where missing); ``written`` its place in the file
    (from 1)."""

    name: str
    cells: np.ndarray
    written: int


@dataclass
class Samples:
    """An input's chosen columns, ``rows`` observations each; ``lines[i]`` the physical line of row
    ``i`` in a text file (None for the other formats)."""

    name: str
    columns: list[SampleColumn]
    rows: int
    lines: np.ndarray | None = None

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> SampleColumn:
        return next(column for column in self.columns if column.name == name)

    def where(self, row: int, column: SampleColumn) -> str:
        """``ref.csv:3:2`` (line, column as written) or ``ref.jsonl: row 3, 'age'``."""
        if self.lines is not None:
            return f"{self.name}:{int(self.lines[row])}:{column.written}"
        return f"{self.name}: row {row + 1}, column {show_value(column.name)}"

    def numbers(self, column: SampleColumn, categorical_hint: bool = True) -> np.ndarray:
        """The column's values as float64, NaN where missing; text that is not a number is an error
        that names the cell (and, with ``categorical_hint``, says to count it as categories)."""
        cells = column.cells
        if cells.dtype != object:
            return cells
        missing = np.fromiter((is_missing(cell) for cell in cells), bool, len(cells))
        values = np.full(len(cells), np.nan)
        present = np.flatnonzero(~missing)
        values[present] = self._parsed(cells[present], present, column, categorical_hint)
        return values

    def _parsed(self, cells: np.ndarray, rows: np.ndarray, column: SampleColumn, hint: bool) -> np.ndarray:
        texts = [cell for cell in cells if isinstance(cell, str)]
        if all(text.isascii() and "_" not in text for text in texts):
            try:  # numpy's own parsing, at C speed, where it reads the same numbers as divcli's grammar
                return cells.astype(np.float64)
            except (ValueError, TypeError):
                pass
        values = np.empty(len(cells))
        for index, cell in enumerate(cells):
            try:
                values[index] = float(cell) if isinstance(cell, (int, float)) else parse_number(cell)
            except ValueError as error:
                fix = (f"pass {option('categorical', column.name)} to count its values as categories"
                       if hint else "give numbers, or leave the cell empty for a missing value")
                raise DataError(self.where(int(rows[index]), column),
                                f"column {show_value(column.name)}: {error}", fix) from None
        return values

    def textual(self, column: SampleColumn) -> bool:
        """Whether the column holds text and no number at all (a column of names, like a city): it
        can only be counted per category. One number among the text is not: that is a typo to show."""
        cells = column.cells
        if cells.dtype != object:
            return False
        present = [cell for cell in cells if not is_missing(cell)]
        return bool(present) and not any(not isinstance(cell, str) or is_number_text(cell) for cell in present)

    def categories(self, column: SampleColumn) -> np.ndarray:
        """The column's values as category names (an object array of str; None where missing), each
        cell named on its own by :func:`category_name`, so a piece of a file names its cells as the
        whole file does."""
        return category_names(column.cells)


def is_missing(cell) -> bool:
    """Whether a cell as read is a missing value: None, NaN, or a text of :data:`MISSING_TEXTS`."""
    if cell is None:
        return True
    if isinstance(cell, str):
        return cell.lower() in MISSING_TEXTS
    return isinstance(cell, float) and cell != cell


def category_name(cell) -> str | None:
    """The one rule that names a category, wherever a column of labels is counted (``--p-as samples``,
    ``drift``'s categorical columns, ``mi``'s labels); None for a missing cell (:func:`is_missing`).

    A number is named as the number is (``1``, ``1.0`` and JSON's 1 are the category ``1``; ``2.5``
    is ``2.5``), whether it was read as a number or as text, and whatever else its column holds; a
    text written with a leading zero (``007``, ``02134``: a code, not a quantity) is named as
    written, and so is any other text. A cell is never named by the rest of its column, so a file
    read a piece at a time names its cells as the file read whole."""
    if is_missing(cell):
        return None
    if not isinstance(cell, str):
        return name_text(cell)
    if _LEADING_ZERO.match(cell):
        return cell
    try:
        return name_text(parse_number(cell))
    except ValueError:
        return cell


def category_names(cells: np.ndarray) -> np.ndarray:
    """:func:`category_name` of every cell (float64 with NaN, or objects), as an object array with
    None where missing; each distinct value is named once."""
    names = np.full(len(cells), None, dtype=object)
    if cells.dtype != object:
        present = ~np.isnan(cells)
        distinct, inverse = np.unique(cells[present], return_inverse=True)
        named = np.array([name_text(value) for value in distinct.tolist()], dtype=object)
        names[present] = named[inverse.ravel()]
        return names
    named: dict = {}
    for index, cell in enumerate(cells.tolist()):
        key = (type(cell), cell)
        if key not in named:
            named[key] = category_name(cell)
        names[index] = named[key]
    return names


def sorted_categories(names) -> list[str]:
    """Category names in order: by value when every one is a number (``2`` before ``10``; ``007``
    beside ``7``, then by text), else by text; the same order whatever order they came in."""
    try:
        return sorted(names, key=lambda name: (float(name), name))
    except ValueError:
        return sorted(names)


def is_number_text(cell: str) -> bool:
    """Whether a text reads as a number by divcli's grammar."""
    try:
        parse_number(cell)
    except ValueError:
        return False
    return True


def picked(header: list[str] | None, width: int, name: str, columns: ColumnChoice) -> list[int]:
    """The 0-based columns ``--select``/``--drop`` keep (every one when neither is given)."""
    chosen = columns.resolve(header, width, name)
    return list(range(width)) if chosen is None else list(chosen.keep)


def no_rows(name: str, hint: str = "give a header and one row an observation") -> DataError:
    """The error of an input that holds no observation."""
    return DataError(name, "no rows of samples", hint)


def check_unique(kept: list[SampleColumn], name: str) -> None:
    """Refuse two columns of one name: the two sides' columns are matched by name."""
    seen: set[str] = set()
    for column in kept:
        if column.name in seen:
            raise DataError(name, f"two columns are named {show_value(column.name)}", "give every column its own name")
        seen.add(column.name)
