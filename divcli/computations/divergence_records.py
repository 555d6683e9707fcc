"""The records of kl, ce and entropy: a block's :class:`Report` (per-row H(P), H(P,Q), D(P‖Q) and
the element terms, computed by :mod:`.divergence_rows`), the run's :class:`Summary` and the
:class:`Totals` that give its reductions.

A :class:`Report` is the plain record every renderer consumes; nothing here prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from ..errors import DataError, option
from ..numerics.distributions import Deviations
from ..vocabulary import Command, LogBase, Reduction, Side
from ..numerics.plain import log_base


@dataclass(frozen=True)
class Context:
    """What every block of one run shares: the command, its options, the classes, the operands."""

    command: Command
    reduction: Reduction
    base: LogBase
    classes: list[str]
    p: Side
    q: Side | None = None
    temperature: float = 1.0
    label_smoothing: float = 0.0
    weight: np.ndarray | None = None
    ignore_index: int | None = None
    broadcast: str | None = None  # "P" or "Q": the operand of one row compared with every row

    def with_sources(self, sources: list[str], broadcast: str | None) -> "Context":
        """The same run with its operands named ``sources`` and ``broadcast`` (the Dask engine's)."""
        return replace(self, broadcast=broadcast, p=replace(self.p, source=sources[0]),
                       q=None if self.q is None else replace(self.q, source=sources[1]))

    @property
    def weighted(self) -> bool:
        return self.weight is not None

    @property
    def _weight_exponent(self) -> int:
        top = 0.0 if self.weight is None else float(np.max(self.weight))
        return 0 if top == 0 else math.frexp(top)[1] - 1

    @property
    def weight_scale(self) -> float:
        """The power of two at the top of the class weights (1 without weights): the weights are
        used divided by it, exactly, so that neither 1e308 nor 5e-324 loses the mean its digits."""
        return math.ldexp(1.0, self._weight_exponent)

    @property
    def unit_weight(self) -> np.ndarray | None:
        """The class weights divided by :attr:`weight_scale` (the largest in [1, 2))."""
        return None if self.weight is None else np.ldexp(self.weight, -self._weight_exponent)

    @property
    def scale(self) -> float:
        return log_base(self.base.value)


@dataclass(frozen=True)
class Report:
    """One block of rows, computed. Arrays are rows × C classes (or rows), already in the unit.

    ``terms`` are the command's element terms: p·log(p/q) for kl, −w·p·log q for ce, −p·log p for
    entropy. For ce, P is the target after label smoothing, and ``cross_entropy`` is torch's per-row
    loss (weighted when ``--weight`` is given; the check column is then undefined). ``total`` and
    ``divisor`` are what the block adds to the reductions; ``first_row`` places it in the input.
    """

    context: Context
    p_probs: np.ndarray
    q_probs: np.ndarray | None  # None without Q, or when Q came as logits or log-probs: see q_probabilities
    p_log: np.ndarray
    q_log: np.ndarray | None
    terms: np.ndarray
    entropy_p: np.ndarray
    total: float
    divisor: float
    cross_entropy: np.ndarray | None = None
    kl: np.ndarray | None = None
    check: np.ndarray | None = None
    first_row: int = 0
    row_names: list[str] | None = None
    labels: np.ndarray | None = None
    active: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
    #: per operand ("P", "Q"), the largest |Σ − 1| of its rows divided by their sums (:func:`divcli.numerics.distributions.deviations`)
    deviations: dict[str, float] = field(default_factory=dict)

    def __getattr__(self, name):  # report.command, report.reduction, … come from the context
        if name == "context":
            raise AttributeError(name)
        return getattr(self.context, name)

    @property
    def rows(self) -> int:
        return self.terms.shape[0]

    def q_probabilities(self) -> np.ndarray | None:
        """Q's probabilities: as given, or ``exp(q_log)`` (computed here, for the few rows shown)."""
        if self.q_probs is not None or self.q_log is None:
            return self.q_probs
        return np.exp(self.q_log)

    @property
    def values(self) -> np.ndarray:
        """What ``--reduction none`` reports: element terms for kl, the per-row values otherwise;
        ``--reduction row``: the per-row values (kl: D(P‖Q) of each row, the sum of its terms)."""
        if self.command is Command.KL and self.reduction is not Reduction.ROW:
            return self.terms
        return self.row_values

    @property
    def row_values(self) -> np.ndarray:
        """The command's value per row: D(P‖Q), H(P,Q) (torch's per-row loss) or H(P)."""
        return {Command.KL: self.kl, Command.CE: self.cross_entropy, Command.ENTROPY: self.entropy_p}[self.command]


@dataclass(frozen=True)
class Summary:
    """The whole run: row counts, the reductions and the reported value (None for ``none``)."""

    context: Context
    rows: int
    p_rows: int
    q_rows: int | None
    reductions: dict[str, float]
    value: float | None
    warnings: list[str]
    labels: bool = False
    #: per operand ("P", "Q"), the largest |Σ − 1| of the rows divided by their sums, over the whole run
    deviations: dict[str, float] = field(default_factory=dict)

    def __getattr__(self, name):
        if name == "context":
            raise AttributeError(name)
        return getattr(self.context, name)

    @property
    def roles(self) -> str:
        """The operands' roles: ``PQ``, or ``P`` alone (entropy)."""
        return "P" if self.context.q is None else "PQ"


@dataclass
class Totals:
    """What the blocks add up to, in the order they come (so every way of reading sums alike)."""

    rows: int = 0
    elements: int = 0
    total: float = 0.0
    divisor: float = 0.0
    active: int = 0
    infinite_warnings: int = 0
    deviations: Deviations = field(default_factory=Deviations)

    def add(self, report: Report) -> None:
        self.deviations += report.deviations
        self.rows += report.rows
        self.elements += report.terms.size
        self.total += report.total
        self.divisor += report.divisor
        self.active += report.rows if report.active is None else int(np.count_nonzero(report.active))

    def merge(self, other: "Totals", offset: int = 0) -> None:
        """Add the totals of the rows that follow (a Dask shard's)."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def closing_warnings(self) -> list[str]:
        return []


def summarize(context: Context, totals: Totals, p_rows: int, q_rows: int | None, warnings: list[str],
              labels: bool) -> Summary:
    """The reductions over every block, as torch defines them; a mean over nothing is refused."""
    command = context.command
    if labels and command is Command.CE and totals.active == 0:
        raise DataError(context.p.source, f"every label is the ignore index {context.ignore_index}: "
                        "no row to compute", f"check {option('ignore_index')}")
    reductions = {"sum": totals.total * context.weight_scale if command is Command.CE else totals.total}
    if command is Command.KL:
        reductions["mean"] = totals.total / totals.elements
        reductions["batchmean"] = totals.total / totals.rows
        if context.temperature != 1.0:  # every kind is softened by T (labels stay one-hot)
            # Hinton's distillation loss: T² keeps the gradients' scale
            reductions["kd_loss"] = context.temperature ** 2 * reductions["batchmean"]
    elif totals.divisor:
        reductions["mean"] = totals.total / totals.divisor
    else:
        if context.reduction is Reduction.MEAN:
            raise DataError("", "the weights of every target class are 0, so the mean is undefined (0/0)",
                            f"use {option('reduction', 'sum')}, or check {option('weight')}")
        reductions["mean"] = math.nan
    value = None if context.reduction.per_row else reductions[context.reduction.value]
    return Summary(context, totals.rows, p_rows, q_rows, reductions, value, warnings, labels, dict(totals.deviations))
