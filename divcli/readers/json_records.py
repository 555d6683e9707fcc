"""Records with a list field: JSON objects such as ``{"id": 7, "logits": [0.1, …]}`` (a row of
pandas' ``to_json(orient="records")``, a line of JSON Lines), whose numbers are the one list.

The list is the field ``--select`` names, or the only list field of the record when it has one;
``--names`` takes the row's name from another field; the other fields (ids, text, a step number)
are left out. ``--drop`` leaves fields out before the only list is looked for. Columns are named by
the record's keys, or numbered from 1 in the record's order, as a header's are.
"""

from __future__ import annotations

from typing import Callable

from ..errors import DataError, option, show_value
from .columns import ColumnChoice


def is_record(item: dict) -> bool:
    """An object with a list among its values: a record, whose numbers are a list field (an object
    of numbers alone is a row whose keys name the classes)."""
    return any(isinstance(value, list) for value in item.values())


def _listing(keys: list[str]) -> str:
    return ", ".join(show_value(key, 30) for key in keys[:8]) + (f", … ({len(keys)} in all)" if len(keys) > 8 else "")


def list_field(item: dict, columns: ColumnChoice, where_row: Callable[[], str], name: str) -> tuple[str, str | None]:
    """The key of the record's list field and of its names field (None without ``--names``).

    ``--select`` must choose one list field; without it the record must hold one list among the
    fields ``--drop`` and ``--names`` leave. The choice is resolved as a header's (and cached: every
    record of one shape resolves it once)."""
    keys = list(item)
    picked = columns.resolve(keys, len(keys), name)
    kept = [keys[index] for index in (range(len(keys)) if picked is None else picked.keep)]
    lists = [key for key in kept if isinstance(item[key], list)]
    if columns.select and (len(kept) != 1 or not lists):
        chosen = ", ".join(show_value(key, 30) for key in kept)
        raise DataError(where_row(), f"{option('select')} chooses {chosen}, but a record's numbers are one list field",
                        _choose(item))
    if len(lists) != 1:
        found = f"{len(lists)} list fields: {_listing(lists)}" if lists else "no list field"
        raise DataError(where_row(), f"the record holds {found}" + ("" if lists else " left to read"), _choose(item))
    names = None if picked is None or picked.names is None else keys[picked.names]
    if names is not None and isinstance(item[names], (list, dict)):
        raise DataError(where_row(), f"{option('names')} field {show_value(names)} is a list or an object",
                        "name the rows by a field of text or a number")
    return lists[0], names


def _choose(item: dict) -> str:
    lists = [key for key, value in item.items() if isinstance(value, list)]
    if not lists:
        return "a record's numbers are a list field"
    return f"choose the list with {option('select', lists[0])} (its list fields are {_listing(lists)})"
