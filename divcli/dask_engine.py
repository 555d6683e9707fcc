"""The distributed engine (``--engine dask``): the local engine's block loop, one Dask task per shard.

Imported only when ``--engine dask`` is asked for; Dask itself only inside :func:`run_dask`, after
:func:`require` has said how to install it when it is missing.

How it maps onto the local engine:

* A dataset is a glob, a folder or one file of shards (``.csv .tsv .txt .jsonl .ndjson .json .npy
  .parquet``; any fsspec URL such as ``s3://…`` where its filesystem package is installed), taken in
  natural order (``part-2`` before ``part-10``). Shard *i* of P goes with shard *i* of Q; P and Q may
  also be column selections (``--p-cols``/``--q-cols``) of the same dataset. A literal, or a dataset
  of one shard of one row, is compared with every row of the other, as locally.
* The client lists the shards and runs the computation's ``start`` (:mod:`divcli.engine`) over the
  first block of the first ones, which decide the classes, their names and the broadcast, as locally.
* Each task opens its shard pair with divcli's own readers (text through the block reader, so every
  value and every error's ``file:line`` are the local engine's; ``.npy`` through numpy; Parquet
  through pyarrow) and runs :func:`divcli.engine.compute_blocks`, the local engine's loop, with the
  same computation. It returns its :class:`~divcli.engine.Partial` (the computation's accumulator
  and the rows read), its warnings and, when they are wanted, the per-row records.
* The client merges the partials in shard order (``Accumulator.merge``) and the computation's
  ``summarise`` reduces them as locally. Per-row values are the same floats; the reductions differ
  at most by the order of the additions (blocks restart at every shard), about 1e-16 relative.
* A data error in a task comes back as a value and is raised on the client as the same one-line
  error, naming the shard's file and the line (or row) in it; the first failing shard in order wins.
* Per-row results: with ``-o DIR`` every task's rows are written by a worker as
  ``DIR/part-NNNNN.parquet`` (or ``.csv``), never gathered; without it they are fetched shard by
  shard, in order, and written to standard output by the local engine's writers.

Nothing here names a computation: kl, ce, entropy, js and compare of P and Q all go this way.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Callable

import click
import numpy as np

from .readers.blocks import ArrayBlocks, Blocks, bounded_rows
from .engine import (
    Computation,
    Options,
    Partial,
    Sink,
    Start,
    Warnings,
    compute_blocks,
    count_of,
    summarise,
    without_blocks,
)
from .firsts import read_firsts
from .errors import DataError, show_value
from .readers.operand import Operand
from .readers.registry import Request, ShardSource, open_shard as open_shard_blocks, read_operand, shard_extensions
from .kinds import Kind
from .measures import MeasureReport
from .numerics import Reduction
from .output.tables import BREAKDOWN_ROWS, TABLE_ROWS
from .report import Report

INSTALL = 'pip install "divcli[dask]"'
#: Rows the table shows at each end of a long input (the first and last).
TABLE_END_ROWS = TABLE_ROWS // 2


class EngineError(click.ClickException):
    """The engine cannot run here: Dask is missing, or the scheduler cannot be reached.

    Exit 2, as for a command line that cannot work (the data are not at fault, so not 1), and one
    line, as every divcli error (Click's usage errors would add the usage text)."""

    exit_code = 2


def require() -> None:
    """Dask, distributed and pyarrow, or a one-line error saying how to install them."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as error:
        raise EngineError(f"--engine dask needs Dask, which is not installed here (no module "
                          f"{error.name!r}); install it with: {INSTALL}") from None


# --------------------------------------------------------------------------------------------
# datasets: specs → shards


@dataclass(frozen=True)
class Shard:
    """One file of a dataset: ``url`` opens it on any worker, ``name`` is how messages call it.
    A literal is a shard of its own, read on the client (``operand``)."""

    url: str
    name: str
    extension: str
    operand: Operand | None = None

    @property
    def is_local(self) -> bool:
        return "://" not in self.url


def _natural(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _shown(path: str) -> str:
    """A local path as the user would write it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def shards(spec: str) -> list[Shard]:
    """The shards of ``spec`` in natural order: a glob, a folder, one file or URL, or a literal."""
    if spec == "-":
        raise click.UsageError("--engine dask reads files (globs, folders, URLs), not standard input")
    from fsspec.core import split_protocol, url_to_fs

    protocol = split_protocol(spec)[0]
    if protocol is None and not glob.has_magic(spec) and not os.path.exists(spec):
        operand = read_operand(spec, None)  # a literal, or the local engine's error for what is neither
        return [Shard("", operand.name, "", operand)]
    try:
        fs, path = url_to_fs(spec)
        paths = fs.glob(path) if glob.has_magic(path) else [path]
        files = []
        for path in paths:
            if fs.isdir(path):
                files += [item for item in fs.ls(path, detail=False)
                          if not os.path.basename(item.rstrip("/"))[:1] in "._"
                          and _extension(item) in shard_extensions() and fs.isfile(item)]
            else:
                files.append(path)
    except ImportError as error:  # s3:// without s3fs: fsspec says which package
        raise EngineError(f"{spec}: {error}") from None
    except (OSError, ValueError) as error:
        raise DataError(spec, f"cannot list the shards: {error}") from None
    if not files:
        raise DataError(spec, "no shards: nothing matches" if glob.has_magic(spec) else "no shards in this folder",
                        "shards are .csv, .tsv, .txt, .jsonl, .json, .npy or .parquet files")
    readable = shard_extensions()
    unknown = [path for path in files if _extension(path) not in readable]
    if unknown:
        raise DataError(unknown[0], "is no shard divcli reads",
                        "shards are .csv, .tsv, .txt, .jsonl, .json, .npy or .parquet files")
    extensions = sorted({_extension(path) for path in files})
    if len(extensions) > 1:
        raise DataError(spec, f"mixes {' and '.join(extensions)} shards", "give the shards of one dataset one format")
    files.sort(key=_natural)
    if protocol is None:
        return [Shard(path, _shown(path), extensions[0]) for path in files]
    return [Shard(fs.unstrip_protocol(path), fs.unstrip_protocol(path), extensions[0]) for path in files]


# --------------------------------------------------------------------------------------------
# reading one shard (on a worker, and the first ones on the client)


def column_indices(wanted: tuple[str, ...], names: list[str] | None, width: int, where: str,
                   option: str) -> list[int]:
    """``--p-cols``/``--q-cols``: names, 0-based indices or patterns (``t_*``), in the order given."""
    found: list[int] = []
    for item in wanted:
        if names and item in names:
            found.append(names.index(item))
        elif names and glob.has_magic(item) and any(fnmatch.fnmatchcase(name, item) for name in names):
            found += [index for index, name in enumerate(names) if fnmatch.fnmatchcase(name, item)]
        elif item.isdigit() and int(item) < width:
            found.append(int(item))
        else:
            shown = f"its columns are {', '.join(names[:8])}{', …' if len(names) > 8 else ''}" if names \
                else f"its columns are numbered 0 … {width - 1}"
            raise DataError(where, f"{option}: no column {show_value(item)}", shown)
    return found


def select_columns(operand: Operand, indices: list[int]) -> Operand:
    """The chosen columns of an operand (a message's column number then counts in the selection)."""
    return replace(operand, values=np.ascontiguousarray(operand.values[:, indices]),
                   classes=None if operand.classes is None else [operand.classes[i] for i in indices],
                   cells=None if operand.cells is None else [[row[i] for i in indices] for row in operand.cells],
                   source=None)


class Selected:
    """A shard's blocks with a column selection applied, and Q's class names dropped when there are
    selections (P's and Q's columns have different names; the selections pair them in order).

    With a selection, a block is bounded by the selected columns (as the local engine's blocks of
    those columns alone), and read in pieces each bounded by all the columns of the shard."""

    def __init__(self, blocks: Blocks, wanted: tuple[str, ...] | None, option: str, keep_names: bool):
        self.blocks, self.wanted, self.option, self.keep_names = blocks, wanted, option, keep_names
        self.name = blocks.name
        self.indices: list[int] | None = None

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        if not self.wanted:
            block = self.blocks.read(rows, max_values)
            return block if block is None or self.keep_names else replace(block, classes=None)
        parts: list[Operand] = []
        if self.indices is None:  # one row first: the selection's width bounds the block
            if (block := self.blocks.read(1, max_values)) is None:
                return None
            self.indices = column_indices(self.wanted, block.classes, block.shape[1], self.name, self.option)
            parts.append(select_columns(block, self.indices))
        rows = bounded_rows(rows, len(self.indices), max_values)
        while (have := sum(part.rows for part in parts)) < rows and \
                (block := self.blocks.read(rows - have, max_values)) is not None:
            parts.append(select_columns(block, self.indices))
        if not parts:
            return None
        block = parts[0] if len(parts) == 1 else _joined(parts)
        return block if self.keep_names else replace(block, classes=None)

    def exhausted(self) -> bool:
        return self.blocks.exhausted()

    def close(self) -> None:
        self.blocks.close()  # a shard's file is the engine's ExitStack's: its blocks leave it open


def _joined(parts: list[Operand]) -> Operand:
    """Consecutive blocks of selected columns as one (their text is in their cells, when kept)."""
    first = parts[0]
    return replace(first, values=np.concatenate([part.values for part in parts]),
                   lines=None if first.lines is None else np.concatenate([part.lines for part in parts]),
                   cells=None if any(part.cells is None for part in parts) else [row for part in parts for row in part.cells],
                   row_names=None if first.row_names is None else [name for part in parts for name in part.row_names],
                   warnings=[warning for part in parts for warning in part.warnings], source=None)


def _open(shard: Shard, stack: ExitStack):
    import fsspec

    try:
        return stack.enter_context(fsspec.open(shard.url, "rb"))
    except (OSError, ValueError) as error:
        raise DataError(shard.name, f"cannot read: {getattr(error, 'strerror', None) or error}") from None


def open_shard(shard: Shard, stack: ExitStack, plan: "Plan", role: str) -> Blocks:
    """The blocks of one shard, as :func:`divcli.readers.registry.open_blocks` gives those of one file."""
    wanted = plan.p_cols if role == "P" else plan.q_cols
    option = "--p-cols" if role == "P" else "--q-cols"
    if shard.operand is not None:
        blocks: Blocks = ArrayBlocks(shard.operand)
    else:  # by format, through the readers' registry
        pick = (lambda names, wanted=wanted: column_indices(wanted, names, len(names), shard.name, option)) if wanted else None
        source = ShardSource(shard.name, lambda: _open(shard, stack), shard.url if shard.is_local else None, pick)
        blocks, picked = open_shard_blocks(source, shard.extension, Request(delimiter=plan.delimiter))
        wanted = None if picked else wanted
    return Selected(blocks, wanted, option, role == "P" or plan.compare_names)


# --------------------------------------------------------------------------------------------
# the task


@dataclass(frozen=True)
class Plan:
    """What every task is sent besides its shards."""

    computation: Computation | None
    start: Start | None  # without its first blocks and operands (see divcli.engine.without_blocks)
    options: Options
    delimiter: str | None
    p_cols: tuple[str, ...] | None
    q_cols: tuple[str, ...] | None
    compare_names: bool
    keep_rows: bool


@dataclass
class ShardResult:
    """What one task returns: its partial (accumulator and rows read), its warnings (the first
    :data:`~divcli.core.MAX_WARNINGS`, and how many more), its per-row results when they are wanted,
    or the data error that stopped it."""

    partial: Partial | None = None
    warnings: list[str] = field(default_factory=list)
    hidden: int = 0
    reports: list[Report] | None = None
    error: tuple[str, str, str | None] | None = None

    def check(self) -> "ShardResult":
        if self.error is not None:
            raise DataError(*self.error)
        return self


class Keep:
    """A task's sink: each block's per-row results, without the N×C arrays nothing downstream reads."""

    def __init__(self, keep: bool):
        self.reports: list[Report] | None = [] if keep else None

    def rows(self, report: Report | MeasureReport) -> None:
        if self.reports is None:
            return
        if isinstance(report, Report) and report.rows > BREAKDOWN_ROWS:
            elements = report.reduction is Reduction.NONE and report.values is report.terms
            report = replace(report, p_probs=None, q_probs=None, p_log=None, q_log=None,
                             terms=report.terms if elements else None)
        self.reports.append(report)

    def finish(self, summary) -> None:
        pass


def whole(report: Report | MeasureReport, offset: int = 0) -> Report | MeasureReport:
    """A kept report as the writers take it: rows numbered in the whole input, ``terms`` in shape."""
    if isinstance(report, MeasureReport):
        return replace(report, first_row=report.first_row + offset)
    terms = report.terms
    if terms is None:
        terms = np.broadcast_to(np.float64(np.nan), (report.entropy_p.shape[0], len(report.context.classes)))
    return replace(report, terms=terms, first_row=report.first_row + offset)


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
    """One task: the engine's loop (:func:`divcli.engine.compute_blocks`) over one shard of P (and
    its shard of Q)."""
    keep, shown = Keep(plan.keep_rows), Warnings(lambda message: None)
    try:
        with ExitStack() as stack:
            operands = [open_shard(shard, stack, plan, role) for shard, role in ((p, "P"), (q, "Q")) if shard is not None]
            firsts, operands = read_firsts(operands, plan.start.kinds[0], plan.start.count)
            for first, kind in zip(firsts, plan.start.kinds):
                _check_shard(plan.start, first, kind)
            start = replace(plan.start, firsts=firsts, operands=operands)
            partial = compute_blocks(plan.computation, start, plan.options, keep, shown)
    except DataError as error:  # a value, not an exception: the client raises it, no worker logs a traceback
        return ShardResult(error=error.template)
    return ShardResult(partial, shown.messages, shown.hidden, keep.reports)


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

    from .output import registry

    reports = [whole(report, offset) for report in result.reports]
    kind = registry.Kind.MEASURE_PARTS if isinstance(reports[0], MeasureReport) else registry.Kind.PARTS
    cls = registry.sink_class(kind, part_format)
    with fsspec.open(url, "wb") if cls.binary else fsspec.open(url, "w", encoding="utf-8", newline="") as stream:
        sink = cls(stream)
        for report in reports:
            sink.rows(report)
        sink.finish(None)
    return url


# --------------------------------------------------------------------------------------------
# the client


def _probe(scheduler: str) -> None:
    """A tcp:// address that refuses connections is said to at once (the client would retry until its
    timeout, 10 s); any other answer, or another scheme, is left to the client."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(scheduler if "://" in scheduler else f"tcp://{scheduler}")
    if address.scheme != "tcp" or not address.hostname:
        return
    try:
        socket.create_connection((address.hostname, address.port or 8786), timeout=10).close()
    except ConnectionRefusedError:
        raise OSError("the connection was refused") from None
    except OSError:  # a timeout, an unknown host: the client says it its way
        pass


@contextmanager
def connect(scheduler: str | None, say: Callable[[str], None] | None):
    """A client of the scheduler at ``scheduler``, or of a LocalCluster sized to this machine."""
    import importlib.util

    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            _probe(scheduler)
            client = Client(scheduler, timeout="10s")
        else:
            cluster = LocalCluster(dashboard_address=":0")
            client = Client(cluster)
    except (OSError, ValueError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {error}; start one with "
                          f"'dask scheduler' and workers with 'dask worker ADDRESS'") from None
    try:
        if say is not None:
            workers = client.scheduler_info(n_workers=-1)["workers"] if scheduler else cluster.scheduler_info["workers"]
            threads = sum(worker.get("nthreads", 0) for worker in workers.values())
            served = "" if importlib.util.find_spec("bokeh") else " (install bokeh to serve it)"
            say(f"dask: scheduler {client.scheduler.address}, {len(workers)} workers, {threads} threads; "
                f"dashboard {client.dashboard_link}{served}")
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _source(spec: str, found: list[Shard]) -> str:
    return found[0].name if found[0].operand is not None else spec


def _cols(text: str | None) -> tuple[str, ...] | None:
    return None if not text else tuple(item.strip() for item in text.split(",") if item.strip())


def part_format(output: str, fmt: str) -> str:
    """Parts in the format asked for when it writes parts (``-f csv``), else Parquet, unless the
    folder is named ``*.csv``."""
    from .output import registry

    if registry.supports(fmt, registry.Kind.PARTS):
        return fmt
    return "csv" if output.rstrip("/\\").lower().endswith(".csv") else "parquet"


def _pairs(p_shards: list[Shard], q_shards: list[Shard] | None, broadcast: str | None, specs: list[str | None]):
    """The tasks' shards: shard i of P with shard i of Q, or the one shard of a broadcast operand with
    every shard of the other."""
    if q_shards is None:
        return [(p, None) for p in p_shards]
    if broadcast is not None:
        return [(p_shards[0], q) for q in q_shards] if broadcast == "P" else [(p, q_shards[0]) for p in p_shards]
    if len(p_shards) != len(q_shards):
        raise DataError("", f"P has {count_of(len(p_shards), 'shard', 'shards')} ({specs[0]}) but Q has "
                            f"{len(q_shards)} ({specs[1]})",
                        "shard i of P goes with shard i of Q (in natural order): give both as many, "
                        "or one of them a single row")
    return list(zip(p_shards, q_shards))


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
             q_cols: str | None, warn: Callable[[str], None], say: Callable[[str], None] | None):
    """``computation`` over sharded operands (P, and Q when given) on a Dask cluster; as
    :func:`divcli.engine.run`, but the per-row results go to ``output``'s parts when it is given,
    and ``sink`` is made only when something goes to standard output."""
    require()
    if options.p_kind is Kind.LABELS and len(specs) == 1:
        raise click.UsageError("--engine dask does not compute the entropy of labels (it is 0 for every "
                               "one-hot row); leave --engine local")
    found = [shards(spec) for spec in specs]
    p_wanted, q_wanted = _cols(p_cols), _cols(q_cols)
    plan = Plan(computation, None, options, delimiter, p_wanted, q_wanted, p_wanted is None and q_wanted is None, False)
    start = _client_start(computation, found, specs, plan)
    pairs = _pairs(found[0], found[1] if len(found) > 1 else None, start.context.broadcast, specs)
    keep_rows = output is not None or fmt != "quiet" or start.context.reduction.per_row
    parts = None if output is None else _parts_folder(output)
    plan = replace(plan, start=start, keep_rows=keep_rows)
    partial, shown = Partial(computation.accumulator(start)), Warnings(warn)
    with connect(scheduler, say) as client:
        if say is not None:
            say(f"dask: {len(pairs)} tasks, one per shard{' pair' if len(found) > 1 else ''}")
        futures = [client.submit(run_shard, plan, p, q, pure=False) for p, q in pairs]
        try:
            if output is None:
                out = sink()
                _in_order(futures, partial, start.single, shown, lambda result, offset: [
                    out.rows(whole(report, offset)) for report in result.reports or []])
            else:
                out = None if fmt == "csv" else sink()
                _write_parts(client, futures, parts, output, part_format(output, fmt), out, partial, start.single,
                             shown, say, str(start.context.command))
        finally:
            client.cancel(futures)
    summary = summarise(computation, start, partial, shown)
    if out is not None:
        out.finish(summary)
    return summary


def _in_order(futures, partial: Partial, single: list[bool], shown: Warnings,
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


def _parts_folder(output: str):
    """``-o DIR``: its filesystem and path, checked before anything is computed: new or empty."""
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(output)
    if fs.exists(root) and (not fs.isdir(root) or fs.ls(root, detail=False)):
        raise click.BadParameter(f"{output} is not an empty folder; give a new or empty folder for the parts",
                                 param_hint="'-o'")
    return fs, root


def _write_parts(client, futures, parts, output: str, part_format: str, out: Sink | None,
                 partial: Partial, single: list[bool], shown: Warnings, say, command: str) -> list[ShardResult]:
    """Every shard's rows to ``output/part-NNNNN.<format>``, written by the workers once every shard
    is known to be right (no partial output on a data error); the table gets the first and last rows."""
    results = _in_order([client.submit(without_rows, future) for future in futures], partial, single, shown,
                        lambda result, offset: None)
    offsets = np.concatenate(([0], np.cumsum([result.partial.totals.rows for result in results])))
    fs, root = parts
    try:
        fs.makedirs(root, exist_ok=True)
    except OSError as error:
        raise click.BadParameter(f"cannot make {output}: {error.strerror or error}", param_hint="'-o'") from None
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
    from .output.measure_tables import ROW_COLUMNS, MeasureTableSink
    from .output.quiet import MeasureQuietSink, QuietSink
    from .output.tables import TableSink

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
