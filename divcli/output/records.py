"""The per-row fields of every report, defined once, and what each format makes of them.

A report's block becomes a list of :class:`Column`: the field's name, what it holds, and its values
for every row of the block. kl, ce and entropy (:func:`report_columns`): ``row`` (1-based in the
input), ``name`` (when rows are named), ``label`` and ``ignored`` (label targets), ``entropy_p``,
and but for entropy ``cross_entropy``, ``kl_divergence`` and ``check``; kl with ``--reduction
none`` adds each class's term (:func:`has_terms`). js and compare (:func:`measure_columns`):
``row``, ``name``, then one column per measure key. From these come the CSV cells
(:func:`csv_texts`), the JSON values (:func:`json_values`), the plain records of the table and
``--top`` (:func:`records`) and the Parquet parts' arrays (``parquet.py``).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..vocabulary import Reduction, Command
from ..computations.divergence_records import Report
from .texts import blank, json_texts, number_texts, row_numbers


FORMULAS = {
    Command.KL: "D(P‖Q) = Σ p·log(p/q)",
    Command.CE: "H(P,Q) = −Σ p·log q",
    Command.ENTROPY: "H(P) = −Σ p·log p",
}


class Holds(enum.Enum):
    """What a column's values are, which decides how each format writes them."""

    ROW = "row"            # the 1-based row numbers (a range)
    NAME = "name"          # the rows' names (strings from the data)
    INTEGER = "integer"    # class labels
    FLAG = "flag"          # true / false
    NUMBER = "number"      # float64, always there
    OPTIONAL = "optional"  # float64, missing where ``missing`` is set (nan, an ignored row)


@dataclass(frozen=True)
class Column:
    name: str
    holds: Holds
    values: Any
    missing: np.ndarray | None = None  # OPTIONAL: where there is no value; None when it is everywhere


def lead_columns(first_row: int, rows: int, row_names) -> list[Column]:
    """The fields every per-row record starts with: ``row`` (1-based), and ``name`` when rows have names."""
    columns = [Column("row", Holds.ROW, range(first_row + 1, first_row + 1 + rows))]
    if row_names:
        columns.append(Column("name", Holds.NAME, row_names))
    return columns


def _optional(name: str, values: np.ndarray, inactive: np.ndarray | None) -> Column:
    missing = np.isnan(values)
    if inactive is not None:
        missing |= inactive
    return Column(name, Holds.OPTIONAL, values, missing if missing.any() else None)


def report_columns(report: Report) -> list[Column]:
    """The per-row fields of a block of kl, ce or entropy."""
    inactive = None if report.active is None else ~np.asarray(report.active, dtype=bool)
    columns = lead_columns(report.first_row, report.rows, report.row_names)
    if report.labels is not None:
        columns.append(Column("label", Holds.INTEGER, np.asarray(report.labels)))
    if inactive is not None:
        columns.append(Column("ignored", Holds.FLAG, inactive))
    columns.append(_optional("entropy_p", report.entropy_p, inactive))
    if report.command is not Command.ENTROPY:
        columns.append(Column("cross_entropy", Holds.NUMBER, report.cross_entropy))
        columns.append(_optional("kl_divergence", report.kl, inactive))
        columns.append(_optional("check", report.check, inactive))
    return columns


def has_terms(report: Report) -> bool:
    """kl with ``--reduction none``: each row's record also holds each class's term."""
    return report.command is Command.KL and report.reduction is Reduction.NONE


def measure_columns(report) -> list[Column]:
    """The per-row fields of a block of js or compare: ``row``, ``name``, one column per measure."""
    return lead_columns(report.first_row, report.rows, report.row_names) + \
        [Column(key, Holds.NUMBER, values) for key, values in report.values.items()]


def columns_of(report) -> list[Column]:
    return report_columns(report) if isinstance(report, Report) else measure_columns(report)


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
    return float(values[row])


def records(report, rows=None) -> list[dict]:
    """One plain dict per row (all, or ``rows`` of the block): the table's rows and ``--top``'s."""
    columns = columns_of(report)
    terms = isinstance(report, Report) and has_terms(report)
    found = []
    for row in range(report.rows) if rows is None else rows:
        record = {column.name: _value(column, row) for column in columns}
        if terms:
            record["terms"] = dict(zip(report.classes, map(float, report.terms[row])))
        found.append(record)
    return found


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
