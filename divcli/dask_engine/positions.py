"""``divcli lm --engine dask``: two models' outputs as datasets of shards of positions, a task per
shard pair, the statistics of every position merged on the client.

As the other commands' engine (:mod:`.client`), with what ``lm`` needs besides:

* Each task opens its shards as ``divcli lm`` opens its files (:func:`divcli.readers.positions.open_positions`:
  a 3-D array is batch·sequence positions; shards behind an fsspec URL through :func:`.reading.open_shard`)
  and runs the local engine's loop with lm's computation over them. It returns lm's totals: every
  position's D(P‖Q) (and with labels −log p(label), −log q(label)): 8 bytes a position, 24 with
  labels; the count of positions whose top tokens agree; its ``--top`` worst positions.
* The client merges the totals in shard order (``LmTotals.merge``: the worst positions numbered on
  from the shards before them) and lm's ``summarise`` computes the statistics from the values of
  every position, as locally: the percentiles, the maximum and the minimum are exactly the local
  engine's (the same floats, the same sort), the means and standard errors agree to rounding.
* A position is numbered in the whole input, across the shards, and its record has no ``batch`` and
  ``sequence`` (3-D shards may differ in shape: their batches are not the whole input's).
* ``--labels`` are read whole on the client (8 bytes a position) and checked there; every task is
  sent its own shard's labels only. For that the client counts the positions of each of P's shards
  (from the header of a ``.npy`` file; a shard of another format is read through).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from ..computations.divergence_rows import renumbered_positions
from ..computations.lm import LanguageModels, labels_mismatch, position_mismatch, positions_differ
from ..engine.collect import Collect
from ..engine.loop import Partial, Sink, Start, Warnings, compute_blocks, summarise, without_blocks
from ..engine.start import read_firsts
from ..errors import DataError, EngineUsage
from ..readers.blocks import ArrayBlocks, Blocks
from ..readers.positions import open_positions
from ..readers import sizes
from ..vocabulary import Options, count_of
from .cluster import connect, require
from .plan import Plan
from .reading import open_shard
from .lm_warnings import FULL_ROWS, Gathered, capped_infinite
from .shards import Shard, pairs, shards
from .task import ShardResult, in_order


def open_positions_shard(shard: Shard, stack: ExitStack, plan: Plan, role: str) -> Blocks:
    """One shard's positions: a literal's, a local file's as ``divcli lm`` reads it, a URL's through fsspec."""
    if shard.operand is not None:
        return ArrayBlocks(shard.operand)
    if shard.is_local:
        blocks = open_positions(shard.url, None, plan.delimiter)
        stack.callback(blocks.close)
        return blocks
    return open_shard(shard, stack, plan, role)


def shard_positions(shard: Shard, plan: Plan) -> int:
    """How many positions ``shard`` holds: its reader's count where it knows it before reading (a
    ``.npy`` file's header), else counted by reading it through."""
    with ExitStack() as stack:
        blocks = open_positions_shard(shard, stack, plan, "P")
        position = getattr(blocks, "position", None)
        total = position()[1] if position is not None else None
        if total is not None:
            return total
        rows = 0
        while (block := blocks.read(sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS)) is not None:
            rows += block.rows
        return rows


@dataclass
class PositionsResult(ShardResult):
    """A task's result whose error, when P's and Q's shards differ in length, keeps their counts: the
    client names the first missing position in the whole input (:func:`run_lm_dask`); and whose
    warnings, numbered within the shard (``shard_warnings``), the client renumbers in the whole
    input as it merges the shards in order."""

    counts: tuple | None = None
    shard_warnings: list[str] = field(default_factory=list)

    def check(self) -> "PositionsResult":
        if self.error is not None and self.counts is not None:
            error = DataError(*self.error)
            error.counts = self.counts
            raise error
        return super().check()


def run_positions_shard(plan: Plan, p: Shard, q: Shard, labels: np.ndarray | None) -> ShardResult:
    """One task: lm's computation over one shard pair, by the local engine's loop, with the shard's
    ``labels`` (None without --labels)."""
    shown = Gathered()  # every warning: the client caps them across shards
    start = plan.start
    try:
        with ExitStack() as stack:
            operands = [open_positions_shard(shard, stack, plan, role) for shard, role in ((p, "P"), (q, "Q"))]
            firsts, operands = read_firsts(operands, start.kinds[0], start.count, kinds=start.kinds)
            for first in firsts:
                _check_vocabulary(first, start.count)
            start = replace(start, firsts=firsts, operands=operands, context=replace(start.context, labels=labels))
            partial = compute_blocks(plan.computation, start, plan.options, Collect(False), shown)
    except DataError as error:  # a value, not an exception: the client raises it
        return PositionsResult(error=position_mismatch(error).template, counts=getattr(error, "counts", None))
    return PositionsResult(partial, hidden=shown.hidden, shard_warnings=shown.messages)


def _check_vocabulary(first, count: int) -> None:
    """Every shard's positions over the vocabulary of the first shard's."""
    if first is not None and first.shape[1] != count:
        raise DataError(first.where(0), f"this shard has {count_of(first.shape[1], 'token', 'tokens')} a position, "
                                        f"the first shard {count}", "give every shard the same vocabulary")


def _client_start(computation: LanguageModels, found: list[list[Shard]], specs: list[str], plan: Plan) -> Start:
    """lm's start from the first shard of each dataset (the vocabulary, the kinds, the labels read
    whole and checked), its operands named as the user gave them."""
    with ExitStack() as stack:
        operands = [open_positions_shard(shards_[0], stack, plan, role) for shards_, role in zip(found, "PQ")]
        start = computation.start(operands, plan.options)
    context = start.context
    named = [shards_[0].name if shards_[0].operand is not None else spec for spec, shards_ in zip(specs, found)]
    context = replace(context, p=replace(context.p, source=named[0]), q=replace(context.q, source=named[1]),
                      batches=None)  # the first shard's (batch, sequence) need not be the others': no batch, sequence
    return replace(without_blocks(start), context=context)


def _labels_by_task(start: Start, p_shards: list[Shard], plan: Plan) -> list[np.ndarray | None]:
    """Each task's labels (None for all without --labels): the labels of its shard's positions. Fewer
    labels than positions is the local engine's error, said before any task runs; more, at the end."""
    labels = start.context.labels
    if labels is None:
        return [None] * len(p_shards)
    counts = [shard_positions(shard, plan) for shard in p_shards]
    bounds = np.cumsum([0] + counts)
    if labels.size < bounds[-1]:
        raise labels_mismatch(start.context, int(bounds[-1]), False)
    return [labels[low:high] for low, high in zip(bounds[:-1], bounds[1:])]


def run_lm_dask(computation: LanguageModels, specs: list[str], options: Options, sink: Sink, *, scheduler: str | None,
                delimiter: str | None, warn: Callable[[str], None], say: Callable[[str], None] | None):
    """``divcli lm`` over datasets of shards (P's and Q's, shard i with shard i) on a Dask cluster:
    the summary to ``sink``, as :func:`divcli.engine.loop.run_computation` gives it locally."""
    require()
    if computation.per_position:
        raise EngineUsage("--reduction row is local only with lm: the Dask engine gives the statistics and --top")
    found = [shards(spec) for spec in specs]
    plan = Plan(replace(computation, labels=None), None, options, delimiter, None, None, True, False)
    start = _client_start(computation, found, specs, plan)
    tasks = pairs(found[0], found[1], None, specs)
    labels = _labels_by_task(start, found[0], plan)
    plan = replace(plan, start=replace(start, context=replace(start.context, labels=None, labels_operand=None)))
    partial, shown = Partial(computation.accumulator(start)), Warnings(warn)
    with connect(scheduler, say) as client:
        if say is not None:
            say(f"dask: {len(tasks)} tasks, one per shard pair")
        futures = [client.submit(run_positions_shard, plan, p, q, part, pure=False)
                   for (p, q), part in zip(tasks, labels)]
        gathered: list[str] = []
        try:
            in_order(futures, partial, start.single, shown, lambda result, offset: gathered.extend(
                [renumbered_positions(message, offset) for message in result.shard_warnings]))
        except DataError as error:  # shard pair i's lengths differ: its positions follow the shards before it
            counts = getattr(error, "counts", None)
            if counts is None:
                raise
            raise positions_differ(*counts, offset=partial.totals.rows) from None
        finally:
            client.cancel(futures)
    shown.extend(capped_infinite(gathered, FULL_ROWS))
    summary = summarise(computation, start, partial, shown)
    sink.finish(summary)
    return summary
