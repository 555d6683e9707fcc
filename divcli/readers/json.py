"""JSON and JSON Lines: a list of numbers, a list of lists, an object or a list of objects; or one
such row a line.

Only JSON numbers are values (no ``NaN``, no ``Infinity``, no strings); an object names its classes.
An error is placed by :func:`json_position`, a flat scan of the text run only when something is wrong.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .columns import ColumnChoice, name_text
from ..errors import DataError, foreign_digit, show_value
from ..vocabulary import count_of
from .json_paths import document_rows, follow
from .json_place import json_position, number_position
from .json_records import is_record, list_field
from .numbers import range_warning
from .operand import Operand

def _reject_constant(constant: str):
    raise ValueError(f"{constant} is not a value")


class _TooLarge(str):
    """A JSON number too large for float64, kept as its text to be refused where it is: an integer
    too long (Python's int() stops at 4300 digits, with words about sys.set_int_max_str_digits), or
    a number such as ``1e400`` that float64 would make infinite (JSON has no infinity)."""


def _parse_int(text: str):
    return int(text) if len(text) < 400 else _TooLarge(text)


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
    if isinstance(value, _TooLarge):
        raise DataError(where, f"number too large for float64: {show_value(value)}",
                        "float64 reaches about 1.8e308, and JSON has no infinity")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = json.dumps(value)[:40] if not isinstance(value, (list, dict)) else type(value).__name__
        raise DataError(where, f"not a number: {shown}", "only JSON numbers are values")
    try:
        return float(value)
    except OverflowError:
        raise DataError(where, f"number too large for float64: {str(value)[:40]}") from None


def _json_number_at(value, where_item, *keys) -> float:
    """:func:`_json_number`, locating the value (``where_item(*keys)``) only when it is wrong."""
    if isinstance(value, float) or isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1 << 1000:
        return float(value)
    return _json_number(value, where_item(*keys))


def _record_row(item: dict, where_row, where_item, columns: ColumnChoice | None,
                name: str) -> tuple[list[float], None, str | None]:
    """A record's row: the numbers of its list field (:func:`~divcli.readers.json_records.list_field`),
    and its name from the ``--names`` field."""
    field, names = list_field(item, columns or ColumnChoice(), where_row, name)
    values = [_json_number_at(value, where_item, field, index) for index, value in enumerate(item[field])]
    return values, None, None if names is None else json_name(item[names])


def _json_row(item, where_row, where_item, columns: ColumnChoice | None = None,
              name: str = "") -> tuple[list[float], list[str] | None, str | None]:
    """One row: a list of numbers, or an object of class name → number; and its name (``--names``).
    ``where_row()`` and ``where_item(key)`` locate the row and a value, asked only for an error.

    The shapes are told apart in this order: a record with a list field, a row whose columns
    ``--select``/``--drop``/``--names`` choose, a histogram's ``bin,count`` record, an object, a list."""
    if isinstance(item, dict) and is_record(item) and not isinstance(item, _DuplicateKeys):
        return _record_row(item, where_row, where_item, columns, name)
    chosen = _chosen_row(item, where_item, columns, name)
    if chosen is not None:
        return chosen
    if isinstance(item, dict):
        return _bin_row(item) if _bin_record(item, columns) else _object_row(item, where_row, where_item)
    if isinstance(item, list):
        return [_json_number_at(v, where_item, i) for i, v in enumerate(item)], None, None
    raise DataError(where_row(), f"a row must be a list of numbers or an object, not {json.dumps(item)[:40]}")


def _chosen_row(item, where_item, columns: ColumnChoice | None,
                name: str) -> tuple[list[float], list[str] | None, str | None] | None:
    """The values of the columns (an object's keys, a list's places) that ``columns`` keeps, their
    names and the row's name; None when nothing is chosen (no ``columns``, or every column kept)
    or the row is not a non-empty list or object (refused as such later)."""
    if columns is None or not isinstance(item, (dict, list)) or not item or isinstance(item, _DuplicateKeys):
        return None
    keys = list(item) if isinstance(item, dict) else None
    picked = columns.resolve(keys, len(item), name)
    if picked is None:
        return None
    cells = list(item.values()) if keys else item
    values = [_json_number_at(cells[i], where_item, keys[i] if keys else i) for i in picked.keep]
    row_name = None if picked.names is None else json_name(cells[picked.names])
    return values, None if keys is None else picked.cells(keys), row_name


def _object_row(item: dict, where_row, where_item) -> tuple[list[float], list[str], None]:
    """An object of class name → number: its values, named by its keys; an object naming a key
    twice, or none, is refused."""
    if isinstance(item, _DuplicateKeys):
        raise DataError(where_row(), f"the object names class {show_value(item.duplicate)} twice",
                        "give each class once")
    if not item:
        raise DataError(where_row(), "an empty object has no classes")
    return [_json_number_at(v, where_item, k) for k, v in item.items()], list(item), None


def _bin_record(item: dict, columns: ColumnChoice | None) -> bool:
    """A histogram's record, as pandas writes ``value_counts().reset_index()`` with
    ``orient="records"``: two fields, one a string (the bin's name), the other a number (its count);
    not when ``--select``/``--drop``/``--names`` choose among its fields."""
    if len(item) != 2 or isinstance(item, _DuplicateKeys) or columns is not None and columns.given:
        return False
    kinds = sorted(type(value).__name__ for value in item.values())
    return kinds in (["float", "str"], ["int", "str"])


def _bin_row(item: dict) -> tuple[list[float], list[str], str]:
    """A histogram's record as a row: its count (under the count's key), named by the bin."""
    (name,) = [value for value in item.values() if isinstance(value, str)]
    (key, count), = [(key, value) for key, value in item.items() if not isinstance(value, str)]
    return [_json_number(count, key)], [key], name


def json_name(value) -> str:
    """A row name from JSON: a string as it is, a number as written (``3``, not ``3.0``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return name_text(value) if isinstance(value, float) else str(value)
    return json.dumps(value)[:40]


def _load_json(text: str, where, warnings: list[str] | None = None) -> object:
    def parse_float(number: str) -> float:
        value = float(number)
        if math.isinf(value):
            return _TooLarge(number)  # refused where it is, when the row is read
        warning = range_warning(number, value) if value == 0 else None
        if warning and warnings is not None:
            found = number_position(text, number)
            warnings.append(f"{where(*found) if found else where(None, None)}: {warning}")
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


def _rows_to_operand(parsed_rows, name, lines, where=None, order: list[str] | None = None) -> Operand:
    """Check that JSON rows agree in length and class names, then stack them; an object whose keys
    are those of the first row (or ``order``, an earlier block's) in another order is put in that order."""
    classes = parsed_rows[0][1] if order is None and parsed_rows else order
    rows: list[list[float]] = []
    for index, (values, keys, _) in enumerate(parsed_rows):
        def here(index=index) -> str:  # located only for an error (locating a JSON row scans the text)
            return f"{name}:{lines[index]}" if lines else where(index)

        values = _in_class_order(values, keys, classes, here)
        if rows and len(values) != len(rows[0]):
            raise DataError(here(),
                            f"this row has {count_of(len(values), 'value', 'values')}, the first has {len(rows[0])}",
                            "every row needs one value per class")
        rows.append(values)
    if not rows or not rows[0]:
        raise DataError(name, "no numbers found")
    names = [row_name for _, _, row_name in parsed_rows]
    return Operand(np.array(rows, dtype=np.float64), name, classes, lines or None,
                   row_names=names if names and names[0] is not None else None)


def _in_class_order(values: list[float], keys: list[str] | None, classes: list[str] | None, here) -> list[float]:
    """A row's values in the order of ``classes`` (the first row's keys, None for lists): an object
    with the same keys in another order is realigned; one with other keys, or a list among objects
    (or an object among lists), is refused at ``here()``."""
    if keys == classes:
        return values
    if keys is None or classes is None:
        raise DataError(here(), "mixes objects and lists", "write every row the same way")
    if set(keys) == set(classes) and len(keys) == len(classes):  # dictionaries in any order
        position = {key: column for column, key in enumerate(keys)}
        return [values[position[key]] for key in classes]
    raise _other_keys(keys, classes, here())


def _other_keys(keys: list[str], classes: list[str], where: str) -> DataError:
    """The refusal of an object whose keys are not the first row's, naming the keys it lacks and
    those it has besides."""
    missing, extra = [k for k in classes if k not in set(keys)], [k for k in keys if k not in set(classes)]
    differences = [f"it has no {_keys(missing)}" if missing else "", f"it has {_keys(extra)} besides" if extra else ""]
    return DataError(where, "this object's keys are not the first row's: " + "; ".join(filter(None, differences)),
                     "give every row the same keys (in any order)")


def _keys(keys: list[str], limit: int = 5) -> str:
    shown = ", ".join(show_value(key) for key in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def read_json(text: str, name: str, columns: ColumnChoice | None = None, key: str | None = None) -> Operand:
    """A list of numbers (one row), a list of lists, an object, or a list of objects (rows, or
    records with a list field); the value at ``key`` (``model.logits``) when given, else the rows
    the document holds (:func:`~divcli.readers.json_paths.document_rows`)."""
    warnings: list[str] = []
    data = _load_json(text, lambda line, col: f"{name}:{line}:{col}" if line else name, warnings)
    trail: tuple | None = ()
    if key is not None:
        data, trail = follow(data, key, name)
    data, below = document_rows(data, name, bool(columns and columns.select), trail)
    trail = None if below is None else trail + below

    def where(*path) -> str:
        found = None if trail is None else json_position(text, trail + path)
        if found:
            return f"{name}:{found[0]}:{found[1]}"
        return f"{name}: " + ", ".join(f"{'row' if i == 0 and len(path) > 1 else 'item'} "
                                       f"{p + 1 if isinstance(p, int) else repr(p)}" for i, p in enumerate(path))

    if isinstance(data, dict) or (isinstance(data, list) and data and not isinstance(data[0], (list, dict))):
        rows = [_json_row(data, lambda: name, lambda *keys: where(*keys), columns, name)]
    elif not isinstance(data, list):
        raise DataError(name, f"expected a list or an object, not {json.dumps(data)[:40]}")
    elif not data:
        raise DataError(name, "no numbers found (an empty list)")
    else:
        rows = [_json_row(item, lambda i=i: where(i), lambda *keys, i=i: where(i, *keys), columns, name)
                for i, item in enumerate(data)]
    operand = _rows_to_operand(rows, name, None, where)
    operand.warnings.extend(warnings[:3])
    # a flat list of whole numbers written as such (no "1.0"): class indices, as np.save'd labels are
    operand.integer_vector = isinstance(data, list) and operand.rows == 1 and all(
        type(value) is int for value in data)
    return operand


def read_json_lines(text: str, name: str, first_line: int = 1, columns: ColumnChoice | None = None,
                    key: str | None = None, order: list[str] | None = None) -> Operand:
    """One JSON row (a list of numbers, an object, or a record with a list field) per non-blank
    line; the value at ``key`` (``outputs.logits``) in each line's object when given; objects in the
    order of the first one (``order``: of an earlier block's). A bare number is a row of one value,
    so lines of labels (``2``, as ``Series.to_json(orient="records", lines=True)`` writes them) are
    a column, read as a CSV column is."""
    parsed, lines, warnings = [], [], []
    for number, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        item = _load_json(line, lambda _l, col, n=number: f"{name}:{n}:{col}" if col else f"{name}:{n}", warnings)
        trail: tuple = ()
        if key is not None:
            item, trail = follow(item, key, f"{name}:{number}")
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = [item]
        parsed.append(_json_row(item, lambda n=number: f"{name}:{n}",
                                lambda *keys, n=number, line=line, t=trail: _line_item(name, n, line, t + keys),
                                columns, name))
        lines.append(number)
    if not parsed:
        raise DataError(name, "no numbers found")
    operand = _rows_to_operand(parsed, name, lines, order=order)
    operand.warnings.extend(warnings[:3])
    return operand


def _line_item(name: str, number: int, line: str, path: tuple) -> str:
    """Where the value at ``path`` of a JSON Lines row is: ``p.jsonl:2:7``, its line and column."""
    found = json_position(line, path)
    if found is not None:
        return f"{name}:{number}:{found[1]}"
    return f"{name}:{number}: item " + ", ".join(f"{p + 1 if isinstance(p, int) else repr(p)}" for p in path)


def is_json_lines(text: str) -> bool:
    """A text that starts with ``[`` or ``{`` is JSON Lines when a first document is followed by more."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        return error.msg == "Extra data"
    except (ValueError, RecursionError):
        pass  # read_json reports these
    return False


def is_flat_row(line: bytes) -> bool:
    """A JSON Lines row: a list of non-containers, or an object."""
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(row, dict) or (isinstance(row, list) and not any(isinstance(v, (list, dict)) for v in row))
