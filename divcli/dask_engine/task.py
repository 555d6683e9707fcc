"""The task: what a worker runs for one shard (or shard pair), the local engine's loop
(:func:`divcli.engine.loop.compute_blocks`) over it, and what it returns; and the client's merge of the
results in shard order."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from ..engine.collect import Collect
from ..engine.loop import Partial, Start, Warnings, compute_blocks
from ..vocabulary import Kind
from ..errors import DataError
from ..engine.start import read_firsts
from ..fields import Rows
from ..readers.operand import Operand
from .matching import match_shard
from .reading import open_shard
from .shards import Shard

if TYPE_CHECKING:
    from .plan import Plan


@dataclass
class ShardResult:
    """What one task returns: its partial (accumulator and rows read), its warnings (the first
    :data:`~divcli.engine.loop.MAX_WARNINGS`, and how many more), its per-row results when they are wanted,
    or the data error that stopped it."""

    partial: Partial | None = None
    warnings: list[str] = field(default_factory=list)
    hidden: int = 0
    reports: list[Rows] | None = None
    error: tuple[str, str, str | None] | None = None

    def check(self) -> "ShardResult":
        if self.error is not None:
            raise DataError(*self.error)
        return self


def _kept(report: Rows) -> Rows:
    """A task's per-row record as it is sent back (:meth:`~divcli.fields.Rows.kept`: without the N×C
    arrays nothing downstream reads); the client takes each as :meth:`~divcli.fields.Rows.renumbered`
    gives it."""
    return report.kept()


def _check_shard(start: Start, first: Operand | None, kind: Kind) -> None:
    """Every shard as the first: as many classes, named alike."""
    if first is None or kind is Kind.LABELS:
        return
    if first.shape[1] != start.count:
        raise DataError(first.where(0), f"this shard has {first.shape[1]} values per row, the first shard has {start.count}",
                        "every shard needs one value per class")
    if first.classes and first.classes != start.context.classes:
        raise DataError(first.name, f"names its classes {first.classes[:6]}, the first shard {start.context.classes[:6]}",
                        "give every shard the same header")


def run_shard(plan: Plan, p: Shard, q: Shard | None) -> ShardResult:
    """One task: the engine's loop (:func:`divcli.engine.loop.compute_blocks`) over one shard of P (and
    its shard of Q)."""
    keep, shown = Collect(plan.keep_rows, trim=_kept), Warnings(lambda message: None)
    try:
        with ExitStack() as stack:
            operands = [open_shard(shard, stack, plan, role) for shard, role in ((p, "P"), (q, "Q")) if shard is not None]
            firsts, operands = read_firsts(operands, plan.start.kinds[0], plan.start.count)
            firsts, operands = match_shard(plan.start, firsts, operands, plan.options)
            for first, kind in zip(firsts, plan.start.kinds):
                _check_shard(plan.start, first, kind)
            start = replace(plan.start, firsts=firsts, operands=operands)
            partial = compute_blocks(plan.computation, start, plan.options, keep, shown)
    except DataError as error:  # a value, not an exception: the client raises it, no worker logs a traceback
        return ShardResult(error=error.template)
    return ShardResult(partial, shown.messages, shown.hidden, keep.reports if plan.keep_rows else None)


def in_order(futures, partial: Partial, single: list[bool], shown: Warnings,
              each: Callable[[ShardResult, int], object]) -> list[ShardResult]:
    """Results in shard order (a shard's error stops it), merged into ``partial``, warnings shown."""
    results = []
    for future in futures:
        result = future.result().check()
        offset = partial.totals.rows
        partial.merge(result.partial, single)
        shown.extend(result.warnings)
        shown.hidden += result.hidden
        each(result, offset)
        results.append(replace(result, reports=None))
        future.release()
    return results
