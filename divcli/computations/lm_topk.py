"""``divcli lm`` on top-k log-probabilities (:mod:`divcli.readers.top_logprobs`): two models' listed
tokens compared position by position, a block of positions at a time.

A position's two lists rarely hold the same tokens, and neither holds the whole vocabulary. The
comparison is therefore over a partition that both sides know: each token that *both* lists give
is a cell of its own, and everything else (the tokens neither lists, and those only one lists) is
one tail cell. P's mass in the tail is 1 − Σ p over the tokens both list (its unlisted mass
1 − Σ p over its own list, plus its tokens that Q does not list), Q's likewise. The number is the
exact KL between these two coarsened distributions, and so, by the data-processing inequality, a
lower bound of D(P‖Q) over the whole vocabulary: it equals the full KL only where the two models
agree on how the tail's mass is spread. A token that only one side lists has no probability on the
other side to compare with: it joins that side's tail, which is where its mass lies on the other side.

Per position: D(P‖Q) of the coarsened distributions as ``Σ q·φ(p/q)`` over the cells (each term ≥ 0:
:func:`divcli.numerics.accurate.phi_terms`), the top token of each side (the most likely listed token,
the first of ties) and, with labels, log p(label) and log q(label) where that side lists the label
(nan where it does not); with ``--measures`` the other measures on the same cells, and with
``--tokens`` the cells behind the worst positions' D (:mod:`.lm_topk_cells`). Listed probabilities
summing to more than 1 by at most the tolerance leave a tail of 0 (counted, and said at the end); by
more, an error.

The run reuses ``lm``'s accumulator (:class:`~divcli.computations.lm.LmTotals`), summary and sinks;
its statistics have the same keys, and with labels those of the perplexities and Δp are over the
positions whose label both sides list (``labels_listed`` of them). Its steps (:meth:`ListedModels.context`,
``compare``, ``summary``) are the Dask engine's too (:mod:`divcli.dask_engine.listed`), whose tasks
compare shards and whose client merges their totals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np

from ..engine.loop import Warnings
from ..errors import DataError, option
from ..numerics.accurate import EPS, phi_terms
from ..readers.top_logprobs import SHAPE_NAMES, Listed, ListedBlocks
from ..vocabulary import count_of
from .lm import LmSummary, LmTotals, Positions, positions_differ
from .lm_histogram import histogram
from .lm_statistics import kl_statistics, same_top_statistics
from .lm_topk_cells import Cells, coarsened_measures, contributions
from .lm_topk_labels import OWN_TOKENS, TokenLabels, first_example, label_statistics, labels_at, log_label, \
    token_labels_mismatch

#: Positions a block: each is a few dozen tokens, read and compared in Python.
BLOCK_POSITIONS = 4096


@dataclass(frozen=True)
class ListedSide:
    """One model's file and its shape (:data:`~divcli.readers.top_logprobs.SHAPE_NAMES`)."""

    source: str
    shape: str
    role: str

    @property
    def read_as(self) -> str:
        return f"top-k log-probs ({SHAPE_NAMES[self.shape]})"


@dataclass(frozen=True)
class ListedContext:
    """What every block of a run shares: the two sides, the labels, whether every position is
    written (``--reduction row``) and the tolerance of listed probabilities summing past 1."""

    p: ListedSide
    q: ListedSide
    labels_operand: TokenLabels | None
    per_position: bool
    tolerance: float
    #: the sides whose positions carry their own token (decided by the first position)
    own: tuple[bool, bool] = (False, False)
    #: no vocabulary: only the listed tokens are known
    vocabulary: None = None
    #: ``--measures``: the other measures per position, on the same cells (:mod:`.lm_topk_cells`)
    measures: tuple = ()
    #: ``--tokens``: how many cells to give for each worst position (0: none)
    tokens: int = 0
    #: as :class:`~divcli.computations.lm.LmContext`'s: no 3-D shape
    batches: None = None

    @property
    def labels(self) -> TokenLabels | None:
        return self.labels_operand


#: What a closing warning says of the positions where a side's tail was taken as 0, by why.
_TAKEN_AS_ZERO = {
    "over": "{role}'s listed probabilities sum to more than 1 (by at most {most:.3g}, within the tolerance) at "
            "{count} (first: position {position}, {where}): its tail there is taken as 0",
    "small": "{role}'s tail (at most {most:.3g}, within the tolerance) is taken as 0 against {other}'s tail of 0 at "
             "{count} (first: position {position}, {where}): the listed log-probs' rounding, not a KL of +inf",
}


@dataclass
class ListedTotals(LmTotals):
    """:class:`LmTotals` and, per side and reason (``over``: its listed probabilities summed past 1;
    ``small``: its tail, within the tolerance, met the other side's 0), the positions where its tail
    was taken as 0 beyond float64's rounding: their count, the first one and the largest mass."""

    zeroed: dict = field(default_factory=dict)
    #: the first position's label and a token P lists there (for the warning where no label is listed)
    example: tuple[int, str, str | None] | None = None

    def add_zeroed(self, why: str, role: str, position: int, where: str, mass: float) -> None:
        count, first, most = self.zeroed.get((why, role), (0, (position, where), 0.0))
        self.zeroed[(why, role)] = (count + 1, first, max(most, mass))

    def merge(self, other: "ListedTotals", offset: int) -> None:
        """The totals of the positions that follow, as :meth:`LmTotals.merge` (``offset``: 0 where
        their positions are numbered in the whole input already), and their tails taken as 0."""
        super().merge(other, offset)
        self.example = self.example or other.example
        for reason, (count, (position, where), most) in other.zeroed.items():
            mine, first, largest = self.zeroed.get(reason, (0, (position + offset, where), 0.0))
            self.zeroed[reason] = (mine + count, first, max(largest, most))

    def closing_warnings(self) -> list[str]:
        return [_TAKEN_AS_ZERO[why].format(role=role, other="PQ"[role == "P"], most=most, position=first[0],
                                           where=first[1], count=count_of(count, "position", "positions"))
                for (why, role), (count, first, most) in sorted(self.zeroed.items())]


def _rounding(listed: int) -> float:
    """A bound on float64's rounding of 1 − Σ of ``listed`` probabilities, each e^x to an ulp: what
    no warning is worth."""
    return 4.0 * (listed + 1) * EPS


# --------------------------------------------------------------------------------------------
# a block


def _unlisted(probs: list[float], side: Listed, index: int, role: str,
              context: ListedContext, totals: ListedTotals) -> float:
    """1 − Σ of the listed probabilities (correctly rounded); 0 where they sum past 1 within the
    tolerance (counted), an error past it."""
    rest = math.fsum([1.0] + [-p for p in probs])
    if rest >= 0:
        return rest
    if -rest > context.tolerance:
        raise DataError(side.where(index), f"{role}'s listed probabilities sum to {1.0 - rest:.9g}, more than 1",
                        f"give log-probs of one distribution (their exp sums to at most 1, within "
                        f"{option('tolerance', context.tolerance)})")
    if -rest > _rounding(len(probs)):
        totals.add_zeroed("over", role, side.first + index + 1, side.where(index), -rest)
    return 0.0


def _position(cells: Cells, i: int, p: Listed, q: Listed, context: ListedContext, totals: ListedTotals) -> None:
    """One position's cells: the tokens both list, then each side's tail (its unlisted mass and its
    tokens the other does not list). P's tail within the tolerance of 0 against Q's 0 is taken as
    0: a KL of +inf would stand on the rounding of the listed log-probs alone."""
    p_tokens, q_tokens = p.tokens[i], q.tokens[i]
    p_probs = [math.exp(value) for value in p_tokens.values()]
    q_probs = [math.exp(value) for value in q_tokens.values()]
    only_p = [_unlisted(p_probs, p, i, "P", context, totals)]
    only_q = [_unlisted(q_probs, q, i, "Q", context, totals)]
    for (token, value), prob in zip(p_tokens.items(), p_probs):
        other = q_tokens.get(token)
        if other is None:
            only_p.append(prob)
        else:
            cells.lp.append(value)
            cells.lq.append(other)
            cells.token.append(token)
            cells.owner.append(i)
    only_q += [prob for token, prob in zip(q_tokens, q_probs) if token not in p_tokens]
    tail_p, tail_q = math.fsum(only_p), math.fsum(only_q)
    if tail_q == 0 and 0 < tail_p <= context.tolerance:
        if tail_p > _rounding(len(p_probs)):
            totals.add_zeroed("small", "P", p.first + i + 1, p.where(i), tail_p)
        tail_p = 0.0
    cells.tail_p.append(tail_p)
    cells.tail_q.append(tail_q)


def _terms(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> np.ndarray:
    """q·φ(p/q) per cell (x = log p − log q): −inf where p = 0, whatever q is."""
    x[p == 0] = -np.inf
    return phi_terms(p, q, x)


def _kl(cells: Cells, rows: int) -> np.ndarray:
    """D(P‖Q) of each position's coarsened distributions: the sum of its cells' terms."""
    lp, lq = np.array(cells.lp, dtype=np.float64), np.array(cells.lq, dtype=np.float64)
    tail_p, tail_q = np.array(cells.tail_p), np.array(cells.tail_q)
    with np.errstate(invalid="ignore", divide="ignore"):
        listed = _terms(np.exp(lp), np.exp(lq), lp - lq)
        tail = _terms(tail_p, tail_q, np.log(tail_p) - np.log(tail_q))
    return np.bincount(np.array(cells.owner, dtype=np.intp), listed, minlength=rows) + tail


def _infinite_warnings(kl: np.ndarray, cells: Cells, p: Listed, q: Listed) -> list[str]:
    """Why D(P‖Q) is +inf at a position (the first three of a block, then a count): a token both list,
    of p > 0 and q = 0, or P's tail holding mass where Q's listed tokens hold all of Q's."""
    where = np.flatnonzero(np.isposinf(kl))
    warnings = []
    for i in where[:3].tolist():
        position = p.first + i + 1
        zero = [token for token, value in p.tokens[i].items() if value > -math.inf
                and q.tokens[i].get(token) == -math.inf]
        if zero:
            warnings.append(f"D(P‖Q) is +inf: position {position}, token {zero[0]!r}: "
                            f"p = {math.exp(p.tokens[i][zero[0]])!r} but q = 0 ({q.where(i)})")
        else:
            warnings.append(f"D(P‖Q) is +inf: position {position}: P's tail holds {cells.tail_p[i]!r} but Q's "
                            f"holds 0: Q's listed tokens hold all of its mass ({q.where(i)})")
    if len(where) > 3:
        warnings.append(f"… and {len(where) - 3} more positions of +inf in {p.first + 1}–{p.first + p.rows}")
    return warnings


def _own_tokens(p: Listed, q: Listed, context: ListedContext) -> list[str | None]:
    """Each position's own token: given by every position of a side whose first gave it, the same on
    both sides where both give it."""
    found = []
    for i, (mine, theirs) in enumerate(zip(p.own, q.own)):
        for side, token, has in ((p, mine, context.own[0]), (q, theirs, context.own[1])):
            if has and token is None:
                raise DataError(side.where(i), "this position has no token, but the first one has",
                                "give every position its token, or none")
        if context.own[0] and context.own[1] and mine != theirs:
            raise DataError("", f"position {p.first + i + 1} is token {mine!r} in P ({p.where(i)}) but {theirs!r} "
                                f"in Q ({q.where(i)})", "compare the two models' outputs on the same text")
        found.append(mine if context.own[0] else theirs)
    return found


def _tops(tokens: list[dict[str, float]]) -> np.ndarray:
    """Each position's most likely listed token (the first listed of tied ones)."""
    return np.array([max(listed, key=listed.__getitem__) for listed in tokens], dtype=object)


def compare_block(p: Listed, q: Listed, context: ListedContext, totals: ListedTotals) -> Positions:
    """One block of positions (the same on both sides) compared."""
    cells = Cells()
    for i in range(p.rows):
        _position(cells, i, p, q, context, totals)
    kl = _kl(cells, p.rows)
    block = Positions(np.arange(p.first + 1, p.first + p.rows + 1), kl, _tops(p.tokens), _tops(q.tokens),
                      warnings=_infinite_warnings(kl, cells, p, q), context=context)
    labels = labels_at(p, _own_tokens(p, q, context), context.labels_operand)
    if labels is not None:
        block.label = labels
        block.log_p_label, block.log_q_label = log_label(p.tokens, labels), log_label(q.tokens, labels)
        totals.example = totals.example or first_example(labels, p)
    if context.measures:
        block.measures = coarsened_measures(context.measures, cells, p.rows, context.tolerance)
    if context.tokens:
        block.explain = partial(contributions, cells, p.rows, count=context.tokens)
    return block


# --------------------------------------------------------------------------------------------
# the run


@dataclass(frozen=True)
class ListedModels:
    """The computation over two files of top-k log-probs: ``labels`` as given (None: the positions'
    own tokens where they have them), the ``top`` worst positions to keep, whether every position
    is written, the tolerance of listed probabilities summing past 1, how many cells to give for
    each worst position (``tokens``) and the other measures per position."""

    labels: TokenLabels | None = None
    top: int | None = None
    per_position: bool = False
    tolerance: float = 1e-6
    tokens: int = 0
    measures: tuple = ()

    def run(self, p: ListedBlocks, q: ListedBlocks, sink, warn: Callable[[str], None] = lambda message: None,
            progress: Callable[[int], None] | None = None) -> LmSummary:
        """Every block of positions compared and given to ``sink``, then the summary to ``sink.finish``."""
        firsts = [p.read(BLOCK_POSITIONS), q.read(BLOCK_POSITIONS)]
        context = self.context(ListedSide(p.name, p.shape, "P"), ListedSide(q.name, q.shape, "Q"), firsts)
        shown = Warnings(warn)
        totals = self.compare(p, q, firsts, context, sink, shown, progress)
        summary = self.summary(context, totals, shown)
        sink.finish(summary)
        return summary

    def compare(self, p: ListedBlocks, q: ListedBlocks, firsts: list[Listed | None], context: ListedContext, sink,
                shown: Warnings, progress: Callable[[int], None] | None = None) -> ListedTotals:
        """The totals of every block of positions from ``firsts`` on (each block given to ``sink``)."""
        totals = ListedTotals(self.top)
        while firsts[0] is not None or firsts[1] is not None:
            p_block, q_block = firsts
            if p_block is None or q_block is None or p_block.rows != q_block.rows:
                raise _positions_differ(p, q, p_block, q_block)
            block = compare_block(p_block, q_block, context, totals)
            totals.add(block)
            shown.extend(block.warnings)
            sink.rows(block)
            if progress is not None:
                progress(totals.rows)
            firsts = [p.read(BLOCK_POSITIONS), q.read(BLOCK_POSITIONS)]
        return totals

    def context(self, p: ListedSide, q: ListedSide, firsts: list[Listed | None]) -> ListedContext:
        """The two sides; the labels: those given, else the positions' own tokens where the first
        position of either side has one."""
        if firsts[0] is None and firsts[1] is None:
            raise DataError(p.source, "no positions", "write one position (or one response) a line")
        own = tuple(first is not None and first.own[0] is not None for first in firsts)
        labels = self.labels if self.labels is not None or not any(own) else TokenLabels(OWN_TOKENS)
        return ListedContext(p, q, labels, self.per_position, self.tolerance, own, measures=self.measures,
                             tokens=self.tokens if self.top is not None else 0)

    def summary(self, context: ListedContext, totals: ListedTotals, shown: Warnings) -> LmSummary:
        """The statistics of every position (``totals``: the whole run's), the warnings closed."""
        shown.extend(totals.closing_warnings())
        labels = context.labels_operand
        if labels is not None and labels.tokens is not None and len(labels.tokens) > totals.rows:
            raise token_labels_mismatch(labels, totals.rows, False, context.p.source)
        kl = np.concatenate(totals.kl)
        statistics = {"positions": totals.rows, **kl_statistics(kl), **same_top_statistics(totals.same, totals.rows)}
        if labels is not None:
            statistics.update(label_statistics(np.concatenate(totals.nll_p), np.concatenate(totals.nll_q), shown,
                                               labels, totals.example))
        for measure in context.measures:
            statistics.update(totals.moments[measure.key].statistics(measure.key))
        shown.close()
        tokens = None if totals.worst is None or not context.tokens else \
            [totals.tokens[position] for position in totals.worst.position.tolist()]
        return LmSummary(context, totals.rows, statistics, totals.worst, shown.messages, totals.deviations,
                         tokens, histogram(kl))


def _positions_differ(p: ListedBlocks, q: ListedBlocks, p_block: Listed | None, q_block: Listed | None) -> DataError:
    """P and Q end at different positions: the message names the first one the shorter lacks."""
    p_rows, q_rows = (blocks.done for blocks in (p, q))
    return positions_differ(("P", p_rows, p.name, p_rows > q_rows and not p.exhausted()),
                            ("Q", q_rows, q.name, q_rows > p_rows and not q.exhausted()))
