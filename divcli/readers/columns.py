"""Which columns of an operand hold the numbers, and which one names the rows: ``--select``,
``--drop`` and ``--names``.

A choice is written as the user typed it (``"count"``, ``"2-5,7"``) and resolved against an
operand's header (its class names) and width once, when the first row is read; every later block
reuses the resolution, so a large file still streams. Columns are named by their header cell, by a
pattern of header cells (``teacher_*``, :mod:`fnmatch`'s: the columns it matches in the file's order),
or numbered from 1 as written (as ``cut`` numbers them); ``a-b`` is the range of columns a to b. A
header cell that is written exactly as the item wins over the pattern and the number (a class may be
called ``2-5``).

One operand's own choice (``--p-select``, ``--q-drop``, …) is the same record: ``side`` says whose
(``"p"`` or ``"q"``) and ``own`` which of its parts came from that operand's own options, so that a
message names the option the user gave.

A header whose first cell is empty (pandas' ``to_csv`` writes ``,a,b,c`` above its index) takes
that column as the row names, unless ``--names`` says another column or ``--select`` chooses it.
"""

from __future__ import annotations

import fnmatch
import glob
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..errors import DataError, option, show_value

_NUMBER = re.compile(r"\d+")
_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")
_FROM_ZERO = re.compile(r"0+(\s*-\s*\d+)?")


def split_items(text: str | None) -> tuple[str, ...]:
    """``"a, b,2-4"`` → ``("a", "b", "2-4")``; empty items are dropped."""
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())


@dataclass(frozen=True)
class Picked:
    """A resolved choice: ``keep`` are the 0-based columns (as written) that hold the numbers, in
    the order chosen; ``names`` the column of row names; ``width`` the row width as written."""

    keep: tuple[int, ...]
    names: int | None
    width: int

    def cells(self, record: list) -> list:
        return [record[index] for index in self.keep]


@dataclass(frozen=True)
class ColumnChoice:
    """``--select``, ``--drop`` and ``--names`` as given (items as typed, or empty); ``side`` and
    ``own``: the operand (``"p"``, ``"q"``) whose own options gave the parts named in ``own``."""

    select: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    names: str | None = None
    side: str = ""
    own: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, select: str | None = None, drop: str | None = None, names: str | None = None, *,
              side: str = "", own: frozenset[str] = frozenset()) -> "ColumnChoice":
        return cls(split_items(select), split_items(drop), names.strip() if names and names.strip() else None,
                   side, frozenset(own))

    def option(self, part: str, value: object = None) -> str:
        """The option that gave ``part`` (``select``, ``drop``, ``names``), for a message: ``--q-select``
        where it was the operand's own (``--q-cols`` where the old spelling gave it), else ``--select``;
        with ``value``, written with it."""
        if part == "select" and "cols" in self.own and self.side:
            return option(f"{self.side}_cols", value)
        return option(f"{self.side}_{part}" if part in self.own and self.side else part, value)

    @property
    def given(self) -> bool:
        return bool(self.select or self.drop or self.names)

    def resolve(self, header: list[str] | None, width: int, where: str) -> Picked | None:
        """The columns to read from rows of ``width`` cells under ``header`` (None: no header), or
        None when every column is a number (nothing chosen, no pandas index)."""
        return _resolve(self, None if header is None else tuple(header), width, where)


@lru_cache(maxsize=64)
def _resolve(choice: ColumnChoice, header: tuple[str, ...] | None, width: int, where: str) -> Picked | None:
    # The grammar of --select, --drop and --names together, one step each below (pandas' index
    # column, a column chosen twice, a names column also selected, nothing left), in the order
    # their faults are told. Cached: every block of an operand resolves the same choice.
    pandas_index = bool(header) and header[0] == "" and width > 1
    if not choice.given and not pandas_index:
        return None
    names = None if choice.names is None else _one(choice.names, header, width, where, choice.option("names"))
    keep = _selected(choice, header, width, where)
    keep = _without_dropped(keep, choice, header, width, where)
    names = _names_column(names, keep, choice, header, pandas_index, where)
    if names is not None:
        keep = [index for index in keep if index != names]
    if not keep:
        raise DataError(where, "no columns of numbers are left", f"its columns are {_listing(header, width)}")
    return Picked(tuple(keep), names, width)


def _selected(choice: ColumnChoice, header: tuple[str, ...] | None, width: int, where: str) -> list[int]:
    """The columns ``--select`` chooses, in its order (every column when it is not given); a
    column chosen twice is refused, since it would be read twice as two columns of numbers."""
    if not choice.select:
        return list(range(width))
    said = choice.option("select")
    keep = [index for item in choice.select for index in _indices(item, header, width, where, said)]
    repeated = next((index for index in keep if keep.count(index) > 1), None)
    if repeated is not None:
        raise DataError(where, f"{said} chooses column {_shown(repeated, header)} twice", "name each column once")
    return keep


def _without_dropped(keep: list[int], choice: ColumnChoice, header: tuple[str, ...] | None, width: int,
                     where: str) -> list[int]:
    """``keep`` less the columns ``--drop`` names; every item is resolved (an unknown one is an
    error) even where ``--select`` had already left that column out."""
    if not choice.drop:
        return keep
    dropped = {index for item in choice.drop for index in _indices(item, header, width, where, choice.option("drop"))}
    return [index for index in keep if index not in dropped]


def _names_column(names: int | None, keep: list[int], choice: ColumnChoice, header: tuple[str, ...] | None,
                  pandas_index: bool, where: str) -> int | None:
    """The column of row names: ``--names`` as resolved, else pandas' index column (its header
    cell is empty) unless ``--select`` chose it as numbers. A ``--names`` column that
    ``--select`` also chose is refused: a column holds row names or numbers, not both."""
    if names is None:
        return 0 if pandas_index and not (choice.select and 0 in keep) else None
    if choice.select and names in keep:
        said = choice.option("select")
        raise DataError(where, f"{choice.option('names')} column {_shown(names, header)} is also chosen by {said}",
                        f"a column holds row names or numbers, not both: leave it out of {said}")
    return names


def _shown(index: int, header: tuple[str, ...] | None) -> str:
    return f"{index + 1} ({show_value(header[index])})" if header else str(index + 1)


def _listing(header: tuple[str, ...] | None, width: int) -> str:
    if header:
        shown = [show_value(name, 20) for name in header[:12]]
        return ", ".join(shown) + (f", … ({width} in all)" if width > 12 else "")
    return f"numbered 1 … {width}" if width > 1 else "numbered 1 (there is one)"


class UnknownColumn(DataError):
    """A column ``--select``/``--drop`` names that the file has not: ``item`` as typed, ``header`` the
    file's column names (None without a header), so that a command may treat it as a mistake of the
    command line and suggest a close name."""

    def __init__(self, where: str, what: str, hint: str, item: str, header):
        super().__init__(where, what, hint)
        self.item, self.header = item, tuple(header or ())


def _unknown(item: str, header, width: int, where: str, option: str) -> DataError:
    listing = f"its columns are {_listing(header, width)}" + (" (or numbered 1 … " f"{width})" if header else "")
    if _FROM_ZERO.fullmatch(item):  # 0 is no column: the old 0-based --p-cols, or a habit of Python's
        listing = f"columns are numbered from 1 (the first is 1, as in cut); {listing}"
    return UnknownColumn(where, f"{option}: no column {show_value(item)}", listing, item, header)


def _indices(item: str, header, width: int, where: str, option: str) -> list[int]:
    """The 0-based columns an item names: a header cell, a pattern of header cells (the columns it
    matches, in the file's order), a number from 1, or a range ``a-b``."""
    if header and item in header:
        return [header.index(item)]
    if glob.has_magic(item):
        matched = [index for index, name in enumerate(header or ()) if fnmatch.fnmatchcase(name, item)]
        if matched:
            return matched
        raise UnknownColumn(where, f"{option}: no column matches {show_value(item)}",
                            f"its columns are {_listing(header, width)}" if header else
                            f"its columns have no names to match, only numbers 1 … {width}", item, header)
    if _NUMBER.fullmatch(item) and 1 <= int(item) <= width:
        return [int(item) - 1]
    span = _RANGE.fullmatch(item)
    if span and 1 <= int(span[1]) <= int(span[2]) <= width:
        return list(range(int(span[1]) - 1, int(span[2])))
    raise _unknown(item, header, width, where, option)


def _one(item: str, header, width: int, where: str, option: str) -> int:
    found = _indices(item, header, width, where, option)
    if len(found) != 1:
        raise DataError(where, f"{option} takes one column, not {show_value(item)}")
    return found[0]


def name_text(value: float) -> str:
    """A row name read from a column of numbers (.npy, JSON): ``3``, not ``3.0``."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1 << 53 else repr(float(value))


def pick_values(values: np.ndarray, picked: Picked | None) -> tuple[np.ndarray, list[str] | None]:
    """The chosen columns of an array read whole, and the row names from its names column."""
    if picked is None:
        return values, None
    names = None if picked.names is None else [name_text(v) for v in values[:, picked.names]]
    return np.ascontiguousarray(values[:, list(picked.keep)]), names
