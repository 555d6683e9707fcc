"""The format registry (issue 14): a format added at run time with one register() line is read by a
command, the Python API and the Dask engine's shard reading alike, as the built-in formats are.

The throwaway format, ``.pct``, is semicolon-separated percentages: no sniffing would read it right
(its rows sum to 100), so a right answer shows that the registered reader read it."""

from __future__ import annotations

from contextlib import ExitStack
from types import SimpleNamespace

import pytest

import divcli
from helpers.extras import needs
from divcli.readers import registry
from divcli.readers.registry import Format, register, unregister
from divcli.readers.text import read_delimited

P = [[0.25, 0.25, 0.5], [0.125, 0.125, 0.75]]
Q = [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]]


def read_percentages(text, name, request):
    """Semicolon-separated percentages: the careful reader's rows (and messages), divided by 100. It
    leaves --select, --drop and --names to the registry (the format does not say it picks them)."""
    operand = read_delimited(text, name, ";")
    operand.values = operand.values / 100
    return operand


@pytest.fixture
def pct():
    """``.pct`` registered for one test (taken out after)."""
    register(Format("percentages", (".pct",), parse=read_percentages))
    yield
    unregister("percentages")


def _write(path, rows, header=None, delimiter=";", scale=100):
    lines = [delimiter.join(header)] if header else []
    path.write_text("\n".join(lines + [delimiter.join(repr(x * scale) for x in row) for row in rows]) + "\n")
    return path


def test_a_registered_format_is_read_by_a_command(pct, run_json, tmp_path):
    p = _write(tmp_path / "p.pct", P, ["a", "b", "c"])
    q = _write(tmp_path / "q.pct", Q)
    csv = run_json("kl", _write(tmp_path / "p.csv", P, ["a", "b", "c"], ",", 1),
                   _write(tmp_path / "q.csv", Q, None, ",", 1), "--reduction", "none")
    pct = run_json("kl", p, q, "--reduction", "none")
    assert [row["kl_divergence"] for row in pct["rows"]] == [row["kl_divergence"] for row in csv["rows"]]
    assert pct["classes"] == ["a", "b", "c"] and pct["p"]["source"] == str(p)


def test_a_registered_format_reports_errors_with_file_line_and_column(pct, run, tmp_path):
    p = tmp_path / "p.pct"
    p.write_text("0.2;0.8\n0.5;abc\n")
    result = run("kl", p, "0.5,0.5")
    assert result.exit_code == 1
    assert f"{p}:2:2" in result.stderr and "not a number: 'abc'" in result.stderr


def test_an_unregistered_extension_is_sniffed_as_before(run, tmp_path):
    """Without the registration, .pct is a file of no known format: sniffed, it is semicolon text
    whose rows sum to 100, not probabilities."""
    p = _write(tmp_path / "p.pct", P)
    assert registry.format_of(registry.extension_of(str(p))) is None
    result = run("kl", p, _write(tmp_path / "q.pct", Q), "-q")
    assert result.exit_code == 1 and "sum" in result.stderr


def test_a_registered_format_is_read_by_the_python_api(pct, tmp_path):
    p, q = _write(tmp_path / "p.pct", P), _write(tmp_path / "q.pct", Q)
    assert divcli.kl_divergence(p, str(q), reduction="none").tolist() == \
        divcli.kl_divergence(P, Q, reduction="none").tolist()
    bad = tmp_path / "bad.pct"
    bad.write_text("50;x\n")
    with pytest.raises(divcli.DataError, match="not a number: 'x'"):
        divcli.kl_divergence(bad, Q[0])


def test_a_registered_format_is_a_dask_shard(pct, tmp_path):
    needs("fsspec")
    from divcli import dask_engine

    folder = tmp_path / "p"
    folder.mkdir()
    for index, rows in enumerate((P[:1], P[1:])):
        _write(folder / f"part-{index}.pct", rows, ["a", "b", "c"])
    shards = dask_engine.shards(str(folder))
    assert [shard.extension for shard in shards] == [".pct", ".pct"]
    plan = SimpleNamespace(p_cols=("c", "a"), q_cols=None, delimiter=None, compare_names=True,
                           own=(frozenset(), frozenset()))  # --select, no option of its own
    with ExitStack() as stack:
        blocks = dask_engine.open_shard(shards[1], stack, plan, "P")
        block = blocks.read(10)
    assert block.values.tolist() == [[0.75, 0.125]] and block.classes == ["c", "a"]


BUILT_IN = [".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".npy", ".npz", ".parquet", ".pq"]


def test_every_built_in_extension_is_in_the_one_table_in_order():
    """Presence and order of the built-in extensions: a format registered beside them changes nothing."""
    assert [extension for extension in registry.extensions() if extension in BUILT_IN] == BUILT_IN
    assert [extension for extension in registry.shard_extensions() if extension in BUILT_IN] == \
        [".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".npy", ".parquet"]


def test_a_registered_format_that_leaves_the_columns_to_the_registry_honours_select(pct, run_json, tmp_path):
    p = _write(tmp_path / "p.pct", P, ["a", "b", "c"])
    document = run_json("kl", p, "uniform", "--select", "c,a", "--normalize", "--reduction", "none")
    assert document["classes"] == ["c", "a"]
    expected = run_json("kl", "0.5,0.25;0.75,0.125", "uniform", "--normalize", "--reduction", "none")
    assert [row["kl_divergence"] for row in document["rows"]] == \
        pytest.approx([row["kl_divergence"] for row in expected["rows"]], rel=1e-12)
