"""--select, --drop and --names (issue 15, item 6): columns picked by name, number or range in every
format, row names in every output, a pandas index column and bin,count histograms in one command,
streamed across block boundaries; the numbers checked against numpy by value."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from helpers.extras import needs
from divcli.readers import sizes


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 10)


def _kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.sum(p * np.log(p / q), axis=1)


def _probs(seed: int, rows: int = 11, classes: int = 3) -> np.ndarray:
    values = np.random.default_rng(seed).uniform(0.1, 1, (rows, classes))
    return values / values.sum(axis=1, keepdims=True)


def _pandas_csv(path, values: np.ndarray, index=None) -> str:
    """What pandas' DataFrame.to_csv writes: an empty first header cell over the index column."""
    names = index or [str(i) for i in range(len(values))]
    lines = [",a,b,c"] + [f"{name}," + ",".join(map(repr, row)) for name, row in zip(names, values.tolist())]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# --------------------------------------------------------------------------------------------
# pandas' index column and bin,count histograms, in one command


def test_pandas_csv_with_its_index_column_names_the_rows(run, tmp_path, tiny_blocks):
    p, q = _probs(1), _probs(2)
    index = [f"r{i}" for i in range(len(p))]
    result = run("kl", _pandas_csv(tmp_path / "p.csv", p, index), _pandas_csv(tmp_path / "q.csv", q, index),
                 "--reduction", "none", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert [row["name"] for row in rows] == index
    assert [row["row"] for row in rows] == [str(i + 1) for i in range(len(p))]
    np.testing.assert_allclose([float(row["kl_divergence"]) for row in rows], _kl_rows(p, q), rtol=1e-12)
    assert set(rows[0]) >= {"term:a", "term:b", "term:c"} and "term:" not in rows[0]


def test_pandas_index_of_numbers_in_json_and_table(run, run_json, short_tmp):
    p, q = _probs(3, 2), _probs(4, 2)
    folder = Path(short_tmp)  # the table names the files: a path of the same length on every machine
    args = (_pandas_csv(folder / "p.csv", p), _pandas_csv(folder / "q.csv", q))
    document = run_json("kl", *args)
    assert [row["name"] for row in document["rows"]] == ["0", "1"]
    assert document["classes"] == ["a", "b", "c"]
    assert document["value"] == pytest.approx(float(np.mean(_kl_rows(p, q))), rel=1e-12)
    table = run("kl", *args, env={"COLUMNS": "120"})
    assert table.exit_code == 0 and "row 1: D(P‖Q)" in table.stdout and "row 0: D(P‖Q)" in table.stdout


def test_select_overrides_the_pandas_index(run, tmp_path):
    """--select 1-4 reads the index column as numbers (here it holds a class of its own)."""
    path = tmp_path / "p.csv"
    path.write_text(",a,b,c\n0.1,0.2,0.3,0.4\n")
    result = run("entropy", str(path), "--select", "1-4", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["value"] == pytest.approx(-sum(x * np.log(x) for x in (0.1, 0.2, 0.3, 0.4)), rel=1e-12)
    assert "name" not in document["rows"][0]


def _histogram(path, bins, counts) -> str:
    path.write_text("bin,count\n" + "".join(f"{b},{c}\n" for b, c in zip(bins, counts)))
    return str(path)


BINS = ["0-10", "10-20", "20-30", "30-40"]
P_COUNTS, Q_COUNTS = [120, 340, 540, 0], [200, 300, 450, 50]


@pytest.mark.parametrize("choice", [("--names", "bin"), ("--select", "count"), ("--drop", "bin"), ("--names", "1"),
                                    ("--select", "2")])
def test_bin_count_histograms_in_one_command(run, tmp_path, choice):
    p = _histogram(tmp_path / "hist_p.csv", BINS, P_COUNTS)
    q = _histogram(tmp_path / "hist_q.csv", BINS, Q_COUNTS)
    result = run("kl", p, q, "--normalize", "--columns", *choice, "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    pp, qq = np.array(P_COUNTS) / sum(P_COUNTS), np.array(Q_COUNTS) / sum(Q_COUNTS)
    expected = float(np.sum(np.where(pp > 0, pp * np.log(np.where(pp > 0, pp, 1) / qq), 0)))
    assert document["value"] == pytest.approx(expected, rel=1e-12)
    if choice[0] == "--names":
        assert document["classes"] == BINS
    assert document["rows"][0].get("name") == "count"


def test_bin_count_histogram_without_a_choice_is_one_distribution_over_its_bins(run, tmp_path):
    """The bins name the classes (a two-column header over a name and a number), with --columns as
    without it; without it the counts are divided by their total."""
    p = _histogram(tmp_path / "hist_p.csv", BINS, P_COUNTS)
    shares = np.array(P_COUNTS) / sum(P_COUNTS)
    expected = -sum(s * np.log(s) for s in shares if s > 0)
    for extra in ([], ["--normalize", "--columns"]):
        result = run("entropy", p, *extra, "-q")
        assert result.exit_code == 0, result.stderr
        assert float(result.stdout) == pytest.approx(expected, rel=1e-14)


# --------------------------------------------------------------------------------------------
# --select and --drop by names, numbers and ranges


WIDE = "id,x,y,z,w\n"


def _wide(path, rows: np.ndarray) -> str:
    path.write_text(WIDE + "".join(f"row{i}," + ",".join(map(repr, row)) + "\n" for i, row in enumerate(rows.tolist())))
    return str(path)


@pytest.mark.parametrize("choice, columns", [
    (("--select", "x,y,z", "--names", "id"), [0, 1, 2]),
    (("--select", "2-4", "--names", "1"), [0, 1, 2]),
    (("--select", "z,x,y", "--names", "id"), [2, 0, 1]),
    (("--drop", "w", "--names", "id"), [0, 1, 2]),
    (("--drop", "5", "--names", "id"), [0, 1, 2]),
    (("--select", "2-5", "--drop", "w", "--names", "id"), [0, 1, 2]),
    (("--select", "x, 3-4", "--names", "id"), [0, 1, 2]),
])
def test_select_and_drop_by_names_numbers_and_ranges(run, tmp_path, tiny_blocks, choice, columns):
    p, q = _probs(5, 9, 4), _probs(6, 9, 4)
    p[:, 3], q[:, 3] = 7.0, 9.0  # w: not a probability, left out
    p[:, :3] /= p[:, :3].sum(axis=1, keepdims=True)
    q[:, :3] /= q[:, :3].sum(axis=1, keepdims=True)
    result = run("kl", _wide(tmp_path / "p.csv", p), _wide(tmp_path / "q.csv", q), *choice, "--reduction", "none",
                 "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert [row["name"] for row in rows] == [f"row{i}" for i in range(9)]
    expected = _kl_rows(p[:, columns], q[:, columns])
    np.testing.assert_allclose([float(row["kl_divergence"]) for row in rows], expected, rtol=1e-12)
    names = ["x", "y", "z"]
    assert [key for key in rows[0] if key.startswith("term:")] == [f"term:{names[i]}" for i in columns]


def test_headerless_file_by_numbers(run, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("a 9 0.25 0.75\nb 9 0.5 0.5\n")
    result = run("entropy", str(path), "--names", "1", "--drop", "2", "--base", "2", "--reduction", "none", "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [row["name"] for row in rows] == ["a", "b"]
    assert [row["entropy_p"] for row in rows] == pytest.approx([0.8112781244591328, 1.0], rel=1e-12)


def test_large_file_takes_the_fast_readers_with_a_choice(run, tmp_path):
    """A file large enough for the C parsers: the same values and names as the careful reader's."""
    p, q = _probs(7, 4000), _probs(8, 4000)
    p_path, q_path = _pandas_csv(tmp_path / "p.csv", p), _pandas_csv(tmp_path / "q.csv", q)
    result = run("kl", p_path, q_path, "--reduction", "none", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert rows[-1]["name"] == "3999" and len(rows) == 4000
    np.testing.assert_allclose([float(row["kl_divergence"]) for row in rows], _kl_rows(p, q), rtol=1e-9, atol=1e-15)


def test_rows_of_a_file_streamed_in_tiny_blocks_keep_their_lines_in_errors(run, tmp_path, tiny_blocks):
    p = _probs(9, 12)
    path = tmp_path / "p.csv"
    lines = [",a,b,c"] + [f"{i}," + ",".join(map(repr, row)) for i, row in enumerate(p.tolist())]
    lines[10] = "9,0.2,oops,0.5"
    path.write_text("\n".join(lines) + "\n")
    result = run("entropy", str(path))
    assert result.exit_code == 1
    assert "p.csv:11:3: not a number: 'oops'" in result.stderr


# --------------------------------------------------------------------------------------------
# JSON Lines, JSON objects, Parquet, .npy


def test_json_lines_objects_with_a_name_key(run, tmp_path, tiny_blocks):
    p, q = _probs(10, 7), _probs(11, 7)
    for stem, values in (("p", p), ("q", q)):
        (tmp_path / f"{stem}.jsonl").write_text("".join(
            json.dumps({"id": f"s{i}", "a": row[0], "b": row[1], "c": row[2], "n": 3}) + "\n"
            for i, row in enumerate(values.tolist())))
    result = run("kl", tmp_path / "p.jsonl", tmp_path / "q.jsonl", "--names", "id", "--drop", "n",
                 "--reduction", "none", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [row["name"] for row in document["rows"]] == [f"s{i}" for i in range(7)]
    assert document["classes"] == ["a", "b", "c"]
    np.testing.assert_allclose([row["kl_divergence"] for row in document["rows"]], _kl_rows(p, q), rtol=1e-12)


def test_json_list_of_lists_by_number(run, tmp_path):
    (tmp_path / "p.json").write_text(json.dumps([[1, 0.5, 0.5], [2, 0.9, 0.1]]))
    result = run("entropy", tmp_path / "p.json", "--names", "1", "--reduction", "none", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert [row["name"] for row in rows] == ["1", "2"]
    assert float(rows[1]["entropy_p"]) == pytest.approx(-(0.9 * np.log(0.9) + 0.1 * np.log(0.1)), rel=1e-12)


def test_parquet_with_a_column_of_names(run, tmp_path, tiny_blocks):
    pa = needs("pyarrow")
    parquet = needs("pyarrow.parquet")
    p, q = _probs(12, 9), _probs(13, 9)
    for stem, values in (("p", p), ("q", q)):
        table = pa.table({"label": [f"n{i}" for i in range(9)], "a": values[:, 0], "b": values[:, 1],
                          "c": values[:, 2], "note": ["x"] * 9})
        parquet.write_table(table, tmp_path / f"{stem}.parquet", row_group_size=4)
    result = run("kl", tmp_path / "p.parquet", tmp_path / "q.parquet", "--names", "label", "--drop", "note",
                 "--reduction", "none", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert [row["name"] for row in rows] == [f"n{i}" for i in range(9)]
    np.testing.assert_allclose([float(row["kl_divergence"]) for row in rows], _kl_rows(p, q), rtol=1e-12)
    whole = run("kl", tmp_path / "p.parquet", tmp_path / "q.parquet", "--select", "2-4", "--columns", "--normalize", "-q")
    assert whole.exit_code == 0, whole.stderr
    unknown = run("kl", tmp_path / "p.parquet", tmp_path / "q.parquet", "--select", "d")
    assert unknown.exit_code == 1 and "no column 'd'" in unknown.stderr and "'label', 'a', 'b'" in unknown.stderr


def test_npy_by_number(run, tmp_path, tiny_blocks):
    p = _probs(14, 8)
    np.save(tmp_path / "p.npy", np.column_stack([np.arange(8) * 10, p]))
    result = run("entropy", tmp_path / "p.npy", "--names", "1", "--reduction", "none", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert [row["name"] for row in rows] == [str(i * 10) for i in range(8)]
    np.testing.assert_allclose([float(row["entropy_p"]) for row in rows], -np.sum(p * np.log(p), axis=1), rtol=1e-12)


def test_literal_by_number(run):
    result = run("entropy", "7,0.5,0.5", "--drop", "1", "-q")
    assert result.exit_code == 0 and float(result.stdout) == pytest.approx(np.log(2), rel=1e-15)


def test_stdin_streamed(run, tmp_path, tiny_blocks):
    p = _probs(15, 10)
    text = "bin,a,b,c\n" + "".join(f"b{i}," + ",".join(map(repr, row)) + "\n" for i, row in enumerate(p.tolist()))
    result = run("entropy", "-", "--names", "bin", "--reduction", "none", "-f", "csv", input=text)
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert rows[-1]["name"] == "b9"
    np.testing.assert_allclose([float(row["entropy_p"]) for row in rows], -np.sum(p * np.log(p), axis=1), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# errors: one line, exit 1 for the data's columns, exit 2 for the command line


@pytest.mark.parametrize("choice, words", [
    (("--select", "x,q"), ["--select: no column 'q'", "its columns are 'id', 'x', 'y', 'z', 'w'"]),
    (("--drop", "9"), ["--drop: no column '9'", "(or numbered 1 … 5)"]),
    (("--names", "label"), ["--names: no column 'label'"]),
    (("--names", "2-3"), ["--names takes one column, not '2-3'"]),
    (("--select", "x,x"), ["--select chooses column 2 ('x') twice"]),
    (("--select", "x,id", "--names", "id"), ["--names column 1 ('id') is also chosen by --select"]),
    (("--select", "id", "--names", "id"), ["--names column 1 ('id') is also chosen by --select"]),
    (("--drop", "1-5"), ["no columns of numbers are left"]),
])
def test_bad_choices_are_one_line_errors(run, tmp_path, choice, words):
    path = _wide(tmp_path / "p.csv", _probs(16, 2, 4))
    result = run("entropy", path, *choice)
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr, result.stderr


def test_names_of_a_column_of_numbers_keeps_them_as_written(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,a,b\n1.50,0.5,0.5\n2e3,0.25,0.75\n")
    result = run("entropy", str(path), "--names", "id", "--reduction", "none", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert [row["name"] for row in _csv_rows(result.stdout)] == ["1.50", "2e3"]


def test_headerless_unknown_number_lists_the_numbers(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("0.5,0.5\n")
    result = run("entropy", str(path), "--select", "3")
    assert result.exit_code == 1 and "no column '3'" in result.stderr and "numbered 1 … 2" in result.stderr


def test_names_with_control_characters_are_escaped(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("\x1b[31mred,a\n0.5,0.5\n".replace(",a\n0.5", ",a,b\n0.5,0.5"))
    result = run("entropy", str(path), "--select", "nope")
    assert result.exit_code == 1 and "\x1b" not in result.stderr and "\\x1b" in result.stderr


def test_a_row_of_another_width_is_located(run, tmp_path, tiny_blocks):
    path = tmp_path / "p.csv"
    path.write_text("id,a,b\n" + "".join(f"r{i},0.5,0.5\n" for i in range(8)) + "r8,0.5\n")
    result = run("entropy", str(path), "--names", "id")
    assert result.exit_code == 1 and "p.csv:10" in result.stderr and "has 2 values" in result.stderr


@pytest.mark.parametrize("option", ["--drop", "--names", "--p-drop", "--q-names", "--q-delimiter"])
def test_dask_engine_refuses_the_local_choices(run, tmp_path, option):
    """A shard's columns are chosen with --select (or --p-select, --q-select) alone on Dask."""
    path = _wide(tmp_path / "p.csv", _probs(17, 2, 4))
    result = run("kl", path, path, option, "," if option.endswith("delimiter") else "x", "--engine", "dask")
    assert result.exit_code == 2 and f"{option}: --engine local only" in result.stderr
    assert "--p-select" in result.stderr


def test_matrix_names_its_rows_and_columns(run, tmp_path):
    path = _pandas_csv(tmp_path / "p.csv", _probs(18, 3), ["cat", "dog", "eel"])
    result = run("matrix", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert "cat" in result.stdout and "eel" in result.stdout


def test_help_shows_the_new_options_under_inputs(run):
    result = run("kl", "--help", env={"COLUMNS": "100"})
    inputs = result.stdout.partition("\nInputs:")[2].partition("\nComputation:")[0]
    assert "--select, --drop COLS" in inputs and "--columns, --names COL" in inputs
