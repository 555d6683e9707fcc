"""``-o DIR``: every shard's per-row results written by a worker as ``DIR/part-NNNNN.<format>``
(never gathered), and the few rows standard output shows beside them."""

from __future__ import annotations

from dataclasses import fields, replace

from ..errors import EngineUsage
import numpy as np

from ..engine.loop import Partial, Sink, Warnings
from ..measures.measure_records import MeasureReport
from ..output.tables import TABLE_ROWS
from ..computations.divergence_records import Report
from .task import ShardResult, in_order, whole

#: Rows the table shows at each end of a long input (the first and last).
TABLE_END_ROWS = TABLE_ROWS // 2



def without_rows(result: ShardResult) -> ShardResult:
    return replace(result, reports=None)


def rows_between(result: ShardResult, offset: int, start: int, stop: int) -> list[Report | MeasureReport]:
    """The kept rows ``start:stop`` of a shard (counted in the shard), numbered in the whole input;
    an empty range gives one report of no rows (it carries the context)."""
    found = []
    for report in map(whole, result.reports):
        low, high = max(start, report.first_row), min(stop, report.first_row + report.rows)
        if high > low or (start == stop and not found):
            found.append(_rows_slice(whole(report, offset), low - report.first_row, max(low, high) - report.first_row))
    return found


def _rows_slice(report: Report | MeasureReport, start: int, stop: int) -> Report | MeasureReport:
    rows, changes = report.rows, {}
    for item in fields(report):
        value = getattr(report, item.name)
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == rows or \
                item.name == "row_names" and value is not None:
            changes[item.name] = value[start:stop]
        elif item.name == "values" and isinstance(value, dict):  # a MeasureReport's, per measure
            changes[item.name] = {key: values[start:stop] for key, values in value.items()}
        elif item.name == "warnings":
            changes[item.name] = []
    return replace(report, **changes, first_row=report.first_row + start)


def write_part(result: ShardResult, offset: int, url: str, part_format: str) -> str:
    """Write one shard's per-row results (the records of ``-f csv`` / ``-f json``'s ``rows``) with
    the registry's parts sink of ``part_format`` (divcli.output: ``csv``, ``parquet``)."""
    import fsspec

    from ..output import registry

    reports = [whole(report, offset) for report in result.reports]
    kind = registry.Content.MEASURE_PARTS if isinstance(reports[0], MeasureReport) else registry.Content.PARTS
    cls = registry.sink_class(kind, part_format)
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
    is known to be right (no partial output on a data error); the table gets the first and last rows."""
    results = in_order([client.submit(without_rows, future) for future in futures], partial, single, shown,
                        lambda result, offset: None)
    offsets = np.concatenate(([0], np.cumsum([result.partial.totals.rows for result in results])))
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
    if out is not None:
        for index, start, stop in _shown_rows(out, offsets, command):
            for report in client.submit(rows_between, futures[index], int(offsets[index]), start, stop).result():
                out.rows(report)
    return results


def _wanted_rows(out: Sink, total: int, command: str) -> list[tuple[int, int]] | None:
    """The rows (ranges in the whole input) a sink shows with ``-o DIR``, as it keeps them locally;
    None for JSON (one report of no rows: its ``rows`` are in the parts)."""
    from ..output.measure_tables import ROW_COLUMNS, MeasureTableSink
    from ..output.quiet import MeasureQuietSink, QuietSink
    from ..output.tables import TableSink

    if isinstance(out, (QuietSink, MeasureQuietSink)):  # the reduced value only
        return []
    if isinstance(out, TableSink):  # the first and last TABLE_END_ROWS
        return [(0, total)] if total <= 2 * TABLE_END_ROWS else \
            [(0, TABLE_END_ROWS), (total - TABLE_END_ROWS, total)]
    if isinstance(out, MeasureTableSink):  # compare: the first ROW_COLUMNS; js: the first TABLE_ROWS and the last
        first = min(total, ROW_COLUMNS if command == "compare" else TABLE_ROWS)
        last = max(first, total - TABLE_ROWS // 2) if command == "js" else total
        return [(0, first)] + ([(last, total)] if last < total else [])
    return None


def _shown_rows(out: Sink, offsets: np.ndarray, command: str) -> list[tuple[int, int, int]]:
    """(shard, start, stop) of the rows standard output shows with ``-o DIR``: see :func:`_wanted_rows`."""
    total = int(offsets[-1])
    wanted = _wanted_rows(out, total, command)
    if wanted is None:
        return [(0, 0, 0)]
    found = []
    for low, high in wanted:
        for index in range(len(offsets) - 1):
            start, stop = max(low, offsets[index]), min(high, offsets[index + 1])
            if stop > start:
                found.append((index, int(start - offsets[index]), int(stop - offsets[index])))
    return found
