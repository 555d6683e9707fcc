"""Operands → report: check that P and Q fit together, convert their kinds, compute.

Shared by the CLI and the Python API so both give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import DataError
from .inputs import Operand
from .kinds import Conversion, Kind, label_vector, to_distribution
from .numerics import Reduction
from .report import Command, LogBase, Report, ce_report, entropy_report, kl_report


#: With labels and no Q, the class count is the largest label + 1: bounded, as one-hot rows are built.
MAX_LABEL_CLASSES = 100_000


@dataclass(frozen=True)
class Options:
    """Everything besides the operands that decides the numbers."""

    p_kind: Kind = Kind.PROBS
    q_kind: Kind = Kind.PROBS
    reduction: Reduction | None = None  # None: the command's default
    base: LogBase | None = None
    conversion: Conversion = Conversion()
    label_smoothing: float = 0.0


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _class_count(p: Operand, q: Operand | None, p_kind: Kind) -> int:
    """C, checking that P and Q agree on it."""
    if p_kind is Kind.LABELS:
        if q is not None:
            return q.shape[1]
        labels = label_vector(p)
        count = int(labels.max()) + 1 if labels.max() >= 0 else 1
        if count > MAX_LABEL_CLASSES:
            raise DataError(p.where(), f"label {int(labels.max())} implies {count} classes, more than "
                            f"{MAX_LABEL_CLASSES} for the entropy of labels (which is 0 for a one-hot row)",
                            "labels are class indices 0 … C-1")
        return count
    if q is not None and p.shape[1] != q.shape[1]:
        raise DataError(
            "",
            f"P has {_count(p.shape[1], 'class', 'classes')} ({p.name}) but Q has {q.shape[1]} ({q.name})",
            "each row is one distribution over the same classes; for one distribution per column pass --columns",
        )
    return p.shape[1]


def _check_rows(p: Operand, q: Operand, p_kind: Kind) -> None:
    p_rows = label_vector(p).size if p_kind is Kind.LABELS else p.shape[0]
    q_rows = q.shape[0]
    if p_rows != q_rows and 1 not in (p_rows, q_rows):
        raise DataError(
            "",
            f"P has {_count(p_rows, 'row', 'rows')} ({p.name}) but Q has {q_rows} ({q.name})",
            "give both the same number of rows, or one of them a single row to compare against every row",
        )


def class_names(p: Operand | None, q: Operand | None, count: int) -> list[str]:
    """The header's class names (P's, else Q's), or 0, 1, 2, …; P and Q must not disagree.

    ``p`` is None when P is labels, whose header names no class."""
    named = [operand for operand in (p, q) if operand is not None and operand.classes]
    if len(named) == 2 and named[0].classes != named[1].classes:
        order = " in a different order" if set(named[0].classes) == set(named[1].classes) else ""
        raise DataError("", f"P and Q name their classes differently{order}: "
                            f"{p.name} has {p.classes[:6]}, {q.name} has {q.classes[:6]}",
                        "put the classes in the same order in both")
    if named and len(named[0].classes) == count:
        return list(named[0].classes)
    return [str(i) for i in range(count)]


def _row_names(p: Operand, q: Operand | None) -> list[str] | None:
    rows = max(p.shape[0], q.shape[0] if q is not None else 0)
    for operand in (p, q):
        if operand is not None and operand.row_names and len(operand.row_names) == rows:
            return operand.row_names
    return None


def compute(command: Command, p: Operand, q: Operand | None, options: Options,
            weight: np.ndarray | None = None) -> Report:
    """The report for ``command`` on operands P (and Q)."""
    reduction = options.reduction or command.default_reduction
    base = options.base or LogBase("e", np.e)
    count = _class_count(p, q, options.p_kind)
    classes = class_names(None if options.p_kind is Kind.LABELS else p, q, count)
    rows = _row_names(p, q)
    p_dist = to_distribution(p, options.p_kind, "P", options.conversion, count)
    if command is Command.ENTROPY:
        return entropy_report(p_dist, reduction, base, classes, rows)
    _check_rows(p, q, options.p_kind)
    q_dist = to_distribution(q, options.q_kind, "Q", options.conversion, count)
    temperature = options.conversion.temperature
    if command is Command.KL:
        return kl_report(p_dist, q_dist, reduction, base, classes, rows, temperature=temperature)
    if weight is not None and weight.size != count:
        raise DataError("", f"--weight has {weight.size} values but there are {count} classes",
                        "give one weight per class")
    return ce_report(p_dist, q_dist, reduction, base, classes, rows, weight=weight,
                     label_smoothing=options.label_smoothing, temperature=temperature)


def weight_vector(operand: Operand) -> np.ndarray:
    """Class weights: one row or one column of finite non-negative numbers."""
    rows, cols = operand.shape
    if rows != 1 and cols != 1:
        raise DataError(operand.where(), f"weights are one number per class, but this has {rows} rows × {cols} columns")
    values = operand.values.ravel()
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        index = int(np.argmax(bad))
        row, col = (0, index) if rows == 1 else (index, 0)
        raise DataError(operand.where(row, col), f"weight {operand.text(row, col)!r} is not a finite non-negative number")
    return values
