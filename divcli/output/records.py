"""What each format makes of a record's per-row fields.

A block gives its fields as a list of :class:`~divcli.fields.Column` (``report.columns()``: the
fields of each family are listed by its records, :mod:`divcli.computations.divergence_records` and
:mod:`divcli.measures.measure_records`). From these come the CSV cells (:func:`csv_texts`), the JSON
values (:func:`json_values`), the plain records of the table and ``--top`` (:func:`records`), the
names of the CSV header and the Parquet columns (:func:`column_names`) and the Parquet parts'
arrays (``parquet.py``). A ``terms`` column (kl with ``--reduction none``) is one column per class
in CSV and Parquet (``term:CLASS``), and an object per row in JSON and the plain records.
"""

from __future__ import annotations

import json

import numpy as np

from ..fields import Column, Holds
from .texts import blank, json_records, json_texts, number_texts, row_numbers


def column_names(columns: list[Column]) -> list[str]:
    """The names of the CSV header and of the Parquet columns: a ``terms`` column's as ``term:CLASS``."""
    names = []
    for column in columns:
        names += [f"term:{name}" for name in column.classes] if column.holds is Holds.TERMS else [column.name]
    return names


def csv_texts(column: Column) -> list[str]:
    """A column's CSV cells: numbers as ``repr``, a missing value empty."""
    holds, values = column.holds, column.values
    if holds is Holds.ROW:
        return row_numbers(values.start, len(values))
    if holds is Holds.NAME:
        return [str(name) for name in values]
    if holds is Holds.OPTIONAL:
        if column.missing is not None and column.missing.all():
            return [""] * len(values)
        return blank(number_texts(values), column.missing, "")
    if holds is Holds.TERMS:  # a row's terms joined by commas: the last cells of its line
        return value_texts(values, False)
    return _plain_texts(column)


def json_values(column: Column) -> list[str]:
    """A column's JSON values: names as JSON strings, non-finite numbers as strings, missing null."""
    holds, values = column.holds, column.values
    if holds is Holds.ROW:
        return row_numbers(values.start, len(values))
    if holds is Holds.NAME:
        return [json.dumps(name, ensure_ascii=False) for name in values]
    if holds in (Holds.NUMBER, Holds.OPTIONAL):
        return json_texts(values, column.missing)
    if holds is Holds.TERMS:  # per row an object: each class's term
        flat, width = json_texts(values.ravel()), len(column.classes)
        return json_records([(name, flat[index::width]) for index, name in enumerate(column.classes)])
    return _plain_texts(column)


def _plain_texts(column: Column) -> list[str]:
    if column.holds is Holds.INTEGER:
        return list(map(str, column.values.tolist()))
    if column.holds is Holds.FLAG:
        return ["true" if flag else "false" for flag in column.values.tolist()]
    return number_texts(column.values)  # NUMBER


def _value(column: Column, row: int):
    holds, values = column.holds, column.values
    if holds is Holds.ROW or holds is Holds.INTEGER:
        return int(values[row])
    if holds is Holds.NAME:
        return values[row]
    if holds is Holds.FLAG:
        return bool(values[row])
    if holds is Holds.OPTIONAL and column.missing is not None and column.missing[row]:
        return None
    if holds is Holds.TERMS:
        return dict(zip(column.classes, map(float, values[row])))
    return float(values[row])


def records(report, rows=None) -> list[dict]:
    """One plain dict per row (all, or ``rows`` of the block): the table's rows and ``--top``'s."""
    columns = report.columns()
    return [{column.name: _value(column, row) for column in columns}
            for row in (range(report.rows) if rows is None else rows)]


def value_texts(values: np.ndarray, as_json: bool) -> list[str]:
    """``--reduction none`` values: per row one number, or a row of numbers joined by commas (CSV,
    ``-q``) or a JSON list."""
    if values.ndim == 1:
        return json_texts(values) if as_json else number_texts(values)
    flat = json_texts(values.ravel()) if as_json else number_texts(values.ravel())
    width = values.shape[1]
    joined = map((", " if as_json else ",").join, (flat[start:start + width] for start in range(0, len(flat), width)))
    return [f"[{row}]" for row in joined] if as_json else list(joined)


def _agrees(value: float, exact: float) -> bool:
    import math

    if math.isinf(value) or math.isinf(exact):
        return value == exact
    return abs(value - exact) <= 1e-12 * max(1.0, abs(exact))


def library_records(answers, exact: float) -> list[dict]:
    """libraries: each library's value beside divcli's exact D(P‖Q), and whether they agree."""
    return [{"library": a.library, "call": a.call, "value": a.value, "difference": a.value - exact,
             "agrees": _agrees(a.value, exact), "why": a.why} for a in answers]
