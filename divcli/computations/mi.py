"""``divcli mi``: the mutual information of two columns of labels (paired by row) or of a joint table
(rows = X's classes, columns = Y's; counts, or probabilities), with H(X), H(Y), H(X,Y), H(X|Y),
H(Y|X), the normalised variants scikit-learn names, and for counts the G-test of independence.

The numbers come from :mod:`divcli.numerics.information` (the plug-in values: the frequencies as
the probabilities), or for counts with ``--estimator`` from
:mod:`divcli.numerics.information_estimators` (H(X), H(Y), H(X,Y) estimated, the rest derived), the
plug-in values kept beside them. The document is one dict, the same for every output format; it
says whether I keeps its bounds (0 ≤ I ≤ min(H(X), H(Y)): always for the plug-in), and ``explain``
adds the working (each cell's p(x, y), p(x)p(y) and its term: the plug-in's).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError, show_value
from ..numerics.information import AVERAGES, Information, g_test, information, mi_terms, seen
from ..numerics.information_estimators import bounds_failed, estimated_information
from ..numerics.plain import log_base
from ..readers.sample_records import sorted_categories
from ..vocabulary import Intervals, LogBase
from .mi_intervals import information_intervals, with_intervals

#: The formula of I, as the output states it.
FORMULA = "I(X;Y) = D(P(X,Y) ‖ P(X)P(Y)) = H(X) − H(X|Y)"
#: How far a table of probabilities may sum from 1.
TOLERANCE = 1e-6
#: Names a table's total row or column goes by (pandas' crosstab(margins=True) writes "All").
TOTAL_NAMES = frozenset({"all", "total", "totals", "sum", "grand total", "margin", "margins"})


def contingency(x_labels: list[str], y_labels: list[str]) -> tuple[np.ndarray, list[str], list[str]]:
    """The table of counts of the label pairs (rows = X's labels, columns = Y's, each in the
    categories' order: by value when every label is a number, ``2`` before ``10``, else by text)
    and the labels themselves."""
    x_names, x_index = _ordered(x_labels)
    y_names, y_index = _ordered(y_labels)
    table = np.zeros((len(x_names), len(y_names)), dtype=np.float64)
    np.add.at(table, (x_index, y_index), 1.0)
    return table, x_names, y_names


def _ordered(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct labels in the categories' order, and each label's place among them."""
    distinct, index = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    found = distinct.tolist()
    names = sorted_categories(found)
    position = {name: at for at, name in enumerate(found)}
    place = np.empty(len(names), dtype=np.intp)
    place[[position[name] for name in names]] = np.arange(len(names))
    return names, place[index.ravel()]


def joint_counts(values: np.ndarray, name: str, lines=None, cells=None, written=None, names=(None, None)) -> bool:
    """Check a joint table's numbers (finite, ≥ 0, not all 0, no total row or column: ``names`` its
    rows' and columns' names, None where it has none) and say whether they are counts (whole numbers)
    or probabilities (summing to 1); anything else is refused, saying where (``lines``, ``cells``,
    ``written``: the operand's lines, texts and columns as written)."""
    values = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        line = lines[row] if lines is not None and len(lines) > row and lines[row] else row + 1
        shown = show_value(cells[row][column]) if cells else repr(float(values[row, column]))
        place = written[column] if written else column
        raise DataError(f"{name}:{line}:{place + 1}", f"{shown} is no count or probability",
                        "a joint table holds counts (whole numbers ≥ 0) or probabilities (≥ 0, summing to 1)")
    check_margins(values, name, names, lines)
    with np.errstate(over="ignore"):
        total = float(values.sum())
    if not math.isfinite(total):
        raise DataError(name, "its cells sum past the largest number a float holds (1.8e308)",
                        "scale the table down: divide every cell by the same power of 10")
    if total == 0:
        raise DataError(name, "every cell is 0: nothing was counted", "give counts or probabilities of the pairs")
    if np.all(values == np.round(values)):
        return True
    if abs(total - 1.0) > TOLERANCE:
        raise DataError(name, f"neither counts (whole numbers) nor probabilities: its cells sum to {total:.9g}",
                        "give counts of the pairs, or probabilities that sum to 1")
    return False


def check_margins(values: np.ndarray, name: str, names=(None, None), lines=None) -> None:
    """Refuse a table whose last row or column holds the totals of the others (pandas'
    ``crosstab(..., margins=True)``: an ``All`` row and column): counted as a class it would double
    every pair. A last row (column) is taken for totals when it is the sum of the two or more above
    it (to rounding, for probabilities) and is named as totals are, or when both are such sums."""
    row_names, column_names = names
    row_total = _sums_the_rest(values) and (_named_total(row_names) or _sums_the_rest(values.T))
    column_total = _sums_the_rest(values.T) and (_named_total(column_names) or _sums_the_rest(values))
    if not (row_total or column_total):
        return
    which = "row and column" if row_total and column_total else "row" if row_total else "column"
    place = name if not row_total or lines is None or not lines[-1] else f"{name}:{lines[-1]}"
    verb = "hold" if row_total and column_total else "holds"
    raise DataError(place, f"its last {which} {verb} "
                    "the totals of the others (a margin, as crosstab(margins=True) writes 'All'): counted as a "
                    "class it would count every pair twice",
                    f"drop the total {which} (pandas: crosstab without margins=True)")


def _sums_the_rest(values: np.ndarray) -> bool:
    """Whether the last row of ``values`` is the sum of the two or more rows above it, not all 0."""
    if values.shape[0] < 3 or not values[-1].any():
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        rest = values[:-1].sum(axis=0)
    return bool(np.allclose(values[-1], rest, rtol=1e-9, atol=0.0) or
                np.allclose(values[-1], rest, rtol=0.0, atol=1e-9 * max(float(rest.max()), 1e-300)))


def _named_total(names) -> bool:
    return bool(names) and str(names[-1]).strip().lower() in TOTAL_NAMES


def mi_document(table: np.ndarray, base: LogBase, *, counts: bool, x: dict, y: dict,
                x_names: list[str] | None = None, y_names: list[str] | None = None, explain: bool = False,
                estimator: str = "plugin", intervals: Intervals | None = None) -> dict:
    """Everything ``divcli mi`` reports of ``table`` (rows = X's classes, columns = Y's), values in
    ``base``'s units; ``counts``: its cells are counts (N known: the G-test, the estimators, the
    ``intervals`` of :mod:`.mi_intervals` where asked for), else
    probabilities (divided by their sum: ``inputs`` says by how far it was from 1). ``x`` and ``y``
    say where each side came from; ``explain`` adds each cell's working; ``estimator`` (counts only)
    names the entropy estimator, the plug-in values then under ``plugin``."""
    kept_x, kept_y = table.sum(axis=1) > 0, table.sum(axis=0) > 0
    plug_in = information(table)
    found = plug_in if estimator == "plugin" else estimated_information(table, estimator)
    scale = log_base(base.value)
    document = {
        "command": "mi", "formula": FORMULA, "unit": base.unit, "base": base.text,
        "x": dict(x, classes=found.x_classes), "y": dict(y, classes=found.y_classes),
        **_values(found, scale),
    }
    document.update({f"nmi_{average}": _finite(found.normalised(average)) for average in AVERAGES})
    samples = float(table.sum()) if counts else None
    document["n"] = None if samples is None else int(samples)
    document.update(_g_test(plug_in.mi, samples, plug_in.dof))
    failed = bounds_failed(found)
    document.update(estimator=estimator, bounds_hold=not failed, bounds_failed=list(failed))
    if found is not plug_in:
        document["plugin"] = _values(plug_in, scale)
    if not counts:
        deviation = abs(float(table.sum()) - 1.0)
        document["inputs"] = {"joint": {"renormalised": deviation > 0, "largest_deviation": deviation}}
    if explain:
        document["cells"] = _cells(seen(table), _names(x_names, kept_x), _names(y_names, kept_y), scale)
    if intervals is not None and counts:
        intervals, bounds = information_intervals(table, found, estimator, intervals, x.get("source", ""))
        document = with_intervals(document, bounds, intervals, scale)
    return document


def _values(found: Information, scale: float) -> dict:
    """The entropies and I of ``found`` (nats) in the units of ``scale`` (log of the base)."""
    return {"h_x": found.h_x / scale, "h_y": found.h_y / scale, "h_xy": found.h_xy / scale,
            "h_x_given_y": found.h_x_given_y / scale, "h_y_given_x": found.h_y_given_x / scale,
            "mi": found.mi / scale}


def _finite(value: float) -> float | None:
    """``value``, or None where it is nan (an estimator's NMI whose mean of entropies is not > 0)."""
    return None if math.isnan(value) else value


def _g_test(mi_nats: float, samples: float | None, dof: int) -> dict:
    """The G-test's keys: G = 2·N·I (I in nats), its degrees of freedom and p-value; G and the
    p-value None for probabilities (no N), the p-value None without SciPy."""
    if samples is None:
        return {"g_statistic": None, "g_p_value": None, "dof": dof}
    statistic, p_value = g_test(mi_nats, samples, dof)
    return {"g_statistic": statistic, "g_p_value": p_value, "dof": dof}


def _names(names: list[str] | None, kept: np.ndarray) -> list[str]:
    """The classes seen, by name (their numbers from 1 where the table named none)."""
    names = names if names is not None else [str(i + 1) for i in range(len(kept))]
    return [name for name, keep in zip(names, kept) if keep]


def _cells(table: np.ndarray, x_names: list[str], y_names: list[str], scale: float) -> list[dict]:
    """Each cell's p(x, y), p(x)p(y) and its term p·log(p/(p(x)p(y))) of I (terms of either sign
    that sum to I), with its part q·φ(p/q) ≥ 0 of the accurate sum, largest first."""
    p, q, phi = mi_terms(table)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / q), 0.0) / scale
    cells = [{"x": x_names[i], "y": y_names[j], "p_xy": float(p[i, j]), "p_x_p_y": float(q[i, j]),
              "term": float(terms[i, j]), "phi_term": float(phi[i, j] / scale)}
             for i in range(p.shape[0]) for j in range(p.shape[1])]
    return sorted(cells, key=lambda cell: -abs(cell["term"]))


def check_bounds(document: dict) -> list[str]:
    """The identities and bounds the plug-in values satisfy, each as a line for explain: 0 ≤ I ≤
    min(H(X), H(Y)), H(X,Y) = H(X) + H(Y|X) = H(Y) + H(X|Y), I = H(X) − H(X|Y) = H(Y) − H(Y|X).
    An estimator's values keep the identities (they are derived so) but may break the bounds."""
    mi, h_x, h_y = document["mi"], document["h_x"], document["h_y"]
    lines = [f"0 ≤ I ≤ min(H(X), H(Y)): {'holds' if document['bounds_hold'] else 'FAILS'}"]
    for name, left, right in (("H(X) − H(X|Y)", h_x - document["h_x_given_y"], mi),
                              ("H(Y) − H(Y|X)", h_y - document["h_y_given_x"], mi),
                              ("H(X) + H(Y) − H(X,Y)", h_x + h_y - document["h_xy"], mi)):
        close = math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12 * max(h_x, h_y, 1.0))
        lines.append(f"I = {name}: {'holds' if close else 'FAILS'} (to rounding)")
    return lines
