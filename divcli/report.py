"""Distributions → one report: per-row H(P), H(P,Q), D(P‖Q), element terms and reductions.

A :class:`Report` is the plain record every renderer consumes; nothing here prints.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import DataError
from .kinds import Distribution, Kind
from .numerics import (
    Reduction,
    cross_entropy_terms,
    entropy_terms,
    kl_terms,
    log_base,
    reduce,
    smooth_labels,
)


class Command(enum.Enum):
    KL = "kl"
    CE = "ce"
    ENTROPY = "entropy"

    @property
    def quantity(self) -> str:
        return {"kl": "D(P‖Q)", "ce": "H(P,Q)", "entropy": "H(P)"}[self.value]

    @property
    def title(self) -> str:
        return {"kl": "KL divergence", "ce": "cross-entropy", "entropy": "entropy"}[self.value]

    @property
    def default_reduction(self) -> Reduction:
        return Reduction.BATCHMEAN if self is Command.KL else Reduction.MEAN


UNITS = {math.e: "nats", 2.0: "bits", 10.0: "bans"}


@dataclass(frozen=True)
class LogBase:
    """A logarithm base as the user wrote it (``e``, ``2``, ``10``, ``3.5``) and its value."""

    text: str
    value: float

    @property
    def unit(self) -> str:
        return UNITS.get(self.value, f"log-base-{self.text} units")


NATURAL = LogBase("e", math.e)


@dataclass(frozen=True)
class Side:
    """Where an operand came from and how it was read."""

    source: str
    kind: Kind
    rows: int
    role: str

    @property
    def label(self) -> str:
        return "P (reference)" if self.role == "P" else "Q (model)"


@dataclass(frozen=True)
class Report:
    """Everything a renderer shows. Arrays are N rows × C classes (or N), already in ``unit``.

    ``terms`` are the command's element terms: p·log(p/q) for kl, −w·p·log q for ce, −p·log p for
    entropy. For ce, P is the target after label smoothing, and ``cross_entropy`` is torch's per-row
    loss (weighted when ``--weight`` is given; the check column is then undefined).
    """

    command: Command
    reduction: Reduction
    base: LogBase
    value: float | np.ndarray
    reductions: dict[str, float]
    classes: list[str]
    p: Side
    q: Side | None
    p_probs: np.ndarray
    q_probs: np.ndarray | None
    p_log: np.ndarray
    q_log: np.ndarray | None
    terms: np.ndarray
    entropy_p: np.ndarray
    cross_entropy: np.ndarray | None = None
    kl: np.ndarray | None = None
    check: np.ndarray | None = None
    row_names: list[str] | None = None
    labels: np.ndarray | None = None
    active: np.ndarray | None = None
    weighted: bool = False
    label_smoothing: float = 0.0
    temperature: float = 1.0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.terms.shape[0]

    @property
    def per_row(self) -> np.ndarray:
        """The command's own per-row quantity."""
        return {Command.KL: self.kl, Command.CE: self.cross_entropy, Command.ENTROPY: self.entropy_p}[self.command]


REDUCTION_NOTES = {
    "sum": "total",
    "mean": "total ÷ (N·C)",
    "batchmean": "total ÷ N",
}


def _side(dist: Distribution) -> Side:
    return Side(dist.operand.name, dist.kind, dist.rows, dist.role)


def _infinite_warnings(terms: np.ndarray, quantity: str, p: np.ndarray, q: Distribution,
                       classes: list[str], row_names: list[str] | None) -> list[str]:
    """One warning per +inf term (the first three, then a count): row, class, and where q = 0."""
    where = np.argwhere(np.isposinf(terms))
    warnings = []
    for row, col in where[:3]:
        q_row = row if q.rows > 1 else 0
        name = row_names[row] if row_names else str(row + 1)
        warnings.append(
            f"{quantity} is +inf: row {name}, class {classes[col]!r}: p = {float(p[row, col])!r} but q = 0"
            f" ({q.operand.where(q_row, col)})"
        )
    if len(where) > 3:
        warnings.append(f"… and {len(where) - 3} more +inf terms")
    return warnings


def _check(cross: np.ndarray, entropy: np.ndarray, kl: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(cross), cross - entropy - kl, np.nan)


def entropy_report(p: Distribution, reduction: Reduction, base: LogBase,
                   classes: list[str], row_names: list[str] | None = None) -> Report:
    """H(P) per row: ``-sum_i p_i log p_i``, as ``scipy.stats.entropy(p, axis=1, base=b)``."""
    scale = log_base(base.value)
    terms = entropy_terms(p.p, p.log_p) / scale
    rows = terms.sum(axis=1)
    reductions = {"sum": reduce(rows, Reduction.SUM), "mean": reduce(rows, Reduction.MEAN)}
    return Report(
        command=Command.ENTROPY, reduction=reduction, base=base, value=reduce(rows, reduction),
        reductions=reductions, classes=classes, p=_side(p), q=None, p_probs=p.p, q_probs=None,
        p_log=p.log_p, q_log=None,
        terms=terms, entropy_p=rows, row_names=row_names, labels=p.labels,
    )


def _broadcast(p: Distribution, q: Distribution):
    rows = max(p.rows, q.rows)
    shape = (rows, p.p.shape[1])
    return (np.broadcast_to(p.p, shape), np.broadcast_to(p.log_p, shape),
            np.broadcast_to(q.p, shape), np.broadcast_to(q.log_p, shape))


def kl_report(p: Distribution, q: Distribution, reduction: Reduction, base: LogBase,
              classes: list[str], row_names: list[str] | None = None, temperature: float = 1.0) -> Report:
    """D(P‖Q) per row and element: ``sum_i p_i log(p_i / q_i)``, as ``F.kl_div(log q, p)``."""
    scale = log_base(base.value)
    pp, log_pp, qq, log_qq = _broadcast(p, q)
    terms = kl_terms(pp, log_pp, log_qq) / scale
    entropy = entropy_terms(pp, log_pp).sum(axis=1) / scale
    cross = cross_entropy_terms(pp, log_qq).sum(axis=1) / scale
    kl = terms.sum(axis=1)
    reductions = {name: reduce(terms, Reduction(name)) for name in ("sum", "mean", "batchmean")}
    return Report(
        command=Command.KL, reduction=reduction, base=base, value=reduce(terms, reduction),
        reductions=reductions, classes=classes, p=_side(p), q=_side(q), p_probs=pp, q_probs=qq,
        p_log=log_pp, q_log=log_qq,
        terms=terms, entropy_p=entropy, cross_entropy=cross, kl=kl, check=_check(cross, entropy, kl),
        row_names=row_names, labels=_broadcast_labels(p, terms.shape[0]), temperature=temperature,
        warnings=_infinite_warnings(terms, "D(P‖Q)", pp, q, classes, row_names),
    )


def _broadcast_labels(p: Distribution, rows: int) -> np.ndarray | None:
    return None if p.labels is None else np.broadcast_to(p.labels, (rows,))


def ce_report(p: Distribution, q: Distribution, reduction: Reduction, base: LogBase,
              classes: list[str], row_names: list[str] | None = None, *, weight: np.ndarray | None = None,
              label_smoothing: float = 0.0, temperature: float = 1.0) -> Report:
    """H(P,Q) per row as torch's ``F.cross_entropy(logits Q, P or labels, weight, label_smoothing)``.

    Per row ``l_n = -sum_c w_c p'_c log q_c`` with the smoothed target ``p' = (1-ε) p + ε/C``;
    ``mean`` divides by ``sum_n w_{y_n}`` over rows not ignored for labels, by N for probabilities.
    """
    scale = log_base(base.value)
    pp, _, qq, log_qq = _broadcast(p, q)
    active = None if p.active is None else np.broadcast_to(p.active, (pp.shape[0],))
    target = smooth_labels(pp, label_smoothing, active)
    with np.errstate(divide="ignore"):
        log_target = np.log(target)
    entropy = entropy_terms(target, log_target).sum(axis=1) / scale
    plain = cross_entropy_terms(target, log_qq).sum(axis=1) / scale
    kl = kl_terms(target, log_target, log_qq).sum(axis=1) / scale
    terms = cross_entropy_terms(target, log_qq, weight) / scale
    rows = terms.sum(axis=1)
    check = _check(plain, entropy, kl) if weight is None else np.full(rows.shape, np.nan)
    labels = _broadcast_labels(p, rows.shape[0])
    divisor = None
    if labels is not None:
        class_weight = np.ones(len(classes)) if weight is None else weight
        divisor = float(np.sum(np.where(active, class_weight[np.where(active, labels, 0)], 0.0)))
    else:
        divisor = float(rows.shape[0])
    reductions = {"sum": reduce(rows, Reduction.SUM)}
    reductions["mean"] = reductions["sum"] / divisor if divisor else math.nan
    if reduction is Reduction.MEAN and not divisor:
        raise DataError("", "the weights of every target class are 0, so the mean is undefined (0/0)",
                        "use --reduction sum, or check --weight")
    value = rows if reduction is Reduction.NONE else reductions[reduction.value]
    return Report(
        command=Command.CE, reduction=reduction, base=base, value=value, reductions=reductions,
        classes=classes, p=_side(p), q=_side(q), p_probs=target, q_probs=qq,
        p_log=log_target, q_log=log_qq, terms=terms,
        entropy_p=entropy, cross_entropy=rows, kl=kl, check=check, row_names=row_names, labels=labels,
        active=active, weighted=weight is not None, label_smoothing=label_smoothing, temperature=temperature,
        warnings=_infinite_warnings(terms, "H(P,Q)", target, q, classes, row_names),
    )
