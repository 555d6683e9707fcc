"""Records with a list field: JSON objects such as ``{"id": 7, "logits": [0.1, …]}`` (a row of
pandas' ``to_json(orient="records")``, a line of JSON Lines), whose numbers are the one list.

The list is the field ``--select`` names, or the only list field of the record when it has one;
``--names`` takes the row's name from another field; the other fields (ids, text, a step number)
are left out. ``--drop`` leaves fields out before the only list is looked for. Columns are named by
the record's keys, or numbered from 1 in the record's order, as a header's are.
"""

from __future__ import annotations

from typing import Callable

from ..errors import DataError, show_value
from .columns import ColumnChoice


def is_record(item: dict) -> bool:
    """An object with a list among its values: a record, whose numbers are a list field (an object
    of numbers alone is a row whose keys name the classes)."""
    return any(isinstance(value, list) for value in item.values())


def _listing(keys: list[str]) -> str:
    return ", ".join(show_value(key, 30) for key in keys[:8]) + (f", … ({len(keys)} in all)" if len(keys) > 8 else "")


def list_field(item: dict, columns: ColumnChoice, where_row: Callable[[], str], name: str) -> tuple[str, str | None]:
    """The key of the record's list field and of its names field (None without ``--names``)."""
    keys = list(item)
    field, names = choose_list(keys, {key for key in keys if isinstance(item[key], list)}, columns, where_row, name)
    if names is not None and isinstance(item[names], dict):
        raise DataError(where_row(), f"{columns.option('names')} field {show_value(names)} is an object",
                        "name the rows by a field of text or numbers")
    return field, names


def choose_list(keys: list[str], lists: set[str], columns: ColumnChoice, where: Callable[[], str], name: str,
                noun: str = "field") -> tuple[str, str | None]:
    """Of the fields (or columns) ``keys``, the list ``lists`` hold, the one that holds the numbers and
    the one that names the rows (None without ``--names``).

    ``--select`` must choose one list; without it there must be one list among the fields ``--drop``
    and ``--names`` leave. The choice is resolved as a header's (and cached: every record of one
    shape resolves it once)."""
    picked = columns.resolve(keys, len(keys), name)
    kept = [keys[index] for index in (range(len(keys)) if picked is None else picked.keep)]
    found = [key for key in kept if key in lists]
    hint = _choose([key for key in keys if key in lists], noun, columns)
    names = None if picked is None or picked.names is None else keys[picked.names]
    if names in lists:
        raise DataError(where(), f"{columns.option('names')} {noun} {show_value(names)} is a list",
                        f"name the rows by a {noun} of text or numbers")
    if columns.select and (len(kept) != 1 or not found):
        chosen = ", ".join(show_value(key, 30) for key in kept)
        raise DataError(where(), f"{columns.option('select')} chooses {chosen}, but the numbers are one list {noun}", hint)
    if len(found) != 1:
        holder = "the record holds" if noun == "field" else "the file has"
        what = f"{len(found)} list {noun}s: {_listing(found)}" if found else f"no list {noun} left to read"
        raise DataError(where(), f"{holder} {what}", hint)
    return found[0], names


def _choose(lists: list[str], noun: str, columns: ColumnChoice) -> str:
    """How to choose the list: with the option that chooses this operand's columns (--q-select …)."""
    if not lists:
        return f"the numbers are a list {noun}"
    return f"choose the list with {columns.option('select', lists[0])} (its list {noun}s are {_listing(lists)})"
