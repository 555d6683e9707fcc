"""``divcli drift --engine dask``: two datasets of shards of raw samples (the reference's and the
current's, each a glob, a folder or one file; any number of shards each), a Dask task per shard
and pass of :mod:`divcli.computations.drift_stream`.

Each task reads its shard whole with the local engine's reader (so a value reads the same and an
error names the shard's file and line) and returns that pass's result for it; the client merges
the results in shard order. So the bins come from the whole reference (its exact quantiles, by the
radix selection over every shard), the counts are every shard's summed, and the numbers are the
local engine's: the same edges, counts and binned measures. W₁ and KS are left out, as for a
sample read a piece at a time. Shards are local files (or on a filesystem every worker shares).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from ..computations.drift import DriftReport, DriftSettings
from ..computations.drift_stream import streamed_drift
from ..errors import DataError, EngineUsage
from ..readers.columns import ColumnChoice
from ..readers.sample_records import Samples
from ..readers.samples import read_samples
from .cluster import connect, require
from .shards import Shard, shards

#: The values of a bucket kept at most, on the client, to read an order statistic.
BUDGET = 1 << 22


def _piece(shard: Shard, delimiter: str | None, columns: ColumnChoice) -> Samples:
    if not shard.is_local:
        raise DataError(shard.name, "drift --engine dask reads shards from local files",
                        "copy the shards to a filesystem every worker shares")
    return read_samples(shard.url, None, delimiter, columns)


def _task(function: Callable[[Samples], object], shard: Shard, delimiter: str | None,
          columns: ColumnChoice) -> tuple[object, tuple | None]:
    """One task: ``function`` of the shard's samples, or the data error that stopped it (a value:
    the client raises it)."""
    try:
        return function(_piece(shard, delimiter, columns)), None
    except DataError as error:
        return None, error.template


@dataclass
class DaskSide:
    """A dataset of shards, each pass a task per shard on ``client``, merged in shard order."""

    name: str
    shards: list[Shard]
    delimiter: str | None
    columns: ColumnChoice
    client: object

    def first(self) -> Samples:
        return _piece(self.shards[0], self.delimiter, self.columns)

    def each(self, function: Callable[[Samples], object]) -> Iterator:
        futures = [self.client.submit(_task, function, shard, self.delimiter, self.columns, pure=False)
                   for shard in self.shards]
        try:
            for future in futures:
                result, error = future.result()
                if error is not None:
                    raise DataError(*error)
                yield result
        finally:
            self.client.cancel(futures)


def dask_drift(specs: tuple[str, str], settings: DriftSettings, delimiter: str | None, columns: ColumnChoice, *,
               scheduler: str | None, warn: Callable[[str], None],
               say: Callable[[str], None] | None) -> DriftReport:
    """The drift of two datasets of shards of samples, on a Dask cluster."""
    require()
    found = [shards(spec) for spec in specs]
    for spec, listed in zip(specs, found):
        if any(shard.operand is not None for shard in listed):
            raise EngineUsage(f"{spec}: drift --engine dask reads files of samples, not a literal")
    with connect(scheduler, say) as client:
        if say is not None:
            say(f"dask: {len(found[0])} + {len(found[1])} shards, a task per shard and pass")
        sides = [DaskSide(spec, listed, delimiter, columns, client) for spec, listed in zip(specs, found)]
        return streamed_drift(sides[0], sides[1], settings, warn, budget=BUDGET)
