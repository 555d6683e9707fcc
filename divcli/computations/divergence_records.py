"""The records of kl, ce and entropy (the ``rows`` family of :mod:`divcli.fields`): a block's
:class:`Report` (per-row H(P), H(P,Q), D(P‖Q) and the element terms, computed by
:mod:`.divergence_rows`), the run's :class:`Summary` and the :class:`Totals` that give its reductions.

A :class:`Report` is the plain record every sink consumes, through what it gives (its columns, what
``--top`` ranks, its head); nothing here prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Callable, ClassVar

import numpy as np

from ..errors import DataError, option
from ..fields import Column, FromContext, Holds, lead_columns, optional_column
from ..numerics.counts import SampleSizes
from ..numerics.deviations import Deviations
from ..vocabulary import Command, Intervals, LogBase, Reduction, Side
from ..numerics.plain import log_base

FORMULAS = {
    Command.KL: "D(P‖Q) = Σ p·log(p/q)",
    Command.CE: "H(P,Q) = −Σ p·log q",
    Command.ENTROPY: "H(P) = −Σ p·log p",
}
#: What each command's ``--top`` ranks: the per-row field and its title.
RANKED = {Command.KL: ("kl_divergence", "D(P‖Q)"), Command.CE: ("cross_entropy", "H(P,Q)"),
          Command.ENTROPY: ("entropy_p", "H(P)")}
#: The per-class breakdown of each row is shown when there are at most this many rows: past them
#: no one reads a block's N×C arrays of P and Q (:meth:`Report.kept`).
BREAKDOWN_ROWS = 4


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
    values: int | None = None  # the longest operand's rows × classes, where known at the start (fast_path)
    positions: bool = False  # lm's: rows are token positions and classes token ids (so its warnings say)
    #: lines for the header (JSON's ``notes``): histograms, classes matched by name, smoothing
    notes: tuple[str, ...] = ()
    estimator: str | None = None  # entropy of counts: --estimator other than the plug-in
    intervals: Intervals | None = None  # counts: the bootstrap intervals of the command's value per row

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

    def head(self) -> dict:
        """What a document of this run says before its rows (``-f json``, and ``--top``'s)."""
        head = {
            "command": self.command.value,
            "quantity": self.command.quantity,
            "formula": FORMULAS[self.command],
            "direction": "P is the reference (target), Q the model" if self.q else "P is the distribution",
            "unit": self.base.unit,
            "base": self.base.text,
            "reduction": self.reduction.value,
            "n_classes": len(self.classes),
            "classes": self.classes,
            "p": {"source": self.p.source, "kind": self.p.kind.value},
        }
        if self.q is not None:
            head["q"] = {"source": self.q.source, "kind": self.q.kind.value}
        head["temperature"] = self.temperature
        if self.estimator:
            head["estimator"] = self.estimator
        if self.intervals:
            head["intervals"] = self.intervals.document()
        if self.command is Command.CE:
            head["label_smoothing"] = self.label_smoothing
            head["weighted"] = self.weighted
        return head


@dataclass(frozen=True)
class Sides:
    """P's and Q's probabilities and logs, rows × C, as a row's breakdown shows them (Q's
    probabilities None where Q came as logits or log-probabilities: see :meth:`Report.q_probabilities`).
    Given, or made by ``later`` the first time they are asked for: the fused kernel computes a block
    from the operands' values without them, and only a breakdown, a +inf term's warning or a block
    kept for Dask asks."""

    p_probs: np.ndarray | None = None
    q_probs: np.ndarray | None = None
    p_log: np.ndarray | None = None
    q_log: np.ndarray | None = None
    later: Callable[[], "Sides"] | None = None

    @cached_property
    def made(self) -> "Sides":
        """These sides with their arrays (computed now where they were left for later)."""
        return self if self.later is None else self.later()

    def sliced(self, start: int, stop: int) -> "Sides":
        made = self.made
        return Sides(*(None if values is None else values[start:stop]
                       for values in (made.p_probs, made.q_probs, made.p_log, made.q_log)))


@dataclass(frozen=True)
class Report:
    """One block of rows, computed. Arrays are rows × C classes (or rows), already in the unit.

    ``terms`` are the command's element terms: p·log(p/q) for kl, −w·p·log q for ce, −p·log p for
    entropy. For ce, P is the target after label smoothing, and ``cross_entropy`` is torch's per-row
    loss (weighted when ``--weight`` is given; the check column is then undefined). ``total`` and
    ``divisor`` are what the block adds to the reductions; ``first_row`` places it in the input.
    What the sinks take of it is :class:`divcli.fields.Rows`.
    """

    family: ClassVar[str] = "rows"

    context: Context
    sides: Sides  # P's and Q's probabilities and logs: see p_probs, q_probs, p_log, q_log
    terms: np.ndarray
    entropy_p: np.ndarray
    total: float
    divisor: float
    cross_entropy: np.ndarray | None = None
    kl: np.ndarray | None = None
    check: np.ndarray | None = None
    entropy_plugin: np.ndarray | None = None  # with --estimator: the plug-in H(P), entropy_p the estimate
    #: with --bootstrap: each row's interval [low, high] of the command's value (``measured()``)
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    first_row: int = 0
    row_names: list[str] | None = None
    labels: np.ndarray | None = None
    active: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
    #: per operand ("P", "Q"), the largest |Σ − 1| of its rows divided by their sums (:func:`divcli.numerics.deviations.deviations`)
    deviations: dict[str, float] = field(default_factory=dict)
    #: per operand read as counts, its rows and sample sizes (:func:`divcli.numerics.counts.sample_sizes`)
    sizes: dict[str, tuple] = field(default_factory=dict)

    def __getattr__(self, name):  # report.command, report.reduction, … come from the context
        if name == "context":
            raise AttributeError(name)
        return getattr(self.context, name)

    @property
    def rows(self) -> int:
        return self.terms.shape[0]

    @property
    def p_probs(self) -> np.ndarray | None:
        return self.sides.made.p_probs

    @property
    def q_probs(self) -> np.ndarray | None:
        """None without Q, or when Q came as logits or log-probs: see :meth:`q_probabilities`."""
        return self.sides.made.q_probs

    @property
    def p_log(self) -> np.ndarray | None:
        return self.sides.made.p_log

    @property
    def q_log(self) -> np.ndarray | None:
        return self.sides.made.q_log

    def columns(self) -> list[Column]:
        """The per-row fields: ``row``, ``name`` (named rows), ``label`` and ``ignored`` (label
        targets), ``entropy_p``, but for entropy ``cross_entropy``, ``kl_divergence`` and ``check``,
        and kl with ``--reduction none`` each class's term (``terms``)."""
        inactive = None if self.active is None else ~np.asarray(self.active, dtype=bool)
        columns = lead_columns(self.first_row, self.rows, self.row_names)
        if self.labels is not None:
            columns.append(Column("label", Holds.INTEGER, np.asarray(self.labels)))
        if inactive is not None:
            columns.append(Column("ignored", Holds.FLAG, inactive))
        columns.append(optional_column("entropy_p", self.entropy_p, inactive))
        if self.entropy_plugin is not None:
            columns.append(Column("entropy_plugin", Holds.NUMBER, self.entropy_plugin))
        if self.command is not Command.ENTROPY:
            columns.append(Column("cross_entropy", Holds.NUMBER, self.cross_entropy))
            columns.append(optional_column("kl_divergence", self.kl, inactive))
            columns.append(optional_column("check", self.check, inactive))
        if self.command is Command.KL and self.reduction is Reduction.NONE:
            columns.append(Column("terms", Holds.TERMS, self.terms, classes=self.classes))
        if self.low is not None:  # right after the value they bound
            key = self.ranked_by()[0]
            at = next(index for index, column in enumerate(columns) if column.name == key) + 1
            columns[at:at] = [optional_column(f"{key}_low", self.low, None),
                              optional_column(f"{key}_high", self.high, None)]
        return columns

    def measured(self) -> dict[str, np.ndarray]:
        """The value a bootstrap interval is given, per row: the command's (D(P‖Q), H(P)), by its key."""
        return {self.ranked_by()[0]: self.row_values}

    def with_intervals(self, intervals: dict[str, tuple[np.ndarray, np.ndarray]]) -> "Report":
        """This block with the intervals of ``measured()``'s value."""
        (low, high), = intervals.values()
        return replace(self, low=low, high=high)

    def ranked_by(self) -> tuple[str, str]:
        return RANKED[self.command]

    def ranked_values(self) -> np.ndarray:
        """The command's value per row (:attr:`row_values`), nan for an ignored row."""
        values = np.array(self.row_values, dtype=np.float64)
        if self.active is not None:
            values[~np.asarray(self.active, dtype=bool)] = np.nan
        return values

    def head(self) -> dict:
        return self.context.head()

    def kept(self) -> "Report":
        """The block as a Dask task sends it back: past :data:`BREAKDOWN_ROWS` rows, without P's
        and Q's N×C arrays, nor the terms unless they are the values reported."""
        if self.rows <= BREAKDOWN_ROWS:
            return replace(self, sides=self.sides.made)
        elements = self.reduction is Reduction.NONE and self.values is self.terms
        return replace(self, sides=Sides(), terms=self.terms if elements else None)

    def renumbered(self, offset: int) -> "Report":
        """A kept block with its rows numbered ``offset`` rows further on, and terms in shape (nan
        where :meth:`kept` left them out)."""
        terms = self.terms
        if terms is None:
            terms = np.broadcast_to(np.float64(np.nan), (self.entropy_p.shape[0], len(self.classes)))
        return replace(self, terms=terms, first_row=self.first_row + offset)

    def sliced(self, start: int, stop: int) -> "Report":
        """Rows ``start:stop`` of the block (each per-row array cut), without its warnings."""
        rows, changes = self.rows, {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == rows or \
                    item.name == "row_names" and value is not None:
                changes[item.name] = value[start:stop]
        return replace(self, **changes, sides=self.sides.sliced(start, stop), warnings=[],
                       first_row=self.first_row + start)

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
class Summary(FromContext):
    """The whole run: row counts, the reductions and the reported value (None for ``none`` and
    ``row``). What the sinks take of it is :class:`divcli.fields.RunSummary`."""

    family: ClassVar[str] = "rows"

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
    #: per operand read as counts, its rows and sample sizes over the whole run
    sizes: dict[str, tuple] = field(default_factory=dict)

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
    sizes: SampleSizes = field(default_factory=SampleSizes)

    def add(self, report: Report) -> None:
        self.deviations += report.deviations
        self.sizes += report.sizes
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


def summarise_totals(context: Context, totals: Totals, p_rows: int, q_rows: int | None, warnings: list[str],
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
    return Summary(context, totals.rows, p_rows, q_rows, reductions, value, warnings, labels, dict(totals.deviations),
                   dict(totals.sizes))
