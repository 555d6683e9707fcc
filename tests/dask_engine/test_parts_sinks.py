"""``--engine dask -o DIR`` asks the sinks, never guesses by their type: the parts sink of a format
must say it takes the family of the blocks (else a clear error, before a part is written), and the
sink of standard output says which rows it shows beside the parts (a sink that does not say is
refused, where it once was fed as JSON is). No cluster: these are the client's and the worker's
functions called as they are."""

from __future__ import annotations

import numpy as np
import pytest

from divcli.computations.runs import run_divergence, run_measure_set
from divcli.dask_engine.parts import parts_sink, rows_between, shown_rows, write_part
from divcli.dask_engine.task import ShardResult
from divcli.engine.collect import Collect
from divcli.errors import EngineUsage
from divcli.measures.catalogue import catalogue
from divcli.output import registry
from divcli.output.registry import Content, Sink
from divcli.readers.blocks import ArrayBlocks
from divcli.readers.operand import Operand
from divcli.vocabulary import Command, Options, Reduction
from helpers.extras import needs

ROWS = 30


def _operands():
    rng = np.random.default_rng(7)
    p, q = rng.random((ROWS, 4)) + 0.01, rng.random((ROWS, 4)) + 0.01
    return p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)


def _blocks(options: Options, measures: bool, sink) -> None:
    p, q = _operands()
    blocks = [ArrayBlocks(Operand(p, "p")), ArrayBlocks(Operand(q, "q"))]
    if measures:
        run_measure_set("compare", blocks, options, sink, measures=catalogue())
    else:
        run_divergence(Command.KL, blocks[0], blocks[1], options, sink)


def shard(measures: bool, reduction: Reduction = Reduction.ROW) -> ShardResult:
    """A shard's result as a task sends it back: its blocks kept, as a task keeps them (``kept()``)."""
    keep = Collect(trim=lambda report: report.kept())
    _blocks(Options(reduction=reduction), measures, keep)
    return ShardResult(reports=keep.reports)


class RowsOnly(Sink):
    """A parts sink that takes kl's blocks only, registered for js's and compare's parts too."""

    takes = frozenset({"rows"})
    made = 0

    def __init__(self, out, console=None):
        super().__init__(out, console)
        RowsOnly.made += 1

    def rows(self, report) -> None:
        self.out.write(f"{report.rows}\n")


@pytest.fixture
def toy():
    registry.register("toy", {Content.PARTS: RowsOnly, Content.MEASURE_PARTS: RowsOnly}, option=False)
    RowsOnly.made = 0
    yield
    registry.unregister("toy")  # the registry as it was, after the test


def test_a_parts_sink_that_does_not_take_the_family_is_refused_before_anything_is_written(toy, tmp_path):
    needs("fsspec")
    url = str(tmp_path / "part-00000.toy")
    with pytest.raises(EngineUsage, match="RowsOnly, does not take measures records"):
        write_part(shard(measures=True), 0, url, "toy")
    assert RowsOnly.made == 0 and not (tmp_path / "part-00000.toy").exists()
    with pytest.raises(EngineUsage, match="does not take measures records"):
        parts_sink("measures", "toy")  # the client's check, before the workers write


def test_a_parts_sink_writes_the_family_it_takes(toy, tmp_path):
    needs("fsspec")
    url = str(tmp_path / "part-00000.toy")
    assert write_part(shard(measures=False), 0, url, "toy") == url
    assert sum(map(int, (tmp_path / "part-00000.toy").read_text().split())) == ROWS
    assert parts_sink("rows", "toy") is RowsOnly


def test_a_format_without_parts_is_a_usage_error():
    with pytest.raises(EngineUsage, match="-f json does not write the output of --engine dask -o DIR"):
        parts_sink("rows", "json")
    with pytest.raises(EngineUsage, match="no part files of rankings records"):
        parts_sink("rankings", "csv")


@pytest.mark.parametrize("name", ["csv", "parquet"])
def test_the_builtin_parts_sinks_take_both_families(name):
    for family in ("rows", "measures"):
        assert family in parts_sink(family, name).takes


class Silent(Sink):
    """A sink for standard output that says nothing of what it shows beside parts."""

    takes = frozenset({"rows", "measures"})


def test_a_sink_that_does_not_say_what_it_shows_beside_the_parts_is_refused():
    """It was fed one block of no rows, as JSON is, and wrote whatever that gave."""
    with pytest.raises(EngineUsage, match=r"\(Silent\) does not say which rows it shows beside the parts"):
        shown_rows(Silent(None), np.array([0, 15, 30]), "kl")


def test_the_rows_shown_beside_the_parts_are_those_the_sink_keeps():
    from divcli.output.json import JsonSink
    from divcli.output.measure_tables import MeasureTableSink
    from divcli.output.quiet import QuietSink
    from divcli.output.tables import TableSink

    offsets = np.array([0, 15, 30, 45])
    # the first 10 and the last 10 (rows 35–44: the third shard's 5–14)
    assert shown_rows(TableSink(None, None), offsets, "kl") == [(0, 0, 10), (2, 5, 15)]
    assert shown_rows(TableSink(None, None), np.array([0, 12, 20]), "kl") == [(0, 0, 12), (1, 0, 8)]
    assert shown_rows(MeasureTableSink(None, None), offsets, "compare") == [(0, 0, 4)]
    assert shown_rows(MeasureTableSink(None, None), offsets, "js") == [(0, 0, 15), (1, 0, 5), (2, 5, 15)]
    assert shown_rows(QuietSink(None), offsets, "kl") == []
    assert shown_rows(JsonSink(None), offsets, "kl") == []  # its head comes from the summary


@pytest.mark.parametrize("measures, reduction",
                         [(False, Reduction.NONE), (False, Reduction.ROW), (True, Reduction.ROW)],
                         ids=["kl-terms", "kl", "compare"])
def test_rows_between_gives_the_rows_of_the_whole_input(measures, reduction):
    """Kept blocks (kl's without their N×C arrays, and without its terms unless they are reported),
    renumbered and cut: the rows as the local engine gives them, numbered in the whole input."""
    local = Collect()
    _blocks(Options(reduction=reduction), measures, local)
    result = shard(measures, reduction)
    if not measures:
        assert result.reports[0].p_probs is None and (result.reports[0].terms is None) == (reduction is Reduction.ROW)
    found = rows_between(result, 100, 3, 9)
    assert [(report.first_row, report.rows) for report in found] == [(103, 6)]
    got, want = found[0].columns(), local.reports[0].sliced(3, 9).columns()
    assert [column.name for column in got] == [column.name for column in want]
    assert list(got[0].values) == list(range(104, 110))
    for mine, theirs in zip(got[1:], want[1:]):
        np.testing.assert_array_equal(mine.values, theirs.values)
    assert rows_between(result, 0, 5, 5) == []
