"""What an adversarial review of ``divcli drift`` found, each mended with a test that failed before:
a floor that outweighs the data (--epsilon), bin labels that read alike, blank lines lost from the
counts, data categories named like the synthetic bins, and the messages of mistakes and of inputs
with no values."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from helpers.extras import needs


def psi(r, c) -> float:
    r, c = np.asarray(r, float), np.asarray(c, float)
    return float(np.sum((c - r) * np.log(c / r)))


@pytest.fixture
def spread(tmp_path):
    """x from 1 to 10 in the reference; 1, 2, 3 then 40 … 100 in the current: most bins empty."""
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("x\n" + "\n".join(str(v) for v in range(1, 11)) + "\n")
    cur.write_text("x\n" + "\n".join(str(v) for v in [1, 2, 3, 40, 50, 60, 70, 80, 90, 100]) + "\n")
    return ref, cur


# H3: a floor at or above 1/bins outweighs the data

@pytest.mark.parametrize("command", [("drift",), ("kl", "--normalize"), ("js", "--normalize"), ("compare", "--normalize")])
def test_an_epsilon_of_1_is_refused(run, spread, command):
    ref, cur = spread
    args = (command[0], ref, cur, *command[1:]) if command[0] == "drift" else (command[0], "1,2", "3,4", *command[1:])
    result = run(*args, "--epsilon", "1")
    assert result.exit_code == 2
    assert "'1' is not a number above 0 and below 1" in result.stderr


def test_a_floor_of_at_least_one_over_the_bins_warns_naming_the_column(run, spread):
    ref, cur = spread
    result = run("drift", ref, cur, "--epsilon", "0.2", "-f", "json")
    assert result.exit_code == 0
    assert "column 'x': --epsilon 0.2 is at least 1/10, an even share of the 10 bins" in result.stderr
    (x,) = json.loads(result.stdout)["columns"]
    # the floored shares by hand: every reference share 0.1 → 0.2; the current's 0.1, 0.1, 0.1, 0 … 0, 0.7
    r = np.full(10, 0.2)
    c = np.maximum(np.array([0.1, 0.1, 0.1, 0, 0, 0, 0, 0, 0, 0.7]), 0.2)
    assert math.isclose(x["psi"], psi(r / r.sum(), c / c.sum()), rel_tol=1e-12)
    assert x["unsmoothed"]["psi"] == "inf"


def test_a_small_floor_gives_no_warning(run, spread):
    ref, cur = spread
    result = run("drift", ref, cur, "--epsilon", "0.09", "-q")
    assert result.exit_code == 0 and "--epsilon" not in result.stderr


def test_the_floor_warns_when_read_in_pieces_too(run, spread, monkeypatch):
    monkeypatch.setenv("DIVCLI_DRIFT_PIECE_BYTES", "8")
    ref, cur = spread
    result = run("drift", ref, cur, "--epsilon", "0.5", "-q")
    assert "--epsilon 0.5 is at least 1/10" in result.stderr


@pytest.mark.parametrize("command", ["kl", "js", "compare"])
def test_kl_js_compare_warn_of_a_floor_of_at_least_one_over_the_classes(run, command):
    result = run(command, "0.5,0.5", "1,0", "--epsilon", "0.5", "-q")
    assert result.exit_code == 0
    assert "--epsilon 0.5 is at least 1/2, an even share of the 2 classes" in result.stderr
    assert "--epsilon" not in run(command, "0.5,0.5", "1,0", "--epsilon", "0.4", "-q").stderr


# M3: a blank line of a one-column file is an empty cell, a missing value

ONE_COLUMN = "x\n1\n\n2\n\n\n3\n4\n\n"  # 4 values, 3 blank lines between rows, 1 at the end (no row)


@pytest.mark.parametrize("piece", [None, "1", "3", "7"])
def test_blank_lines_of_a_one_column_file_are_missing_values(run_json, tmp_path, monkeypatch, piece):
    if piece is not None:
        monkeypatch.setenv("DIVCLI_DRIFT_PIECE_BYTES", piece)
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text(ONE_COLUMN)
    cur.write_text("x\n1\n2\n3\n4\n")
    document = run_json("drift", ref, cur, "--bins", "edges:2.5")
    (x,) = document["columns"]
    assert (x["n_reference"], x["missing_reference"], x["n_current"], x["missing_current"]) == (7, 3, 4, 0)
    assert document["reference"]["rows"] == 7
    # bins (-inf, 2.5], (2.5, inf), (missing): 2, 2, 3 of 7 against 2, 2, 0 of 4
    assert x["psi"] == "inf" and math.isclose(x["hellinger"], math.sqrt(0.5 * (
        2 * (math.sqrt(2 / 7) - math.sqrt(0.5)) ** 2 + 3 / 7)), rel_tol=1e-12)


def test_a_headerless_one_column_file_counts_its_blank_lines_between_rows(run_json, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("\n1\n\n2\n3\n\n")  # the blank line before the first row and the one at the end are no rows
    (x,) = run_json("drift", ref, ref)["columns"]
    assert (x["n_reference"], x["missing_reference"]) == (4, 1)


def test_blank_lines_of_a_file_of_several_columns_are_no_rows(run_json, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("x,y\n1,2\n\n3,4\n")
    (x, _) = run_json("drift", ref, ref)["columns"]
    assert (x["n_reference"], x["missing_reference"]) == (2, 0)


def test_a_first_piece_holding_the_header_alone_is_read_with_the_rows_after_it(run_json, tmp_path, monkeypatch):
    monkeypatch.setenv("DIVCLI_DRIFT_PIECE_BYTES", "2")
    ref = tmp_path / "ref.csv"
    ref.write_text("x\n1\n2\n3\n")
    (x,) = run_json("drift", ref, ref)["columns"]
    assert x["n_reference"] == 3 and x["psi"] == 0.0


# M1: bin labels tell adjacent edges apart

def test_labels_of_edges_near_a_million_tell_them_apart_in_every_format(run, run_json, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("x\n" + "\n".join(str(1e6 + v / 8) for v in range(40)) + "\n")
    edges = ("--bins", "edges:1000000,1000000.25,1000000.5")
    wanted = ["(-inf, 1000000]", "(1000000, 1000000.2]", "(1000000.2, 1000000.5]", "(1000000.5, +inf)"]
    document = run_json("drift", ref, ref, "--column", "x", *edges)
    assert [found["bin"] for found in document["bins"]] == wanted
    assert [found["high"] for found in document["bins"]][:3] == [1e6, 1e6 + 0.25, 1e6 + 0.5]
    rows = list(csv.DictReader(io.StringIO(run("drift", ref, ref, "--column", "x", *edges, "-f", "csv").stdout)))
    assert [row["bin"] for row in rows] == wanted
    table = run("drift", ref, ref, "--column", "x", *edges, env={"COLUMNS": "160"}).stdout
    assert all(label in table for label in wanted)


def test_ordinary_edges_keep_six_significant_digits():
    from divcli.computations.drift_bins import edge_texts

    assert edge_texts(np.array([27.0, 39.2, 1 / 3, 1e6, 2e6])) == ["27", "39.2", "0.333333", "1e+06", "2e+06"]
    texts = edge_texts(np.array([1e6, np.nextafter(1e6, 2e6)]))
    assert float(texts[0]) != float(texts[1])  # as many digits as it takes, up to 17


# M6: a mistyped column name is a mistake of the command line

@pytest.mark.parametrize("args, words", [
    (("--select", "agee"), "--select: no column 'agee'"),
    (("--drop", "scor"), "--drop: no column 'scor'"),
    (("--select", "z*"), "--select: no column matches 'z*'"),
    (("--categorical", "scor"), "--categorical: no column 'scor'"),
    (("--column", "agee"), "'--column': no column 'agee'"),
])
def test_a_mistyped_column_exits_2_listing_the_columns(run, tmp_path, monkeypatch, args, words):
    ref = tmp_path / "ref.csv"
    ref.write_text("age,score\n1,2\n3,4\n")
    result = run("drift", ref, ref, *args)
    assert result.exit_code == 2 and words in result.stderr and "'age', 'score'" in result.stderr
    assert "Traceback" not in result.stderr
    close = {"agee": "age", "scor": "score"}.get(args[1])
    assert (f"did you mean {close!r}?" in result.stderr) if close else "did you mean" not in result.stderr
    monkeypatch.setenv("DIVCLI_DRIFT_PIECE_BYTES", "4")
    assert run("drift", ref, ref, *args).exit_code == 2


# M5, M7 and the low ones: one clear line

def test_a_histogram_with_an_empty_count_names_the_cell(run, tmp_path):
    hist = tmp_path / "h.csv"
    hist.write_text("bin,count\na,1\nb,\n")
    result = run("drift", "--binned", hist, hist)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {hist}:3:2: this bin's count is missing (its cell is empty); "
                                     "give each bin's count, 0 for a bin that is empty")


def test_gating_on_ks_of_a_column_with_no_values_says_so(run, tmp_path):
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("x\nnan\nnan\n")
    cur.write_text("x\n1\n2\n")
    result = run("drift", ref, cur, "--fail-above", "0.1", "--measure", "ks")
    assert result.exit_code == 2
    assert "column 'x' holds no values on one side or both" in result.stderr
    assert "for numeric columns" not in result.stderr


def test_one_row_is_one_row(run, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("x\n1\n")
    assert f"reference {ref} (1 row) to the current {ref} (1 row);" in run("drift", ref, ref).stdout


@pytest.mark.parametrize("reference, current", [("nan\nnan\nnan\n", "nan\n" * 7), ("a\na\na\n", "a\n" * 7),
                                                ("1\n2\n", "1\n1\n2\n2\n")])
def test_one_distribution_on_both_sides_drifts_by_0_exactly(run_json, tmp_path, reference, current):
    """All missing, one category, or the same shares from other counts: every measure 0, not 1e-33."""
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("x\n" + reference)
    cur.write_text("x\n" + current)
    categorical = ("--categorical", "x") if "a" in reference else ("--bins", "edges:1.5")
    (x,) = run_json("drift", ref, cur, *categorical)["columns"]
    assert [x[key] for key in ("psi", "kl_ref_cur", "kl_cur_ref", "js_distance", "hellinger")] == [0.0] * 5


@pytest.mark.parametrize("piece", [None, "8"])
def test_empty_binary_files_and_a_missing_parquet_path_are_one_line(run, tmp_path, monkeypatch, piece):
    if piece is not None:
        monkeypatch.setenv("DIVCLI_DRIFT_PIECE_BYTES", piece)
    ok = tmp_path / "ok.csv"
    ok.write_text("1\n" + "2\n" * 20)
    empty = tmp_path / "empty.npy"
    np.save(empty, np.empty((0, 1)))
    result = run("drift", empty, ok)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {empty}: no rows of samples; save an array of one row an observation, " \
                                    "one column a feature (numpy.save)"
    missing = tmp_path / "nope.parquet"
    result = run("drift", missing, ok)
    assert result.exit_code == 1 and result.stderr.strip() == f"Error: {missing}: no such file; check the path"


@pytest.mark.parametrize("piece", [None, "8"])
def test_an_empty_parquet_file_is_one_line(run, tmp_path, monkeypatch, piece):
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")
    if piece is not None:
        monkeypatch.setenv("DIVCLI_DRIFT_PIECE_BYTES", piece)
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"x": pa.array([], pa.float64())}), empty)
    result = run("drift", empty, empty)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {empty}: no rows of samples; give a file of one row an observation"


# M4: a category of the data named as a bin of divcli's own

def test_categories_named_like_the_synthetic_bins_are_quoted_apart_from_them(run_json, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("c\na\n(missing)\n(other)\n\nb\n")
    document = run_json("drift", ref, ref, "--categorical", "c", "--column", "c")
    assert [found["bin"] for found in document["bins"]] == ["'(missing)'", "'(other)'", "a", "b", "(missing)"]
    assert [found["reference_count"] for found in document["bins"]] == [1, 1, 1, 1, 1]


# M8: a wrong --delimiter

def test_a_text_column_holding_another_delimiter_warns(run, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("a;b\n1;2\n3;4\n5;6\n")
    result = run("drift", ref, ref, "-q")
    assert "column 'a;b': its name and values hold ';'" in result.stderr and "--delimiter ';'" in result.stderr
    result = run("drift", ref, ref, "-q", "--delimiter", ";")
    assert result.exit_code == 0 and result.stderr == ""


def test_a_text_column_of_a_category_a_row_warns(run, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("name\n" + "".join(f"id{i}\n" for i in range(25)))
    assert "each of its 25 values is a category of its own" in run("drift", ref, ref, "-q").stderr
    ref.write_text("city\n" + "Paris\nLyon\n" * 20)
    assert run("drift", ref, ref, "-q").stderr == ""
