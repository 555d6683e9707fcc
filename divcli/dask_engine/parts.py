"""``-o DIR``: every shard's per-row results written by a worker as ``DIR/part-NNNNN.<format>``
(never gathered), and the few rows standard output shows beside them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import EngineUsage
from ..engine.loop import Partial, Sink, Warnings
from ..fields import Rows
from .task import ShardResult, in_order


def without_rows(result: ShardResult) -> ShardResult:
    return replace(result, reports=None)


def family_of(result: ShardResult) -> str | None:
    """The family of a shard's records (:mod:`divcli.fields`: ``rows``, ``measures``)."""
    return result.reports[0].family if result.reports else None


def rows_between(result: ShardResult, offset: int, start: int, stop: int) -> list[Rows]:
    """The kept rows ``start:stop`` of a shard (counted in the shard), numbered in the whole input."""
    found = []
    for report in (kept.renumbered(0) for kept in result.reports):
        low, high = max(start, report.first_row), min(stop, report.first_row + report.rows)
        if high > low:
            found.append(report.renumbered(offset).sliced(low - report.first_row, high - report.first_row))
    return found


def parts_sink(family: str, part_format: str) -> type:
    """The class that writes a part file of ``family``'s records in ``part_format`` (divcli.output:
    ``csv``, ``parquet``): the format's sink of parts for the family, which must say it takes them."""
    from ..output import registry

    kinds = {"rows": registry.Content.PARTS, "measures": registry.Content.MEASURE_PARTS}
    if family not in kinds:
        raise EngineUsage(f"-o writes no part files of {family} records", "'-o'")
    try:
        cls = registry.sink_class(kinds[family], part_format)
    except registry.NoSink as error:
        raise EngineUsage(str(error), "'-o'") from None
    if family not in cls.takes:
        raise EngineUsage(f"-f {part_format} cannot write these parts: its sink of {kinds[family].value}, "
                          f"{cls.__name__}, does not take {family} records", "'-o'")
    return cls


def write_part(result: ShardResult, offset: int, url: str, part_format: str) -> str:
    """Write one shard's per-row results (the records of ``-f csv`` / ``-f json``'s ``rows``) with
    the parts sink of ``part_format`` (:func:`parts_sink`)."""
    import fsspec

    reports = [report.renumbered(offset) for report in result.reports]
    cls = parts_sink(reports[0].family, part_format)
    with fsspec.open(url, "wb") if cls.binary else fsspec.open(url, "w", encoding="utf-8", newline="") as stream:
        sink = cls(stream)
        for report in reports:
            sink.rows(report)
        sink.finish(None)
    return url


def part_format(output: str, fmt: str) -> str:
    """Parts in the format asked for when it writes parts (``-f csv``), else Parquet, unless the
    folder is named ``*.csv``."""
    from ..output import registry

    if registry.supports(fmt, registry.Content.PARTS):
        return fmt
    return "csv" if output.rstrip("/\\").lower().endswith(".csv") else "parquet"


def parts_folder(output: str):
    """``-o DIR``: its filesystem and path, checked before anything is computed: new or empty."""
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(output)
    if fs.exists(root) and (not fs.isdir(root) or fs.ls(root, detail=False)):
        raise EngineUsage(f"{output} is not an empty folder; give a new or empty folder for the parts", "'-o'")
    return fs, root


def write_parts(client, futures, parts, output: str, part_format: str, out: Sink | None,
                partial: Partial, single: list[bool], shown: Warnings, say, command: str) -> list[ShardResult]:
    """Every shard's rows to ``output/part-NNNNN.<format>``, written by the workers once every shard
    is known to be right (no partial output on a data error, nor on a sink that cannot write them);
    the sink of standard output gets the rows it says it shows beside them."""
    results = in_order([client.submit(without_rows, future) for future in futures], partial, single, shown,
                       lambda result, offset: None)
    offsets = np.concatenate(([0], np.cumsum([result.partial.totals.rows for result in results])))
    family = client.submit(family_of, futures[0]).result()
    if family is not None:
        parts_sink(family, part_format)
    beside = [] if out is None else shown_rows(out, offsets, command)
    fs, root = parts
    try:
        fs.makedirs(root, exist_ok=True)
    except OSError as error:
        raise EngineUsage(f"cannot make {output}: {error.strerror or error}", "'-o'") from None
    urls = [fs.unstrip_protocol(f"{root.rstrip('/')}/part-{index:05d}.{part_format}") for index in range(len(futures))]
    client.gather([client.submit(write_part, future, int(offset), url, part_format, pure=False)
                   for future, offset, url in zip(futures, offsets, urls)])
    if say is not None:
        say(f"dask: {int(offsets[-1])} rows written to {len(urls)} {part_format} parts in {output}")
    for index, start, stop in beside:
        for report in client.submit(rows_between, futures[index], int(offsets[index]), start, stop).result():
            out.rows(report)
    return results


def shown_rows(out: Sink, offsets: np.ndarray, command: str) -> list[tuple[int, int, int]]:
    """(shard, start, stop) of the rows standard output shows with ``-o DIR``: those the sink says
    it shows (``rows_beside_parts``, ranges in the whole input), found in the shards. A sink that
    does not say is refused, before any part is written."""
    wanted = out.rows_beside_parts(int(offsets[-1]), command)
    if wanted is None:
        raise EngineUsage(f"this output format ({type(out).__name__}) does not say which rows it shows beside "
                          "the parts; give -f csv, -f json, -f table or -q with -o", "'-o'")
    found = []
    for low, high in wanted:
        for index in range(len(offsets) - 1):
            start, stop = max(low, offsets[index]), min(high, offsets[index + 1])
            if stop > start:
                found.append((index, int(start - offsets[index]), int(stop - offsets[index])))
    return found
