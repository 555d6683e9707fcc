"""The experiment of extending divcli, done again by a test: a toy measure, a toy input format and a
toy output format, each defined in this one file and added with one registry line, keep every
contract of tests/helpers/contracts.py, appear in ``divcli formats``, the help and shell completion, and break
none of the lists of built-ins. They are registered for one test at a time (the ``toys`` fixture) and
taken out after, so no other test sees them (under xdist too).

The examples of docs/extending.md are run here as well: a page that shows how to extend divcli must
show code that works."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from divcli.measures import catalogue
from divcli.measures.catalogue import Measure, named
from divcli.output import registry as outputs
from divcli.output.records import csv_texts
from divcli.readers import registry as readers
from divcli.readers.registry import Format
from divcli.readers.text import read_delimited
from helpers import contracts
from helpers.contracts import check_measure, check_measure_names, check_reader, check_reader_command, \
    check_reader_errors, check_sink, invoke, written_kinds
from helpers.doc_examples import ROOT


# --------------------------------------------------------------------------------------------
# the toys


def l1_distance(pair) -> np.ndarray:
    """The toy measure: Σ |p − q| per row (twice the total variation)."""
    return np.abs(pair.p - pair.q).sum(axis=1)


TOY_MEASURE = Measure("l1_toy", "L1 distance (a toy)", "Σ |p − q|", "[0, 2]", "twice the total variation",
                      l1_distance, log_power=0, symmetric=True)


def read_percentages(text: str, name: str, request) -> object:
    """The toy input format: semicolon-separated percentages. It leaves --select to the registry."""
    operand = read_delimited(text, name, ";")
    operand.values = operand.values / 100
    return operand


TOY_FORMAT = Format("percentages", (".pct",), parse=read_percentages)


class LinesSink(outputs.Sink):
    """The toy output format: one line per row, ``name=value`` fields separated by spaces."""

    def rows(self, report) -> None:
        columns = report.columns()
        for cells in zip(*map(csv_texts, columns)):
            self.out.write(" ".join(f"{column.name}={cell}" for column, cell in zip(columns, cells)) + "\n")


def write_percentages(path) -> str:
    """How the contract writes the toy format's sample (:data:`contracts.SAMPLES`)."""
    lines = [";".join(contracts.HEADER)] + [";".join(repr(value * 100) for value in row) for row in contracts.ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def toys(monkeypatch):
    catalogue.register(TOY_MEASURE, "l1t")
    readers.register(TOY_FORMAT)
    outputs.register("lines", {outputs.Content.ROWS: LinesSink, outputs.Content.MEASURES: LinesSink,
                               outputs.Content.PARTS: LinesSink})
    monkeypatch.setitem(contracts.SAMPLES, TOY_FORMAT.name, write_percentages)
    yield
    catalogue.unregister(TOY_MEASURE.key)
    readers.unregister(TOY_FORMAT.name)
    outputs.unregister("lines")
    assert "l1_toy" not in catalogue.keys() and readers.format_of(".pct") is None and "lines" not in outputs.choices()


# --------------------------------------------------------------------------------------------
# the contracts


def test_the_toy_input_format_keeps_the_readers_contract(toys, tmp_path):
    check_reader(TOY_FORMAT, tmp_path)
    check_reader_command(TOY_FORMAT, tmp_path)
    check_reader_errors(TOY_FORMAT, tmp_path)


def test_the_toy_measure_keeps_the_measures_contract(toys):
    check_measure(named("l1_toy"))
    check_measure_names("l1_toy")
    assert named("l1t") is TOY_MEASURE


def test_the_toy_output_format_keeps_the_sinks_contract(toys):
    kinds = written_kinds("lines")
    assert [kind.value for kind in kinds] == ["rows", "measures", "parts"]
    for kind in kinds:
        check_sink("lines", kind)


def test_the_lists_of_built_ins_still_hold(toys):
    from test_contracts import test_the_built_in_formats_and_measures_are_registered_in_order

    test_the_built_in_formats_and_measures_are_registered_in_order()
    assert readers.extensions()[-1] == ".pct" and catalogue.keys()[-1] == "l1_toy" and outputs.choices()[-1] == "lines"


def test_the_toys_work_together(toys, tmp_path):
    """compare of two .pct files, written by the toy output format, with the toy measure last."""
    p, q = write_percentages(tmp_path / "p.pct"), write_percentages(tmp_path / "q.pct")
    result = invoke("compare", p, q, "--select", "c,a", "--normalize", "-f", "lines")
    assert result.exit_code == 0, result.stderr
    rows = [dict(cell.split("=", 1) for cell in line.split(" ")) for line in result.stdout.splitlines()]
    assert [row["row"] for row in rows] == ["1", "2", "3"] and list(rows[0])[-1] == "l1_toy"
    assert [float(row["l1_toy"]) for row in rows] == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------------------------
# nothing generated is stale


def test_formats_lists_the_toys(toys):
    document = json.loads(invoke("formats", "-f", "json").stdout)
    toy = document["inputs"][-1]
    assert toy == {"format": "percentages", "extensions": [".pct"], "members": False, "stream": False,
                   "picks_columns": False, "dask_shards": [".pct"]}
    kl = next(row for row in document["outputs"] if row["command"] == "kl")
    explain = next(row for row in document["outputs"] if row["command"] == "explain")
    assert kl["formats"][-1] == "lines" and "lines" in kl["dask_parts"] and "lines" not in explain["formats"]
    assert document["measures"][-1] == {"key": "l1_toy", "aliases": ["l1t"], "name": "L1 distance (a toy)"}
    table = invoke("formats").stdout
    assert re.search(r"percentages +│ \.pct +│ whole +│ after reading +│ shards", table), table
    assert re.search(r"l1_toy +│ l1t +│ L1 distance \(a toy\)", table), table


def test_the_help_and_completion_list_the_toys(toys):
    from divcli.cli.completion import complete_measure

    assert re.search(r"\(\.csv .*\.pq \.pct\)", " ".join(invoke("--help").stdout.split()))
    for command in ("kl", "compare", "measures", "formats"):
        option = next(line for line in invoke(command, "--help").stdout.splitlines() if "--format" in line)
        assert "csv, json or lines for programs" in option, option
    assert {item.value for item in complete_measure("l1")} == {"l1_toy", "l1t"}
    refused = invoke("matrix", "0.5,0.5", "-m", "nothing")
    assert refused.exit_code == 2 and "l1_toy" in refused.stderr and "l1t" in refused.stderr


def test_dask_takes_the_toy_format_as_shards(toys, tmp_path):
    from helpers.extras import needs

    needs("fsspec")
    from divcli import dask_engine
    from divcli.errors import DataError

    (tmp_path / "part-0.pct").write_text("50;50\n")
    assert [shard.extension for shard in dask_engine.shards(str(tmp_path))] == [".pct"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "part-0.xyz").write_text("1\n")
    with pytest.raises(DataError, match=r"shards are .*\.parquet or \.pct files"):
        dask_engine.shards(str(tmp_path / "other"))


def test_without_the_toys_nothing_lists_them():
    assert "percentages" not in invoke("formats").stdout and ".pct" not in invoke("--help").stdout
    assert "lines" not in invoke("kl", "--help").stdout and "l1_toy" not in invoke("measures").stdout


# --------------------------------------------------------------------------------------------
# docs/extending.md

PYTHON = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_the_examples_of_the_extending_page_work(tmp_path):
    blocks = PYTHON.findall((ROOT / "docs" / "extending.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    try:
        for block in blocks:
            exec(compile(block, "docs/extending.md", "exec"), {"__name__": "docs_extending"})
        (tmp_path / "p.pct").write_text("a;b\n20;80\n50;50\n")
        result = invoke("compare", tmp_path / "p.pct", "uniform", "-f", "lines")
        assert result.exit_code == 0, result.stderr
        values = [dict(cell.split("=", 1) for cell in line.split(" ")) for line in result.stdout.splitlines()]
        assert [float(row["l1"]) for row in values] == pytest.approx([0.6, 0.0])
    finally:
        catalogue.unregister("l1")
        readers.unregister("percentages")
        outputs.unregister("lines")
