"""The sink registry (divcli.output.registry): a format added at run time with one registration
line is a choice of ``-f`` and writes kl's and compare's rows through the CLI (and Dask's parts);
a kind of report it does not write is a usage error (exit 2)."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from divcli.cli import cli
from divcli.output import registry
from divcli.output.records import csv_texts
from divcli.output.registry import Content, Sink

P = "0.36,0.48,0.16;0.5,0.25,0.25;0.2,0.2,0.6"
Q = "0.3,0.4,0.3;0.25,0.5,0.25;0.1,0.3,0.6"


class LinesSink(Sink):
    """A throwaway format: one line per row, its fields as ``name=value``, space-separated."""

    takes = frozenset({"rows", "measures"})

    def rows(self, report) -> None:
        columns = report.columns()
        for cells in zip(*map(csv_texts, columns)):
            self.out.write(" ".join(f"{column.name}={cell}" for column, cell in zip(columns, cells)) + "\n")


@pytest.fixture
def lines():
    registry.register("lines", {Content.ROWS: LinesSink, Content.MEASURES: LinesSink, Content.PARTS: LinesSink})
    yield
    registry.unregister("lines")  # the registry as it was, after the test


def run(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def parsed(text: str) -> list[dict]:
    return [dict(cell.split("=", 1) for cell in line.split(" ")) for line in text.splitlines()]


@pytest.mark.parametrize("command, key", [("kl", "kl_divergence"), ("compare", "kl_pq")])
def test_a_registered_format_writes_rows_as_csv_does(lines, command, key):
    result = run(command, P, Q, "-f", "lines")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    rows = parsed(result.stdout)
    expected = list(csv.DictReader(io.StringIO(run(command, P, Q, "-f", "csv").stdout)))
    assert [row["row"] for row in rows] == ["1", "2", "3"]
    assert [row[key] for row in rows] == [row[key] for row in expected]
    assert rows == expected


def test_a_registered_format_is_a_choice_of_f(lines):
    result = run("kl", P, Q, "-f", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'table', 'csv', 'json', 'lines'" in result.stderr


def test_a_kind_the_format_does_not_write_is_a_usage_error(lines):
    result = run("explain", P, Q, "-f", "lines")
    assert result.exit_code == 2
    assert "-f lines does not write the output of explain" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args, named", [(("kl", P, Q, "--top", "1"), "--top"), (("measures",), "measures")])
def test_the_usage_error_names_the_option_or_command_not_the_kind(lines, args, named):
    result = run(*args, "-f", "lines")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"-f lines does not write the output of {named}\n" in result.stderr


def test_without_registration_there_is_no_such_format():
    result = run("kl", P, Q, "-f", "lines")
    assert result.exit_code == 2
    assert "'lines' is not one of 'table', 'csv', 'json'." in result.stderr


def test_every_builtin_format_writes_every_streaming_kind():
    for name in ("table", "csv", "json", "quiet"):
        for kind in (Content.ROWS, Content.MEASURES, Content.TOP, Content.MATRIX, Content.LIBRARIES, Content.EXPLAIN, Content.DISTILL):
            assert registry.sink_class(kind, name) is not None
    assert [name for name in registry.choices() if name in ("table", "csv", "json")] == ["table", "csv", "json"]
    assert registry.sink_class(Content.PARTS, "parquet").binary


@pytest.mark.dask
def test_a_registered_format_writes_the_dask_parts(lines, tmp_path, dask_cluster):
    """Workers in this process (threads), so they see the format registered here."""
    for role, text in (("p", P), ("q", Q)):
        (tmp_path / role).mkdir()
        rows = text.split(";")
        (tmp_path / role / "part-0.csv").write_text("\n".join(rows[:2]) + "\n")
        (tmp_path / role / "part-1.csv").write_text(rows[2] + "\n")
    with dask_cluster(processes=False) as cluster:
        result = run("kl", tmp_path / "p", tmp_path / "q", "--engine", "dask", "--scheduler", cluster.scheduler_address,
                     "-f", "lines", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    parts = sorted((tmp_path / "out").iterdir())
    assert [part.name for part in parts] == ["part-00000.lines", "part-00001.lines"]
    rows = parsed("".join(part.read_text() for part in parts))
    expected = list(csv.DictReader(io.StringIO(run("kl", P, Q, "-f", "csv").stdout)))
    assert [row["row"] for row in rows] == ["1", "2", "3"]
    assert [row["kl_divergence"] for row in rows] == [row["kl_divergence"] for row in expected]
