"""``divcli lm``: two language models' next-token distributions compared position by position, as a
computation of :mod:`divcli.engine.loop`.

P is the base (reference) model, Q the candidate; each row of either operand is one token
position's distribution over the vocabulary. Per position: D(P‖Q), computed by kl's accurate path
(:func:`divcli.computations.divergence_rows.kl_report`, numba's fused kernel or numpy's), each side's
top token, and with labels (the next token actually seen at each position) log p(label) and
log q(label), and the other measures asked for (:mod:`.lm_measures`). On the fused kernel, logits take one set of
passes for D(P‖Q), the top tokens and the labels' log-probabilities
(:func:`divcli.numerics.fast_path.position_rows`: no softmax of the block). The accumulator keeps the
per-position values (8 bytes a position, 24 with labels) so that the percentiles of
:mod:`.lm_statistics` are exact, and the ``top`` worst positions with the tokens behind their KL
(:mod:`.lm_tokens`); the summary has the histogram of the table (:mod:`.lm_histogram`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable, ClassVar

import numpy as np

from ..engine.loop import Source, Start, mark_single
from ..engine.start import class_names, read_firsts, refuse_one_class
from ..errors import DataError
from ..fields import Column, Holds, optional_column
from ..numerics.deviations import Deviations, deviations
from ..numerics.distributions import label_vector
from ..readers.blocks import Blocks
from ..readers.kld import KldBlocks
from ..readers.operand import Operand
from ..readers.positions import sequences
from ..numerics import fast_path
from ..vocabulary import NATURAL, Command, Options, Reduction, Side, count_of
from .divergence_records import Context
from .divergence_rows import kl_report
from .lm_floors import floor_cells
from .lm_histogram import Histogram, histogram
from .lm_measures import Moments, measure_values
from .lm_sketch import KlSketch
from .lm_statistics import kl_statistics, perplexity_statistics, same_top_statistics
from .lm_tokens import Contributions, contributions, kept, shifted


@dataclass(frozen=True)
class LmContext:
    """What every block of a run shares: kl's context (for :func:`kl_report`), the two sides, the
    vocabulary's size, and the labels (one token id per position), when given."""

    divergence: Context
    p: Side
    q: Side
    vocabulary: int
    labels: np.ndarray | None = None
    labels_operand: Operand | None = None
    #: ``--reduction row``: every position is written
    per_position: bool = False
    #: ``--measures``: the other measures per position (catalogue's Measure)
    measures: tuple = ()
    #: (batch, sequence) of a 3-D input: each position's record then says its batch and sequence index
    batches: tuple[int, int] | None = None
    #: which sides are llama.cpp dumps, whose floored tokens are one tail cell (:mod:`.lm_floors`)
    dumps: tuple[bool, bool] = (False, False)
    approx: bool = False  # --approx-percentiles: D's percentiles from a sketch (:mod:`.lm_sketch`)


@dataclass
class Positions:
    """One block of positions (or the worst of a run): per position D(P‖Q), the top token of each
    side (numpy's argmax of the row as given: the first of tied values), with labels the label,
    log p(label) and log q(label), and the measures of ``--measures`` by key. ``explain``: the block's
    rows → their tokens of largest |p·log(p/q)| (:func:`.lm_tokens.contributions`), with ``--top``."""

    family: ClassVar[str] = "positions"
    position: np.ndarray  # 1-based, in the whole input
    kl: np.ndarray
    p_top: np.ndarray
    q_top: np.ndarray
    label: np.ndarray | None = None
    log_p_label: np.ndarray | None = None
    log_q_label: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
    deviations: Deviations = field(default_factory=Deviations)
    context: LmContext | None = None
    measures: dict[str, np.ndarray] = field(default_factory=dict)
    explain: Callable[[np.ndarray], list[Contributions]] | None = None

    @property
    def rows(self) -> int:
        return self.kl.shape[0]

    @property
    def per_position(self) -> bool:
        """Whether the sinks write these positions (``--reduction row``)."""
        return self.context is not None and self.context.per_position

    @property
    def same_top(self) -> np.ndarray:
        return self.p_top == self.q_top

    def columns(self) -> list[Column]:
        """The per-position fields, in the order every format writes them."""
        token = Holds.INTEGER if self.p_top.dtype.kind in "iu" else Holds.NAME  # ids, or top-k files' strings
        columns = [Column("position", Holds.INTEGER, self.position), *self._batch_columns(),
                   Column("kl_divergence", Holds.NUMBER, self.kl),
                   Column("p_top", token, self.p_top), Column("q_top", token, self.q_top),
                   Column("same_top", Holds.FLAG, self.same_top)]
        if self.label is not None:
            p_label, q_label = np.exp(self.log_p_label), np.exp(self.log_q_label)
            columns += [Column("label", token, self.label)] + [  # nan: a label a top-k list does not give
                optional_column(name, values, None) for name, values in
                (("p_label", p_label), ("q_label", q_label), ("delta_p", q_label - p_label))]
        return columns + [Column(key, Holds.NUMBER, values) for key, values in self.measures.items()]

    def _batch_columns(self) -> list[Column]:
        """A 3-D input's batch and sequence index of each position (both from 0, as torch indexes them)."""
        batches = None if self.context is None else self.context.batches
        if batches is None:
            return []
        batch, sequence = np.divmod(self.position - 1, batches[1])
        return [Column("batch", Holds.INTEGER, batch), Column("sequence", Holds.INTEGER, sequence)]

    def taken(self, index: np.ndarray) -> "Positions":
        """The positions at ``index`` (in that order), without the warnings."""
        pick = (lambda values: None if values is None else values[index])
        return Positions(self.position[index], self.kl[index], self.p_top[index], self.q_top[index],
                         pick(self.label), pick(self.log_p_label), pick(self.log_q_label),
                         measures={key: values[index] for key, values in self.measures.items()}, context=self.context)


def _joined(parts: list[Positions]) -> Positions:
    """Positions of several blocks as one (their warnings left behind)."""
    join = (lambda name: None if getattr(parts[0], name) is None else
            np.concatenate([getattr(part, name) for part in parts]))
    return Positions(*(join(name) for name in ("position", "kl", "p_top", "q_top", "label", "log_p_label",
                                               "log_q_label")),
                     measures={key: np.concatenate([part.measures[key] for part in parts])
                               for key in parts[0].measures}, context=parts[-1].context)


def worst(positions: Positions, top: int) -> Positions:
    """The ``top`` positions of largest D(P‖Q), largest first (the earlier of equal values first)."""
    order = np.lexsort((positions.position, -positions.kl))[:top]
    return positions.taken(order)


@dataclass
class LmTotals:
    """The run so far: the per-position values kept (D(P‖Q); with labels −log p(label) and −log
    q(label)), the count of positions whose top tokens agree, the ``top`` worst positions and the
    tokens behind their KL (by position), and the moments of each of the other measures."""

    top: int | None = None
    rows: int = 0
    kl: list[np.ndarray] = field(default_factory=list)
    nll_p: list[np.ndarray] = field(default_factory=list)
    nll_q: list[np.ndarray] = field(default_factory=list)
    same: int = 0
    deviations: Deviations = field(default_factory=Deviations)
    worst: Positions | None = None
    tokens: dict[int, Contributions] = field(default_factory=dict)
    moments: dict[str, Moments] = field(default_factory=dict)
    sketch: KlSketch | None = None  # --approx-percentiles: D sketched, not kept

    def add(self, block: Positions) -> None:
        self.rows += block.rows
        self.kl.append(block.kl) if self.sketch is None else self.sketch.add(block.kl)
        if block.label is not None:
            self.nll_p.append(-block.log_p_label)
            self.nll_q.append(-block.log_q_label)
        self.same += int(np.count_nonzero(block.same_top))
        self.deviations = self.deviations + block.deviations
        for key, values in block.measures.items():
            self.moments.setdefault(key, Moments()).add(values)
        if self.top is not None:
            self._rank(block)

    def _rank(self, block: Positions) -> None:
        """The worst positions with ``block``'s: once ``top`` are kept, only the block's positions of a
        larger D than the least kept can enter (an equal one comes later, so ranks after it), and a
        block without one costs no sort (a large ``--top`` stays linear in the positions)."""
        entering = block
        if self.worst is not None and self.worst.rows >= self.top:
            entering = block.taken(np.flatnonzero(block.kl > self.worst.kl[-1]))
            if entering.rows == 0:
                return
        self.worst = worst(_joined([entering] if self.worst is None else [self.worst, entering]), self.top)
        if block.explain is not None:
            self.tokens = kept(self.tokens, self.worst.position, block)

    def merge(self, other: "LmTotals", offset: int) -> None:
        """The totals of the positions that follow (their positions counted from ``offset``)."""
        self.rows += other.rows
        self.kl += other.kl
        if self.sketch is not None:
            self.sketch.merge(other.sketch)
        self.nll_p += other.nll_p
        self.nll_q += other.nll_q
        self.same += other.same
        self.deviations = self.deviations + other.deviations
        for key, moments in other.moments.items():
            self.moments.setdefault(key, Moments()).merge(moments)
        if other.worst is not None:
            later = replace(other.worst, position=other.worst.position + offset)
            self.worst = worst(_joined([part for part in (self.worst, later) if part is not None]), self.top)
            if other.tokens:
                self.tokens = kept({**self.tokens, **shifted(other.tokens, offset)}, self.worst.position, None)

    def closing_warnings(self) -> list[str]:
        return []


@dataclass(frozen=True)
class LmSummary:
    """The whole run: its context, the number of positions, the statistics (JSON's ``statistics``:
    :mod:`.lm_statistics`' keys), the worst positions (``top``), the warnings and the renormalised rows;
    the tokens behind each worst position's KL (with ``--top``, one :class:`.lm_tokens.Contributions` a
    position, None without), and the histogram of D(P‖Q) per position."""

    family: ClassVar[str] = "positions"
    context: LmContext
    positions: int
    statistics: dict
    worst: Positions | None
    warnings: list[str]
    deviations: Deviations
    tokens: list[Contributions] | None = None
    histogram: Histogram | None = None

    @property
    def value(self) -> float:
        """What ``-q`` prints: the mean D(P‖Q) over the positions."""
        return self.statistics["kl_mean"]


def positions_differ(a: tuple[str, int, str, bool], b: tuple[str, int, str, bool], offset: int = 0) -> DataError:
    """P and Q have different numbers of positions: each as (role, positions, name, whether it goes
    on past them); the message names the first position the shorter one lacks (after ``offset``
    positions before them: a Dask shard's)."""
    b_shorter = a[3] or (not b[3] and a[1] > b[1])
    (long_role, long_rows, long_name, long_more), (short_role, short_rows, short_name, _) = (a, b) if b_shorter else (b, a)
    return DataError("", f"{short_role} has {count_of(short_rows, 'position', 'positions')} ({short_name}) but "
                         f"{long_role} has {'at least ' if long_more else ''}{long_rows} ({long_name}): "
                         f"position {offset + short_rows + 1} is missing from {short_role}",
                     "give both models' outputs for the same positions (one row per token position)")


def position_mismatch(error: DataError) -> DataError:
    """``error`` in positions when it is the engine's row-count mismatch of P and Q
    (:func:`divcli.engine.loop.rows_mismatch`), else ``error`` itself."""
    counts = getattr(error, "counts", None)
    return error if counts is None else positions_differ(*counts)


@dataclass(frozen=True)
class LanguageModels:
    """The computation: ``labels`` the operand of token ids (read whole: 8 bytes a position), ``top``
    the number of worst positions to keep (None: none), ``per_position`` whether the sinks write
    every position (``--reduction row``), ``tokens`` how many tokens to give for each worst
    position (0: none), ``measures`` the other measures per position."""

    labels: Operand | None = None
    top: int | None = None
    per_position: bool = False
    tokens: int = 0
    measures: tuple = ()
    approx: bool = False  # --approx-percentiles (:mod:`.lm_sketch`)

    def start(self, operands: list[Blocks], options: Options) -> Start:
        """The first blocks: P and Q over the same vocabulary, neither a single row broadcast to the
        other's positions, every label a token of the vocabulary."""
        kinds = [options.p_kind, options.q_kind]
        batches = sequences(*operands)
        firsts, operands = read_firsts(list(operands), options.p_kind, kinds=kinds)
        for first, role, kind in zip(firsts, "PQ", kinds):
            refuse_one_class(first, role, kind)
        first_p, first_q = firsts
        count = first_p.shape[1]
        if first_q.shape[1] != count:
            raise DataError("", f"P has a vocabulary of {count_of(count, 'token', 'tokens')} ({first_p.name}) but Q "
                                f"has {first_q.shape[1]} ({first_q.name})",
                            "compare models of the same vocabulary: one column per token id, in the same order")
        sources = [Source(blocks, role, first) for blocks, role, first in zip(operands, "PQ", firsts)]
        mark_single(sources)
        single = next((source for source in sources if source.single), None)
        other = None if single is None else sources[1 - sources.index(single)]
        if other is not None and (other.rows > 1 or not other.blocks.exhausted()):  # one position each is no broadcast
            raise positions_differ((single.role, 1, single.blocks.name, False),
                                   (other.role, other.rows, other.blocks.name, not other.blocks.exhausted()))
        p, q = (Side(blocks.name, kind, role) for blocks, kind, role in zip(operands, kinds, "PQ"))
        divergence = Context(Command.KL, Reduction.ROW, NATURAL, class_names(first_p, first_q, count), p, q,
                             positions=True)
        labels = None if self.labels is None else _checked_labels(self.labels, count)
        context = LmContext(divergence, p, q, count, labels, self.labels, self.per_position, self.measures, batches,
                            tuple(isinstance(blocks, KldBlocks) for blocks in operands), self.approx)
        return Start(context, count, kinds, firsts, operands, [False, False], deferred=fast_path.use_fused(count))

    def step(self, start: Start, distributions: list) -> Positions:
        p, q = distributions
        context: LmContext = start.context
        first = p.operand.first_row
        cells = floor_cells(p, q, context.dumps, start.deferred) if any(context.dumps) else None
        p, q = (p, q) if cells is None else cells[:2]
        block = _fused_block(p, q, context, first) or _numpy_block(p, q, context, first)
        if cells is not None:  # the top tokens as the dumps store them, not of the tail spread
            block.p_top, block.q_top = cells[2]
        if self.measures:
            block.measures = measure_values(list(self.measures), p, q)
        if self.top is not None and self.tokens:
            block.explain = partial(contributions, p, q, count=self.tokens)
        return block

    def accumulator(self, start: Start) -> LmTotals:
        return LmTotals(self.top, sketch=KlSketch() if self.approx else None)

    def summarise(self, start: Start, totals: LmTotals, rows: list[int], warnings: list[str]) -> LmSummary:
        context: LmContext = start.context
        if context.labels is not None and context.labels.size > totals.rows:
            raise labels_mismatch(context, totals.rows, False)
        sketch, kl = totals.sketch, None if totals.sketch else np.concatenate(totals.kl)
        statistics = {"positions": totals.rows, **(sketch.statistics() if sketch else kl_statistics(kl)),
                      **same_top_statistics(totals.same, totals.rows)}
        if context.labels is not None:
            statistics.update(perplexity_statistics(np.concatenate(totals.nll_p), np.concatenate(totals.nll_q)))
        for measure in self.measures:
            statistics.update(totals.moments[measure.key].statistics(measure.key))
        tokens = None if totals.worst is None or not self.tokens else \
            [totals.tokens[position] for position in totals.worst.position.tolist()]
        return LmSummary(context, totals.rows, statistics, totals.worst, warnings, totals.deviations, tokens,
                         sketch.histogram() if sketch else histogram(kl))


def _numpy_block(p, q, context: LmContext, first: int) -> Positions:
    """A block by kl's report (numba's fused kernel or numpy's) and numpy's argmax and log-softmax."""
    report = kl_report(p, q, context.divergence)
    rows = report.kl.shape[0]
    block = Positions(np.arange(first + 1, first + rows + 1), report.kl,
                      np.argmax(p.operand.values, axis=1), np.argmax(q.operand.values, axis=1),
                      warnings=list(report.warnings), deviations=report.deviations, context=context)
    if context.labels is not None:
        label = _block_labels(context, first, rows)
        every = np.arange(rows)
        block.label, block.log_p_label, block.log_q_label = label, p.log_p[every, label], q.log_p[every, label]
    return block


def _fused_block(p, q, context: LmContext, first: int) -> Positions | None:
    """A block of two logit operands on the fused kernel (:func:`~divcli.numerics.fast_path.position_rows`):
    D(P‖Q), the top tokens and log p(label), log q(label) from one set of passes over each row, with
    no softmax of the block; None where the kernel does not take them. An infinite D(P‖Q) is warned
    of as kl warns of it (kl's report of the block, made then only)."""
    if not fast_path.takes(p, q):
        return None
    rows = p.rows
    label = None if context.labels is None else _block_labels(context, first, rows)
    found = fast_path.position_rows(p, q, label)
    if found is None:
        return None
    kl, p_top, q_top, log_p, log_q = found
    warnings = list(kl_report(p, q, context.divergence).warnings) if np.isposinf(kl).any() else []
    return Positions(np.arange(first + 1, first + rows + 1), kl, p_top, q_top, label, log_p, log_q,
                     warnings=warnings, deviations=deviations([p, q]), context=context)


def _checked_labels(operand: Operand, vocabulary: int) -> np.ndarray:
    """The token ids of ``operand`` (one row or one column of integers), each in [0, vocabulary)."""
    rows, columns = operand.shape
    if rows != 1 and columns != 1:
        raise DataError(operand.where(), f"the labels are one token id a position, but this has {rows} rows × "
                        f"{columns} columns", "give one column (or one row) of token ids")
    labels = label_vector(operand)
    wrong = (labels < 0) | (labels >= vocabulary)
    if np.any(wrong):
        index = int(np.argmax(wrong))
        row, col = (0, index) if operand.shape[0] == 1 else (index, 0)
        raise DataError(operand.where(row, col), f"token id {operand.text(row, col)} is not in the vocabulary "
                        f"(P and Q have {vocabulary} tokens: ids 0 … {vocabulary - 1})",
                        "give the id of the next token at each position, counted from 0")
    return labels


def _block_labels(context: LmContext, first: int, rows: int) -> np.ndarray:
    """The labels of positions ``first + 1 … first + rows``; an error when the labels end before them."""
    if context.labels.size < first + rows:
        raise labels_mismatch(context, first + rows, True)
    return context.labels[first:first + rows]


def labels_mismatch(context: LmContext, positions: int, more: bool) -> DataError:
    """The labels and the positions differ in number: the first position (or label) without the other."""
    count = context.labels.size
    name = context.labels_operand.name
    said = f"{'at least ' if more else ''}{count_of(positions, 'position', 'positions')} ({context.p.source})"
    missing = (f"position {count + 1} has no label" if count < positions else
               f"label {positions + 1} has no position")
    return DataError("", f"the labels have {count_of(count, 'token', 'tokens')} ({name}) but P and Q have {said}: "
                         f"{missing}", "give one label per position: the id of the token that came next")
