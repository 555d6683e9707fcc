"""--reduction row and --top N (issue 15, items 1): one value per row, streamed; the N largest rows."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from helpers.files import write_rows
from divcli.readers import sizes


def close(a, b, rel=1e-12):
    return all(math.isclose(float(x), float(y), rel_tol=rel, abs_tol=1e-300) for x, y in zip(a, b, strict=True))


def _probs(seed, rows=600, classes=4):
    x = np.random.default_rng(seed).random((rows, classes)) + 0.05
    return x / x.sum(axis=1, keepdims=True)


@pytest.fixture
def files(tmp_path):
    p, q = _probs(1), _probs(2)
    return p, q, write_rows(tmp_path / "p.csv", p.tolist()), write_rows(tmp_path / "q.csv", q.tolist())


def _expected(command, p, q):
    with np.errstate(divide="ignore"):
        if command == "kl":
            return np.sum(p * np.log(p / q), axis=1)
        if command == "ce":
            return -np.sum(p * np.log(q), axis=1)
        return -np.sum(p * np.log(p), axis=1)


@pytest.mark.parametrize("command", ["kl", "ce", "entropy"])
def test_row_in_every_format(run, files, command):
    p, q, p_path, q_path = files
    operands = (p_path,) if command == "entropy" else (p_path, q_path)
    expected = _expected(command, p, q)
    quiet = run(command, *operands, "--reduction", "row", "-q")
    assert quiet.exit_code == 0, quiet.stderr
    assert close(quiet.stdout.split(), expected)
    document = json.loads(run(command, *operands, "--reduction", "row", "-f", "json").stdout)
    assert document["reduction"] == "row"
    assert close(document["value"], expected)
    assert [row["row"] for row in document["rows"]] == list(range(1, 601))
    column = {"kl": "kl_divergence", "ce": "cross_entropy", "entropy": "entropy_p"}[command]
    records = list(csv.DictReader(io.StringIO(run(command, *operands, "--reduction", "row", "-f", "csv").stdout)))
    assert close([r[column] for r in records], expected)
    assert [int(r["row"]) for r in records] == list(range(1, 601))
    assert not any(name.startswith("term:") for name in records[0])


def test_kl_none_keeps_the_element_terms(run):
    none = run("kl", "0.2,0.8;0.5,0.5", "0.5,0.5", "--reduction", "none", "-q").stdout.splitlines()
    row = run("kl", "0.2,0.8;0.5,0.5", "0.5,0.5", "--reduction", "row", "-q").stdout.splitlines()
    assert [len(line.split(",")) for line in none] == [2, 2]
    assert close(row, [sum(map(float, line.split(","))) for line in none])


def test_row_is_the_same_as_none_for_ce_and_entropy_and_js(run):
    for args in (("ce", "0.2,0.8;0.5,0.5", "0.4,0.6"), ("entropy", "0.2,0.8;0.5,0.5"),
                 ("js", "0.2,0.8;0.5,0.5", "0.4,0.6")):
        assert run(*args, "--reduction", "row", "-q").stdout == run(*args, "--reduction", "none", "-q").stdout


def test_python_api_row():
    import divcli

    p, q = _probs(3, 5), _probs(4, 5)
    assert close(divcli.kl_divergence(p, q, reduction="row"), _expected("kl", p, q))
    assert close(divcli.compare(p, q, reduction="row")["kl_pq"], _expected("kl", p, q))


def test_row_across_small_blocks(run, files, monkeypatch):
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 7)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 40)  # 10 rows of 4 classes per block
    p, q, p_path, q_path = files
    document = json.loads(run("kl", p_path, q_path, "--reduction", "row", "-f", "json").stdout)
    assert [row["row"] for row in document["rows"]] == list(range(1, 601))
    assert close(document["value"], _expected("kl", p, q))
    top = run("kl", p_path, q_path, "--top", "5", "-q").stdout.splitlines()
    values = _expected("kl", p, q)
    order = sorted(range(600), key=lambda i: (-values[i], i))[:5]
    assert [int(line.split("\t")[0]) for line in top] == [i + 1 for i in order]
    assert close([line.split("\t")[1] for line in top], values[order])


@pytest.mark.parametrize("command", ["kl", "ce", "entropy", "js", "compare"])
def test_top_in_every_format(run, files, command):
    p, q, p_path, q_path = files
    operands = (p_path,) if command == "entropy" else (p_path, q_path)
    if command in ("js", "compare"):
        m = (p + q) / 2
        values = _expected("kl", p, q) if command == "compare" else \
            (_expected("kl", p, m) + _expected("kl", q, m)) / 2
    else:
        values = _expected(command, p, q)
    order = sorted(range(600), key=lambda i: (-values[i], i))[:3]
    quiet = run(command, *operands, "--top", "3", "-q")
    assert quiet.exit_code == 0, quiet.stderr
    lines = [line.split("\t") for line in quiet.stdout.splitlines()]
    assert [int(row) for row, _ in lines] == [i + 1 for i in order]
    assert close([value for _, value in lines], values[order])
    document = json.loads(run(command, *operands, "--top", "3", "-f", "json").stdout)
    assert document["top"] == 3 and document["n_rows"] == 600 and document["reduction"] == "row"
    assert [row["rank"] for row in document["rows"]] == [1, 2, 3]
    assert [row["row"] for row in document["rows"]] == [i + 1 for i in order]
    assert close(document["value"], values[order])
    assert close([row[document["ranked_by"]] for row in document["rows"]], values[order])
    records = list(csv.DictReader(io.StringIO(run(command, *operands, "--top", "3", "-f", "csv").stdout)))
    assert [int(r["row"]) for r in records] == [i + 1 for i in order]
    assert [int(r["rank"]) for r in records] == [1, 2, 3]
    table = run(command, *operands, "--top", "3", env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "the 3 rows with the largest" in table.stdout


def test_top_ties_keep_the_input_order(run, tmp_path):
    p = write_rows(tmp_path / "p.csv", [[0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.5, 0.5], [0.9, 0.1]])
    lines = run("kl", p, "0.5,0.5", "--top", "4", "-q").stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["2", "3", "5", "1"]  # 0.9/0.1 and 0.1/0.9 are equal
    assert len(run("kl", p, "0.5,0.5", "--top", "50", "-q").stdout.splitlines()) == 5


def test_top_names_rows_and_skips_ignored_labels(run, tmp_path):
    named = tmp_path / "named.csv"
    named.write_text("first,second,third\n0.5,0.99,0.8\n0.5,0.01,0.2\n")  # --columns: rows named by the header
    result = run("kl", named, "0.5;0.5", "--columns", "--top", "2", "-q")
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["second", "third"]
    labels = run("ce", "0;-100;1", "0.9,0.1", "--p-as", "labels", "--top", "3", "-q")
    assert [line.split("\t")[0] for line in labels.stdout.splitlines()] == ["3", "1"]


@pytest.mark.parametrize(("args", "words"), [
    (("kl", "0.5,0.5", "0.9,0.1", "--top", "2", "--reduction", "sum"), ("--top", "--reduction row")),
    (("kl", "0.5,0.5", "0.9,0.1", "--top", "0"), ("--top", "0")),
    (("entropy", "0.5,0.5", "--top", "x"), ("--top", "x")),
    (("js", "0.5,0.5", "0.9,0.1", "--top", "1", "--reduction", "mean"), ("--top", "--reduction row")),
])
def test_top_usage_errors(run, args, words):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert all(word in result.stderr for word in words)
    assert result.stderr.count("Error") == 1


def test_row_table_names_the_column(run):
    result = run("kl", "0.2,0.8", "0.5,0.5", "--reduction", "row", env={"COLUMNS": "200"})
    assert "reduction row: the per-row values (D(P‖Q))" in result.stdout
