"""``divcli lm --engine dask`` on top-k log-probs (:mod:`divcli.computations.lm_topk`): datasets of
JSON Lines shards, shard i of BASE with shard i of CANDIDATE, a task per shard pair.

As the full rows' (:mod:`.positions`), the tasks return lm's totals (every position's D(P‖Q), with
labels −log p(label) and −log q(label); the count of the same top token; the ``--top`` worst positions
and their cells; the moments of ``--measures``) and the client merges them in shard order and
computes the statistics from the values of every position, as the local engine does: the same
floats, so the percentiles, the maximum and the minimum are exactly the local engine's, the means
and standard errors equal to rounding. Besides:

* The shards' positions are counted first, a task per shard of BASE (a line a position for
  divcli's own lines, the responses' positions read through for the others), so that every task
  numbers its positions in the whole input: its messages, its warnings and its worst positions say
  the positions the local engine says, and ``--labels`` (read whole on the client, checked there)
  sends each task its own shard's labels only.
* The labels (the positions' own tokens, or not) and which sides give their own tokens are decided
  by the first position, on the client, as locally; every shard of a dataset holds one shape.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Callable

from ..computations.lm_topk import BLOCK_POSITIONS, ListedContext, ListedModels, ListedSide
from ..computations.lm_topk_labels import TokenLabels, token_labels_mismatch
from ..engine.loop import Warnings
from ..errors import DataError, EngineUsage
from ..readers.listed_input import stream_shape
from ..readers.top_logprobs import SHAPE_NAMES, SIMPLE, ListedBlocks
from .cluster import connect, require
from .lm_warnings import LISTED, Gathered, capped_infinite
from .shards import Shard, pairs, shards
from .task import ShardResult


def _open(shard: Shard, stack: ExitStack):
    """A shard's bytes: a local file's, or through fsspec."""
    try:
        if shard.is_local:
            return stack.enter_context(open(shard.url, "rb"))
        import fsspec

        return stack.enter_context(fsspec.open(shard.url, "rb"))
    except (OSError, ValueError) as error:
        raise DataError(shard.name, f"cannot read: {getattr(error, 'strerror', None) or error}") from None


def dataset_shape(spec: str) -> str | None:
    """The shape of the top-k log-probs of the first shard of ``spec``, else None (rows)."""
    require()
    first = shards(spec)[0]
    if first.operand is not None:
        return None
    with ExitStack() as stack:
        return stream_shape(_open(first, stack))


def _blocks(shard: Shard, shape: str, stack: ExitStack, offset: int = 0) -> ListedBlocks:
    """One shard's positions, numbered on from ``offset``; a shard of another shape than the
    dataset's first is refused."""
    if shard.operand is not None:
        raise DataError(shard.name, "is no file of top-k log-probs", "give every shard as JSON Lines of one shape")
    stream = _open(shard, stack)
    found = stream_shape(stream)
    if found != shape:
        held = "no top-k log-probs" if found is None else SHAPE_NAMES[found]
        raise DataError(shard.name, f"holds {held}, but the first shard holds {SHAPE_NAMES[shape]}",
                        "give every shard of a dataset one shape")
    stream.seek(0)
    return ListedBlocks(shard.name, shape, stream, offset)


def count_positions(shard: Shard, shape: str) -> ShardResult:
    """One counting task: the number of positions of one shard (a line that is not blank for divcli's
    own lines) as its ``partial``; or the data error that stopped it."""
    try:
        with ExitStack() as stack:
            blocks = _blocks(shard, shape, stack)
            if shape == SIMPLE:
                return ShardResult(sum(1 for line in blocks.stream if line.strip()))
            while blocks.read(BLOCK_POSITIONS) is not None:
                pass
            return ShardResult(blocks.done)
    except DataError as error:
        return ShardResult(error=error.template)


class _Unwritten:
    """A task's sink: its positions are not written (``--reduction row`` is local only)."""

    def rows(self, block) -> None:
        pass


@dataclass(frozen=True)
class _Task:
    """What a task is sent besides its shards: the computation (without the labels), the run's
    context (with its shard's labels only), the shapes, and the positions before its shard's."""

    computation: ListedModels
    context: ListedContext
    shapes: tuple[str, str]
    offset: int


def run_listed_shard(task: _Task, p: Shard, q: Shard) -> ShardResult:
    """One task: lm's comparison of one shard pair of top-k log-probs, its totals as ``partial``."""
    shown = Gathered()  # every warning: the client caps them across shards
    try:
        with ExitStack() as stack:
            blocks = [_blocks(shard, shape, stack, task.offset) for shard, shape in zip((p, q), task.shapes)]
            firsts = [side.read(BLOCK_POSITIONS) for side in blocks]
            totals = task.computation.compare(*blocks, firsts, task.context, _Unwritten(), shown)
    except DataError as error:  # a value, not an exception: the client raises it
        return ShardResult(error=error.template)
    return ShardResult(totals, shown.messages, shown.hidden)


def _first_positions(tasks: list[tuple[Shard, Shard]], shapes: tuple[str, str]) -> list:
    """The first position of each side, from the first shard pair that has one: what decides the
    labels and whose positions carry their own token."""
    for pair in tasks:
        with ExitStack() as stack:
            firsts = [_blocks(shard, shape, stack).read(1) for shard, shape in zip(pair, shapes)]
        if firsts[0] is not None or firsts[1] is not None:
            return firsts
    return [None, None]


def _labels_by_task(context: ListedContext, counts: list[int], source: str) -> list[TokenLabels | None]:
    """Each task's labels: its shard's slice of a --labels file (None for all else). Fewer labels than
    positions is said before any task runs; more, at the end, as locally."""
    labels = context.labels_operand
    if labels is None or labels.tokens is None:
        return [labels] * len(counts)
    total = sum(counts)
    if len(labels.tokens) < total:
        raise token_labels_mismatch(labels, total, False, source)
    offsets = [sum(counts[:index]) for index in range(len(counts))]
    return [TokenLabels(labels.name, labels.tokens[low:low + count], low) for low, count in zip(offsets, counts)]


def _gathered(client, futures) -> list:
    """The tasks' results, in order; the first data error raised."""
    try:
        return [future.result().check() for future in futures]
    finally:
        client.cancel(futures)


def run_listed_dask(computation: ListedModels, specs: list[str], shapes: list[str], sink, *,
                    scheduler: str | None, warn: Callable[[str], None], say: Callable[[str], None] | None):
    """``divcli lm`` over datasets of top-k log-probs on a Dask cluster: the summary to ``sink``, as
    :meth:`ListedModels.run <divcli.computations.lm_topk.ListedModels.run>` gives it locally."""
    require()
    if computation.per_position:
        raise EngineUsage("--reduction row is local only with lm: the Dask engine gives the statistics and --top")
    found = [shards(spec) for spec in specs]
    tasks = pairs(found[0], found[1], None, specs)
    shapes = (shapes[0], shapes[1])
    context = computation.context(ListedSide(specs[0], shapes[0], "P"), ListedSide(specs[1], shapes[1], "Q"),
                                  _first_positions(tasks, shapes))
    shown = Warnings(warn)
    with connect(scheduler, say) as client:
        if say is not None:
            say(f"dask: {len(tasks)} tasks, one per shard pair, after {len(tasks)} counting their positions")
        counts = [result.partial for result in
                  _gathered(client, [client.submit(count_positions, p, shapes[0], pure=False) for p, _ in tasks])]
        labels = _labels_by_task(context, counts, specs[0])
        offsets = [sum(counts[:index]) for index in range(len(counts))]
        bare = replace(computation, labels=None)
        futures = [client.submit(run_listed_shard, _Task(bare, replace(context, labels_operand=part), shapes, offset),
                                 p, q, pure=False) for (p, q), part, offset in zip(tasks, labels, offsets)]
        totals, gathered = None, []
        try:
            for future in futures:
                result = future.result().check()
                if totals is None:
                    totals = result.partial
                else:
                    totals.merge(result.partial, 0)  # numbered in the whole input already
                gathered += result.warnings
                future.release()
        finally:
            client.cancel(futures)
    shown.extend(capped_infinite(gathered, LISTED))
    summary = computation.summary(context, totals, shown)
    sink.finish(summary)
    return summary
