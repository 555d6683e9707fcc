"""Records give the sinks what they need by methods, the same for every family (divcli.fields), and
sinks say which families they take: no sink tells a kl block from a js block by its type."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner

from divcli.cli import cli
from divcli.fields import Rows, RunSummary
from divcli.output import registry
from divcli.output.records import column_names, records
from divcli.output.registry import Content, Sink
from helpers.extras import needs

P = "0.36,0.48,0.16;0.5,0.25,0.25;0.2,0.2,0.6"
Q = "0.3,0.4,0.3;0.25,0.5,0.25;0.1,0.3,0.6"
LOGITS = "1,2,3;0.5,0.1,0.3;2,2,1"
NAMED_P = ",cat,dog,eel\nimg1,0.7,0.2,0.1\nimg2,0.1,0.8,0.1\nimg3,0.3,0.3,0.4\n"
NAMED_Q = ",cat,dog,eel\nimg1,0.6,0.3,0.1\nimg2,0.2,0.7,0.1\nimg3,0.2,0.4,0.4\n"

#: Every family and the fields that set its columns apart: named rows and kl's terms, labels and
#: ignored rows, entropy's few columns, js's two measures, compare's many.
CASES = {
    "kl-named-none": ["kl", "{p}", "{q}", "--reduction", "none"],
    "kl-row": ["kl", P, Q, "--reduction", "row"],
    "ce-labels-ignored": ["ce", "0;2;1", LOGITS, "--p-as", "labels", "--q-as", "logits", "--ignore-index", "2"],
    "entropy": ["entropy", P],
    "js": ["js", P, Q],
    "compare-named": ["compare", "{p}", "{q}"],
}


class Keep(Sink):
    """A throwaway format that keeps what it is given."""

    takes = frozenset({"rows", "measures"})
    reports: list = []
    summaries: list = []

    def rows(self, report) -> None:
        Keep.reports.append(report)

    def finish(self, summary) -> None:
        Keep.summaries.append(summary)


def _run(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture
def captured(tmp_path):
    """``captured(case)`` → (the blocks, the summary, the CSV text) of a case of :data:`CASES`."""
    registry.register("keep", {Content.ROWS: Keep, Content.MEASURES: Keep})
    (tmp_path / "p.csv").write_text(NAMED_P)
    (tmp_path / "q.csv").write_text(NAMED_Q)

    def capture(case: str):
        args = [arg.format(p=tmp_path / "p.csv", q=tmp_path / "q.csv") for arg in CASES[case]]
        Keep.reports, Keep.summaries = [], []
        result = _run(*args, "-f", "keep")
        assert result.exit_code == 0, result.output
        as_csv = _run(*args, "-f", "csv")
        assert as_csv.exit_code == 0, as_csv.output
        return Keep.reports, Keep.summaries[0], as_csv.stdout

    yield capture
    registry.unregister("keep")  # the registry as it was, after the test


def _members(protocol) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_")} | set(protocol.__annotations__)


def test_the_shapes_name_what_the_sinks_use():
    assert {"columns", "ranked_by", "ranked_values", "head", "kept", "renumbered", "sliced", "family",
            "rows"} <= _members(Rows)
    assert {"value", "unit", "reduction", "rows", "warnings", "reductions", "roles", "deviations",
            "family"} <= _members(RunSummary)


@pytest.mark.parametrize("case", CASES)
def test_every_family_gives_one_shape(captured, case):
    reports, summary, _ = captured(case)
    family = reports[0].family
    assert family in ("rows", "measures") and summary.family == family
    for report in reports:
        missing = [name for name in _members(Rows) if not hasattr(report, name)]
        assert missing == [], f"{type(report).__name__} lacks {missing}"
    missing = [name for name in _members(RunSummary) if not hasattr(summary, name)]
    assert missing == [], f"{type(summary).__name__} lacks {missing}"
    assert summary.unit == "nats" and summary.base.unit == "nats"
    assert summary.reduction is reports[0].context.reduction
    assert summary.rows == sum(report.rows for report in reports) == 3


@pytest.mark.parametrize("case", CASES)
def test_the_columns_are_the_csv_header_and_the_records_keys(captured, case):
    reports, _, text = captured(case)
    rows = list(csv.reader(io.StringIO(text)))
    columns = reports[0].columns()
    assert column_names(columns) == rows[0]
    assert len(rows) - 1 == sum(report.rows for report in reports)
    assert list(records(reports[0])[0]) == [column.name for column in columns]
    if case == "kl-named-none":
        assert rows[0][-3:] == ["term:cat", "term:dog", "term:eel"]
        assert records(reports[0])[0]["terms"] == {"cat": pytest.approx(0.7 * math.log(0.7 / 0.6)),
                                                  "dog": pytest.approx(0.2 * math.log(0.2 / 0.3)), "eel": 0.0}
    if case == "ce-labels-ignored":
        assert rows[0][:3] == ["row", "label", "ignored"]


@pytest.mark.parametrize("case", CASES)
def test_the_parquet_parts_have_the_csv_columns(captured, case):
    needs("pyarrow")
    from divcli.output.parquet import table

    reports, _, text = captured(case)
    assert table(reports).column_names == next(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("case, key, title", [("kl-row", "kl_divergence", "D(P‖Q)"),
                                              ("ce-labels-ignored", "cross_entropy", "H(P,Q)"),
                                              ("entropy", "entropy_p", "H(P)"),
                                              ("js", "js_divergence", "Jensen–Shannon divergence"),
                                              ("compare-named", "kl_pq", "KL divergence D(P‖Q)")])
def test_each_block_says_what_top_ranks(captured, case, key, title):
    reports, _, text = captured(case)
    report = reports[0]
    assert report.ranked_by() == (key, title)
    values = report.ranked_values()
    rows = list(csv.DictReader(io.StringIO(text)))
    # an ignored row (ce's loss 0 there) is never ranked: its value is nan
    assert [None if math.isnan(value) else value for value in values.tolist()] == \
        [None if row.get("ignored") == "true" else pytest.approx(float(row[key])) for row in rows]
    assert any(math.isnan(value) for value in values) == (case == "ce-labels-ignored")


def test_the_head_is_the_json_documents(captured):
    for case in CASES:
        reports, _, _ = captured(case)
        args = CASES[case]
        if "{p}" in args:
            continue  # the file names differ from run to run; the other cases say the same
        document = json.loads(_run(*args, "-f", "json").stdout)
        head = reports[0].head()
        assert {key: document[key] for key in head} == json.loads(json.dumps(head))
        assert list(document)[:len(head)] == list(head)


def _sink_classes(name: str) -> dict:
    return {kind: registry.sink_class(kind, name) for kind in registry.sinks_of(name)}


@pytest.mark.parametrize("name", ["table", "csv", "json", "quiet", "parquet"])
def test_every_builtin_sink_says_which_families_it_takes(name):
    """A sink of kl's blocks takes the ``rows`` family, of js's and compare's ``measures``, a parts
    sink the family of its parts; the whole-document sinks take no blocks at all."""
    wanted = {Content.ROWS: "rows", Content.PARTS: "rows", Content.MEASURES: "measures",
              Content.MEASURE_PARTS: "measures"}
    for kind, cls in _sink_classes(name).items():
        if kind in wanted:
            assert wanted[kind] in cls.takes, (name, kind, cls)
        else:
            assert cls.takes == frozenset(), (name, kind, cls)


@pytest.mark.parametrize("name", ["table", "json", "quiet"])
def test_every_sink_beside_dask_parts_says_what_it_shows(name):
    """The formats standard output shows beside ``-o DIR``'s parts say which rows they keep; a sink
    that says nothing (the base class) is None, which the Dask engine refuses."""
    for kind in (Content.ROWS, Content.MEASURES):
        cls = registry.sink_class(kind, name)
        sink = cls(io.StringIO(), None)
        for total in (0, 3, 25, 1000):
            for command in ("kl", "js", "compare"):
                shown = sink.rows_beside_parts(total, command)
                assert shown is not None
                assert all(0 <= start <= stop <= total for start, stop in shown)
    assert Sink(io.StringIO()).rows_beside_parts(10, "kl") is None
