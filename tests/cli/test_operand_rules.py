"""Issue 15's small rules: --base by unit name, the operand ``uniform``, one-class rows refused, and
ce reading a column of class indices as labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.files import write_rows


@pytest.mark.parametrize("name, number, unit", [("bits", "2", "bits"), ("nats", "e", "nats"), ("bans", "10", "bans"),
                                                ("BITS", "2", "bits")])
def test_base_by_unit_name(run_json, name, number, unit):
    by_name = run_json("kl", "9/25,12/25,4/25", "1/3,1/3,1/3", "--base", name)
    by_number = run_json("kl", "9/25,12/25,4/25", "1/3,1/3,1/3", "--base", number)
    assert by_name["unit"] == unit == by_number["unit"]
    assert math.isclose(by_name["value"], by_number["value"], rel_tol=1e-15)


def test_base_name_that_is_no_unit(run):
    result = run("kl", "1", "1", "--base", "bytes")
    assert result.exit_code == 2 and "bits" in result.stderr and not result.stdout


# --------------------------------------------------------------------------------------------
# uniform


def test_uniform_is_one_over_the_other_operands_classes(run):
    result = run("kl", "9/25,12/25,4/25", "uniform", "-q")
    assert result.exit_code == 0, result.stderr
    assert math.isclose(float(result.stdout), 0.08529960131837055, rel_tol=1e-12)


def test_uniform_named_in_the_header(run, run_json):
    table = run("kl", "uniform", "9/25,12/25,4/25", env={"COLUMNS": "120"})
    assert table.exit_code == 0 and "P (reference): uniform over 3 classes" in table.stdout
    document = run_json("kl", "9/25,12/25,4/25", "uniform")
    assert document["q"]["source"] == "uniform over 3 classes"


@pytest.mark.parametrize("kind", ["probs", "logits", "log-probs"])
def test_uniform_read_as_any_kind_of_q(run, kind):
    result = run("kl", "0.1,0.9", "uniform", "--q-as", kind, "-q")
    assert result.exit_code == 0, result.stderr
    assert math.isclose(float(result.stdout), math.log(2) + 0.1 * math.log(0.1) + 0.9 * math.log(0.9), rel_tol=1e-12)


def test_uniform_against_every_row_of_a_file(run, tmp_path):
    path = write_rows(tmp_path / "p.csv", [[0.5, 0.25, 0.25], [1.0, 0.0, 0.0]])
    result = run("kl", path, "uniform", "--reduction", "none", "-q")
    rows = [[float(x) for x in line.split(",")] for line in result.stdout.splitlines()]
    assert math.isclose(sum(rows[0]), math.log(3) - 1.5 * math.log(2), rel_tol=1e-12)
    assert math.isclose(sum(rows[1]), math.log(3), rel_tol=1e-12)


@pytest.mark.parametrize("command, extra", [("js", ["--normalize"]), ("compare", ["--normalize"]), ("ce", [])])
def test_uniform_in_js_compare_and_ce(run, command, extra):
    counts = "1,2,5"
    result = run(command, counts if extra else "0.125,0.25,0.625", "uniform", *extra, "-q")
    explicit = run(command, counts if extra else "0.125,0.25,0.625", "1/3,1/3,1/3", *extra, "-q")
    assert result.exit_code == 0, result.stderr
    for line, same in zip(result.stdout.splitlines(), explicit.stdout.splitlines()):
        assert math.isclose(float(line.split()[-1]), float(same.split()[-1]), rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("args", [("kl", "uniform", "uniform"), ("entropy", "uniform"),
                                  ("js", "uniform", "uniform", "uniform")])
def test_only_uniform_is_a_usage_error(run, args):
    result = run(*args)
    assert result.exit_code == 2 and "uniform" in result.stderr and "other operand" in result.stderr
    assert not result.stdout


def test_uniform_against_labels_has_no_classes(run):
    result = run("ce", "2;0", "uniform", "--p-as", "labels")
    assert result.exit_code == 1 and "no other operand has classes" in result.stderr and not result.stdout


def test_uniform_with_the_dask_engine_is_refused(run):
    result = run("kl", "0.5,0.5", "uniform", "--engine", "dask")
    assert result.exit_code == 2 and "--engine local" in result.stderr


def test_uniform_in_explain(run_json):
    work = run_json("explain", "0.9,0.1", "uniform")
    assert math.isclose(work["kl_divergence"]["value"], math.log(2) + 0.9 * math.log(0.9) + 0.1 * math.log(0.1),
                        rel_tol=1e-12)


# --------------------------------------------------------------------------------------------
# one class per row is refused


def histogram_columns(tmp_path):
    """Two histograms stored as one column each: with --normalize every row is (1.0), KL 0."""
    p = tmp_path / "p.csv"
    q = tmp_path / "q.csv"
    p.write_text("count\n120\n340\n55\n", encoding="utf-8")
    q.write_text("count\n100\n300\n70\n", encoding="utf-8")
    return str(p), str(q)


@pytest.mark.parametrize("command", ["kl", "ce", "js", "compare"])
def test_one_column_histograms_are_refused_with_the_columns_hint(run, tmp_path, command):
    p, q = histogram_columns(tmp_path)
    result = run(command, p, q, "--normalize", "-q")
    assert result.exit_code == 1, result.stdout
    assert not result.stdout
    assert "single class" in result.stderr and "--columns" in result.stderr and p in result.stderr


@pytest.mark.parametrize("command", ["kl", "js", "compare"])
def test_the_same_histograms_with_columns(run, tmp_path, command):
    p, q = histogram_columns(tmp_path)
    result = run(command, p, q, "--normalize", "--columns", "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout.split()[1 if command == "compare" else 0]) > 0


def test_one_class_in_q_only_is_refused(run, tmp_path):
    q = tmp_path / "q.csv"
    q.write_text("0.5\n0.5\n", encoding="utf-8")
    result = run("kl", "0.5,0.5;0.5,0.5", str(q))
    assert result.exit_code == 1 and "every row of Q has a single class" in result.stderr


def test_one_class_after_columns_says_to_leave_it_out(run):
    result = run("kl", "0.2,0.3,0.5", "0.3,0.3,0.4", "--columns")
    assert result.exit_code == 1 and "leave out --columns" in result.stderr and not result.stdout


def test_one_class_literal(run):
    result = run("kl", "1", "1", "-q")
    assert result.exit_code == 1 and "two classes or more" in result.stderr and not result.stdout


def test_labels_keep_their_one_column(run, tmp_path):
    labels = write_rows(tmp_path / "labels.csv", [2, 0, 1])
    result = run("kl", labels, "0.2,0.3,0.5;0.1,0.8,0.1;0.3,0.3,0.4", "--p-as", "labels", "-q")
    assert result.exit_code == 0, result.stderr
    assert math.isclose(float(result.stdout), -(math.log(0.5) + math.log(0.1) + math.log(0.3)) / 3, rel_tol=1e-12)


# --------------------------------------------------------------------------------------------
# ce: a column of class indices is labels


SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "samples"


def test_ce_reads_a_column_of_class_indices_as_labels(run):
    result = run("ce", SAMPLES / "labels.csv", SAMPLES / "logits.csv", "--q-as", "logits", "-q")
    assert result.exit_code == 0, result.stderr
    assert math.isclose(float(result.stdout), 1.5333611167290577, rel_tol=1e-12)


def test_ce_says_it_read_labels(run, run_json):
    table = run("ce", SAMPLES / "labels.csv", SAMPLES / "logits.csv", "--q-as", "logits")
    assert "read as labels (class indices, one per row)" in table.stdout
    document = run_json("ce", "2;4;1", SAMPLES / "logits.csv", "--q-as", "logits")
    assert document["p"]["kind"] == "labels"
    assert math.isclose(document["value"], 1.5333611167290577, rel_tol=1e-12)


def test_ce_labels_with_ignore_index(run, tmp_path):
    labels = write_rows(tmp_path / "labels.csv", [2, -100, 0])
    result = run("ce", labels, "0.2,0.3,0.5;0.1,0.8,0.1;0.3,0.3,0.4", "-q")
    assert result.exit_code == 0, result.stderr
    assert math.isclose(float(result.stdout), -(math.log(0.5) + math.log(0.3)) / 2, rel_tol=1e-12)


def test_explicit_p_as_wins(run):
    result = run("ce", SAMPLES / "labels.csv", SAMPLES / "logits.csv", "--q-as", "logits", "--p-as", "probs")
    assert result.exit_code == 1 and "single class" in result.stderr and "--p-as labels" in result.stderr


@pytest.mark.parametrize("column", ["0.5;0.5", "3;1", "1;-1", "1.5;0"])
def test_a_column_that_is_no_labels_is_refused(run, column):
    """Out of range (3 with 3 classes), negative, or not an integer: not labels, and one class a row."""
    result = run("ce", column, "0.2,0.3,0.5;0.1,0.8,0.1", "-q")
    assert result.exit_code == 1 and "single class" in result.stderr and not result.stdout


def test_kl_does_not_guess_labels(run):
    result = run("kl", SAMPLES / "labels.csv", SAMPLES / "logits.csv", "--q-as", "logits")
    assert result.exit_code == 1 and "--p-as labels" in result.stderr


def test_labels_guessed_against_a_wide_q_keep_the_blocks_aligned(run, tmp_path):
    # Q of 5000 classes: its first block holds 104 rows, so the guessed labels' first block must too
    rng = np.random.default_rng(7)
    np.save(tmp_path / "q.npy", rng.normal(0, 1, (300, 5000)))
    (tmp_path / "y.csv").write_text("".join(f"{label}\n" for label in rng.integers(0, 5000, 300)))
    guessed = run("ce", tmp_path / "y.csv", tmp_path / "q.npy", "--q-as", "logits", "--reduction", "none", "-q")
    explicit = run("ce", tmp_path / "y.csv", tmp_path / "q.npy", "--p-as", "labels", "--q-as", "logits",
                   "--reduction", "none", "-q")
    assert guessed.exit_code == 0, guessed.stderr
    assert guessed.stdout == explicit.stdout and len(guessed.stdout.split()) == 300
