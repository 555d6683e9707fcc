"""Where the rows are in a JSON document: a path written after the file's name
(``out.json:model.logits``), the one array of an object that holds one (``{"logits": [[…], …]}``),
and the layouts of pandas' ``DataFrame.to_json``.

A path is split at its dots. At each object the longest run of parts that is one of its keys is
taken, so a key with dots in it (torch's ``model.layers.0.weight``) is written as it is, with no
escape; at a list, a part that is a whole number is an index from 0 (as in jq and Python).

A document (or the value a path leads to) that is an object of numbers is one row, as before; an
object that holds arrays is a container, and the rows are the one array in it (a chain of such
objects is followed down); several arrays are refused, naming them and the path that would choose
one.
pandas' ``to_json`` layouts other than ``records`` and ``values`` (which are lists already) are
made records here: ``columns`` (its default), ``index`` (both with the default index ``"0"``,
``"1"``, …), ``split`` and ``table``; their values then have no line and column of their own.
"""

from __future__ import annotations

from ..errors import DataError, option, show_value


def _listing(keys: list) -> str:
    shown = ", ".join(show_value(str(key), 30) for key in keys[:8])
    return shown + (f", … ({len(keys)} in all)" if len(keys) > 8 else "")


def _shown(trail: tuple) -> str:
    return "the document" if not trail else show_value(".".join(str(key) for key in trail), 60)


def _kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "a string" if isinstance(value, str) else "null" if value is None else "a number"


def follow(data, path: str, name: str) -> tuple[object, tuple]:
    """The value at ``path`` (``model.logits``) in ``data``, and the keys and indices that lead to
    it (for :func:`~divcli.readers.json_place.json_position`). A key that is not there is refused with
    the keys there are; ``name`` places the message (the file, or its line)."""
    parts, trail, value = path.split("."), (), data
    at = 0
    while at < len(parts):
        _no_duplicate(value, name, trail)
        if isinstance(value, dict):
            end = next((end for end in range(len(parts), at, -1) if ".".join(parts[at:end]) in value), None)
            if end is None:
                raise DataError(name, f"no key {show_value(parts[at])} in {_shown(trail)}",
                                f"its keys are {_listing(list(value))}" if value else "it is an empty object")
            key = ".".join(parts[at:end])
        elif isinstance(value, list) and parts[at].isascii() and parts[at].isdigit() and int(parts[at]) < len(value):
            key, end = int(parts[at]), at + 1
        elif isinstance(value, list):
            raise DataError(name, f"{_shown(trail)} is {_kind(value)}, and {show_value(parts[at])} is no index of it",
                            f"index it from 0 to {len(value) - 1}" if value else "it is empty")
        else:
            raise DataError(name, f"{_shown(trail)} is {_kind(value)}, not an object or a list",
                            f"write the path up to {_shown(trail)}")
        value, trail, at = value[key], trail + (key,), end
    return value, trail


def _no_duplicate(value, name: str, trail: tuple) -> None:
    """An object that names a key twice (the JSON reader marks it: ``json`` would keep the last
    silently) is refused where a path or the search for the one array goes through it."""
    duplicate = getattr(value, "duplicate", "")
    if duplicate:
        where = name if not trail else f"{name}: {_shown(trail)}"
        raise DataError(where, f"the object names key {show_value(duplicate)} twice", "give each key once")


def _holds_arrays(value) -> bool:
    """A list, or an object with a list or an object in it: where rows may be."""
    return isinstance(value, list) or isinstance(value, dict) and any(isinstance(v, (list, dict))
                                                                      for v in value.values())


def is_container(data: dict, select: bool = False) -> bool:
    """An object that holds rows rather than being one: it holds an object, a list of lists or
    objects, or more than one list (one flat list among other fields is a record, one row; so are
    several with ``select``, ``--select`` choosing one)."""
    lists = 0
    for value in data.values():
        if isinstance(value, dict) or isinstance(value, list) and value and isinstance(value[0], (list, dict)):
            return True  # (a list's first item tells: a list that mixes numbers and lists is refused later)
        lists += isinstance(value, list)
    return lists > 1 and not select


def document_rows(data, name: str, select: bool = False, above: tuple = ()) -> tuple[object, tuple | None]:
    """The rows of a JSON document (or of the value a path led to, ``above`` the keys of that path):
    the value itself, unless it is a container (:func:`is_container`): then a pandas layout made
    records, or the one array in it. Also the keys that lead there from the value (None for a
    pandas layout: its values have no place of their own)."""
    trail: tuple = ()
    while isinstance(data, dict) and is_container(data, select):
        _no_duplicate(data, name, above + trail)
        records = pandas_records(data)
        if records is not None:
            return records, None
        arrays = [key for key, value in data.items() if _holds_arrays(value)]
        if len(arrays) != 1:
            where = name if not above + trail else f"{name}: {_shown(above + trail)}"
            if not arrays and is_indexed_frame(data):
                raise DataError(where, "an object of objects with the same keys, as pandas' to_json writes a frame "
                                       "with an index of its own: its rows and columns cannot be told apart",
                                'write the frame with to_json(orient="split"), or after reset_index() with the index '
                                f"column named by {option('names')}")
            if not arrays:
                raise DataError(where, "no list of numbers in it", f"its keys are {_listing(list(data))}")
            path = ".".join(str(key) for key in above + trail + (arrays[0],))
            raise DataError(where, f"{len(arrays)} arrays in it: {_listing(arrays)}",
                            f"choose one after the file's name, as {name}:{path}")
        data, trail = data[arrays[0]], trail + (arrays[0],)
    return data, trail


def is_indexed_frame(data: dict) -> bool:
    """An object of (at least two) objects with the same keys in the same order, none a container:
    pandas' ``to_json`` of a frame whose index is not the default one, in its ``columns`` layout
    (column → row → value) or its ``index`` layout (row → column → value). Nothing in the document
    says which, and the two are each other's transpose."""
    inner = list(data.values())
    if len(inner) < 2 or not all(isinstance(value, dict) and value for value in inner):
        return False
    keys = list(inner[0])
    return all(list(value) == keys and not any(isinstance(v, (list, dict)) for v in value.values()) for value in inner)


def _default_index(keys) -> bool:
    """``"0"``, ``"1"``, …: the keys pandas writes for a default index."""
    return all(key == str(number) for number, key in enumerate(keys))


def pandas_records(data: dict) -> list | None:
    """The rows of a document written by pandas' ``to_json`` as records (a list of objects, one a
    row), or None when ``data`` is not one of its layouts: ``table``, ``split``, ``index`` or
    ``columns`` (the last two with the default index)."""
    for layout in (_table_records, _split_records, _nested_records):
        records = layout(data)
        if records is not None:
            return records
    return None


def _table_records(data: dict) -> list | None:
    """``orient="table"``: ``schema`` and ``data``, the records; the default index's field
    ``index`` is left out."""
    if set(data) != {"schema", "data"} or not isinstance(data["data"], list) or \
            not all(isinstance(row, dict) for row in data["data"]):
        return None
    index = data["schema"].get("primaryKey") if isinstance(data["schema"], dict) else None
    left_out = "index" if index == ["index"] else None
    return [{key: value for key, value in row.items() if key != left_out} for row in data["data"]]


def _split_records(data: dict) -> list | None:
    """``orient="split"``: ``columns`` (distinct), ``data`` (one list a row, a value per column),
    and ``index`` and ``name`` left out."""
    if not {"columns", "data"} <= set(data) <= {"columns", "index", "data", "name"}:
        return None
    columns, rows = data["columns"], data["data"]
    if not isinstance(columns, list) or not isinstance(rows, list):
        return None
    names = list(map(str, columns))
    if len(set(names)) != len(names) or not all(isinstance(row, list) and len(row) == len(names) for row in rows):
        return None
    return [dict(zip(names, row)) for row in rows]


def _nested_records(data: dict) -> list | None:
    """``orient="index"`` (row → column → value) or ``"columns"`` (column → row → value), each with
    pandas' default index (``"0"``, ``"1"``, …)."""
    inner = list(data.values())
    if not inner or not all(isinstance(value, dict) and value for value in inner):
        return None
    if _default_index(data):
        return inner
    rows = list(inner[0])
    if _default_index(rows) and all(list(value) == rows for value in inner):
        return [{column: values[row] for column, values in data.items()} for row in rows]
    return None
