"""The client's side of ``--engine dask``: list the shards, start the computation on the first ones,
send a task per shard (pair), merge their results in shard order and summarise, as locally."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from typing import Callable

from ..errors import EngineUsage

from ..engine.loop import Computation, Partial, Sink, Start, Warnings, summarise, without_blocks
from ..vocabulary import Options, Kind
from .cluster import connect, require
from .parts import part_format, parts_folder, write_parts
from .reading import open_shard
from .shards import Shard, pairs, shards
from .plan import Plan
from .task import in_order, run_shard


def _source(spec: str, found: list[Shard]) -> str:
    return found[0].name if found[0].operand is not None else spec


def _cols(text: str | None) -> tuple[str, ...] | None:
    return None if not text else tuple(item.strip() for item in text.split(",") if item.strip())


def _client_start(computation: Computation, found: list[list[Shard]], specs: list[str], plan: Plan) -> Start:
    """The computation's start from the first shards (they decide what holds for every shard), its
    broadcast that of a dataset of one shard of one row, its sources named as the user gave them."""
    with ExitStack() as stack:
        operands = [open_shard(shards_[0], stack, plan, role) for shards_, role in zip(found, "PQ")]
        start = computation.start(operands, plan.options)
        p_single = start.single[0] and len(found[0]) == 1
        q_single = not p_single and len(found) > 1 and len(found[1]) == 1 and start.firsts[1].rows == 1 \
            and start.operands[1].exhausted()
    single = [p_single, q_single][:len(found)]
    broadcast = "P" if p_single else "Q" if q_single else None
    context = start.context.with_sources([_source(spec, shards_) for spec, shards_ in zip(specs, found)], broadcast)
    return replace(without_blocks(start), context=context, single=single)


def run_dask(computation: Computation, specs: list[str], options: Options, *, fmt: str, sink: Callable[[], Sink],
             output: str | None, scheduler: str | None, delimiter: str | None, p_cols: str | None,
             q_cols: str | None, warn: Callable[[str], None], say: Callable[[str], None] | None,
             own: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())):
    """``computation`` over sharded operands (P, and Q when given) on a Dask cluster; as
    :func:`divcli.engine.loop.run_computation`, but the per-row results go to ``output``'s parts when
    it is given, and ``sink`` is made only when something goes to standard output. ``own``: the
    parts P and Q chose with options of their own (:class:`.plan.Plan`)."""
    require()
    if options.p_kind is Kind.LABELS and len(specs) == 1:
        raise EngineUsage("--engine dask does not compute the entropy of labels (it is 0 for every "
                          "one-hot row); leave --engine local")
    found = [shards(spec) for spec in specs]
    plan = replace(_plan(computation, options, delimiter, p_cols, q_cols), own=own)
    start = _client_start(computation, found, specs, plan)
    tasks = pairs(found[0], found[1] if len(found) > 1 else None, start.context.broadcast, specs)
    keep_rows = output is not None or fmt != "quiet" or start.context.reduction.per_row
    parts = None if output is None else parts_folder(output)
    plan = replace(plan, start=start, keep_rows=keep_rows)
    partial, shown = Partial(computation.accumulator(start)), Warnings(warn)
    with connect(scheduler, say) as client:
        if say is not None:
            say(f"dask: {len(tasks)} tasks, one per shard{' pair' if len(found) > 1 else ''}")
        futures = [client.submit(run_shard, plan, p, q, pure=False) for p, q in tasks]
        try:
            out = _results(client, futures, start, partial, shown, fmt=fmt, sink=sink, output=output, parts=parts,
                           say=say)
        finally:
            client.cancel(futures)
    summary = summarise(computation, start, partial, shown)
    if out is not None:
        out.finish(summary)
    return summary


def _plan(computation: Computation, options: Options, delimiter: str | None, p_cols: str | None,
          q_cols: str | None) -> Plan:
    """What every task is sent, but the start: Q's class names are compared only without selections."""
    p_wanted, q_wanted = _cols(p_cols), _cols(q_cols)
    return Plan(computation, None, options, delimiter, p_wanted, q_wanted, p_wanted is None and q_wanted is None, False)


def _results(client, futures, start: Start, partial: Partial, shown: Warnings, *, fmt: str, sink: Callable[[], Sink],
             output: str | None, parts, say: Callable[[str], None] | None) -> Sink | None:
    """The tasks' results merged in shard order, their per-row results to standard output's sink, or
    to ``output``'s parts (the sink, if any, shows a few); the sink, for the summary."""
    if output is None:
        out = sink()
        in_order(futures, partial, start.single, shown, lambda result, offset: [
            out.rows(report.renumbered(offset)) for report in result.reports or []])
        return out
    written = part_format(output, fmt)
    out = None if written == fmt else sink()  # -f csv: the rows are in the parts, as asked, and nothing beside
    write_parts(client, futures, parts, output, written, out, partial, start.single, shown, say,
                str(start.context.command))
    return out
