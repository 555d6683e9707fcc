"""Rows within --tolerance of 1 are divided by their sums, and every output says so.

The header has a line per operand whose rows were renormalised (with the largest |Σ − 1|), JSON has
``inputs.<role>.renormalised`` and ``largest_deviation``, and the per-class breakdown and explain show
the values used (each row ÷ its sum), not the values as given. Numbers are compared by value.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

#: The header line of an operand whose rows were renormalised, with its largest deviation.
HEADER = re.compile(r"^  ([PQRS])'s rows renormalised \(largest deviation ([0-9.e+-]+)\): each divided by its sum$",
                    re.MULTILINE)
TABLE = {"COLUMNS": "120", "LC_ALL": "C.UTF-8"}


def _kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The reference: Σ p·log(p/q) per row of the rows divided by their sums, with math.fsum."""
    p = p / p.sum(axis=1, keepdims=True)
    q = q / q.sum(axis=1, keepdims=True)
    return np.array([math.fsum(a * math.log(a / b) for a, b in zip(pr, qr) if a > 0) for pr, qr in zip(p, q)])


def _deviation(values: np.ndarray) -> float:
    return float(np.max(np.abs(values.sum(axis=1) - 1.0)))


def _header(stdout: str) -> dict[str, float]:
    return {role: float(number) for role, number in HEADER.findall(stdout)}


@pytest.fixture
def softmax32(tmp_path):
    """float32 softmax rows written as text (their float64 sums are off 1 by about 1e-7), and
    float64 rows that sum to 1 exactly: as a model's float32 output is saved with np.savetxt."""
    rng = np.random.default_rng(20)
    logits = rng.normal(0, 3, (6, 7)).astype(np.float32)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p32 = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    path = tmp_path / "p32.csv"
    np.savetxt(path, p32, delimiter=",", fmt="%.9g")
    q = np.tile([1 / 4, 1 / 8, 1 / 8, 1 / 16, 1 / 16, 1 / 8, 1 / 4], (6, 1))
    q_path = tmp_path / "q.csv"
    q_path.write_text("".join(",".join(map(repr, row)) + "\n" for row in q.tolist()))
    given = np.loadtxt(path, delimiter=",")
    assert 1e-9 < _deviation(given) < 1e-6  # within the default tolerance, but not 1
    assert _deviation(q) == 0
    return path, q_path, given, q


def test_float32_softmax_rows_are_renormalised_and_said_to_be(run, run_json, softmax32):
    path, q_path, given, q = softmax32
    document = run_json("kl", path, q_path, "--reduction", "row")
    assert document["inputs"]["p"]["renormalised"] is True
    assert document["inputs"]["p"]["largest_deviation"] == pytest.approx(_deviation(given), rel=1e-9)
    assert document["inputs"]["q"] == {"renormalised": False, "largest_deviation": 0.0}
    values = [row["kl_divergence"] for row in document["rows"]]
    assert values == pytest.approx(_kl_rows(given, q), rel=1e-12, abs=1e-300)

    table = run("kl", path, q_path, env=TABLE)
    assert table.exit_code == 0, table.stderr
    header = _header(table.stdout)
    assert set(header) == {"P"}
    assert header["P"] == pytest.approx(_deviation(given), rel=0.06)  # printed to two digits


def test_a_rounded_row_within_a_wider_tolerance(run, run_json):
    p, q = np.array([[0.5, 0.50001]]), np.array([[0.3, 0.7]])
    document = run_json("kl", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4")
    assert document["inputs"]["p"]["renormalised"] is True
    assert document["inputs"]["p"]["largest_deviation"] == pytest.approx(1e-5, rel=1e-9)
    assert document["value"] == pytest.approx(_kl_rows(p, q)[0], rel=1e-12)
    assert document["value"] != pytest.approx(float(np.sum(p * np.log(p / q))), rel=1e-7)  # not as given

    table = run("kl", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4", env=TABLE)
    assert table.exit_code == 0, table.stderr
    assert _header(table.stdout) == {"P": pytest.approx(1e-5, rel=0.06)}


def _breakdown(stdout: str) -> dict[str, list[float]]:
    """The per-class breakdown table: each class's row of numbers, and the total line."""
    cells = {}
    for line in stdout.splitlines():
        parts = [part.strip() for part in line.split("│")]
        if len(parts) > 2 and (parts[0].isdigit() or parts[0] == "total"):
            cells[parts[0]] = [float(x) if x else None for x in parts[1:-2]]
    return cells


def test_the_breakdown_shows_the_values_used(run):
    used = np.array([0.5, 0.50001]) / 1.00001
    result = run("kl", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4", env=TABLE)
    rows = _breakdown(result.stdout.split("row 1: D(P‖Q)")[1])
    p_column = [rows["0"][0], rows["1"][0]]
    assert p_column == pytest.approx(used, abs=1e-6)  # shown to six decimals
    assert rows["total"][0] == pytest.approx(1.0, abs=1e-6)
    assert [rows["0"][2], rows["1"][2]] == pytest.approx(np.log(used), abs=1e-6)  # log p, the one used
    terms = used * np.log(used / np.array([0.3, 0.7]))
    assert [rows["0"][4], rows["1"][4]] == pytest.approx(terms, abs=1e-6)


def test_ce_breakdown_shows_the_renormalised_target(run):
    used = np.array([0.2, 0.80002]) / 1.00002
    result = run("ce", "0.2,0.80002", "0.5,0.5", "--tolerance", "1e-4", env=TABLE)
    assert result.exit_code == 0, result.stderr
    assert _header(result.stdout) == {"P": pytest.approx(2e-5, rel=0.06)}
    rows = _breakdown(result.stdout.split("row 1: H(P,Q)")[1])
    assert [rows["0"][0], rows["1"][0]] == pytest.approx(used, abs=1e-6)


def test_explain_shows_the_values_used_and_says_why(run, run_json):
    used = np.array([0.5, 0.50001]) / 1.00001
    document = run_json("explain", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4")
    assert document["p_values"] == pytest.approx(used, rel=1e-15)
    assert document["inputs"]["p"]["renormalised"] is True
    assert document["inputs"]["p"]["largest_deviation"] == pytest.approx(1e-5, rel=1e-9)
    assert document["inputs"]["q"]["renormalised"] is False
    assert document["kl_divergence"]["value"] == pytest.approx(_kl_rows(used[None], np.array([[0.3, 0.7]]))[0],
                                                               rel=1e-12)
    text = run("explain", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4", env=TABLE).stdout
    assert "P's row renormalised (deviation 1.0e-05): divided by its sum" in text
    shown = re.search(r"^  p = \((.*)\)$", text, re.MULTILINE).group(1)
    assert [float(x) for x in shown.split(", ")] == pytest.approx(used, abs=1e-6)


def test_rows_that_sum_to_one_say_nothing(run, run_json):
    document = run_json("kl", "0.25,0.75", "0.5,0.5")
    assert document["inputs"] == {"p": {"renormalised": False, "largest_deviation": 0.0},
                                  "q": {"renormalised": False, "largest_deviation": 0.0}}
    assert "renormalised" not in run("kl", "0.25,0.75", "0.5,0.5", env=TABLE).stdout
    assert "renormalised" not in run("kl", "0.2,0.3", "0.5,0.5", "--normalize", env=TABLE).stdout
    assert run_json("entropy", "0.25,0.75")["inputs"] == {"p": {"renormalised": False, "largest_deviation": 0.0}}


def test_log_probs_within_the_tolerance_are_renormalised_too(run_json):
    log_p = np.log([0.25, 0.75 + 5e-5])
    document = run_json("kl", ",".join(map(repr, log_p.tolist())), "0.5,0.5", "--p-as", "log-probs",
                        "--tolerance", "1e-4")
    assert document["inputs"]["p"]["renormalised"] is True
    assert document["inputs"]["p"]["largest_deviation"] == pytest.approx(5e-5, rel=1e-6)
    assert document["value"] == pytest.approx(_kl_rows(np.exp(log_p)[None], np.array([[0.5, 0.5]]))[0], rel=1e-12)


def _rows_file(path, rows: int, off: dict[int, float]):
    """``rows`` rows of three classes summing to 1 exactly, but row r (0-based) off by ``off[r]``."""
    values = np.tile([0.25, 0.25, 0.5], (rows, 1))
    for row, by in off.items():
        values[row, 2] += by
    path.write_text("".join(",".join(map(repr, row)) + "\n" for row in values.tolist()))
    return path


@pytest.mark.parametrize("threads", ["1", "3"])
def test_the_largest_deviation_of_every_block_and_operand(run, run_json, tmp_path, threads):
    # 200 000 rows: several blocks; the largest deviation in a late block for P, the first for Q
    p = _rows_file(tmp_path / "p.csv", 200_000, {3: 1e-8, 150_001: -3e-7, 199_999: 2e-7})
    q = _rows_file(tmp_path / "q.csv", 200_000, {0: 4e-7, 180_000: 1e-7})
    document = run_json("kl", p, q, "--threads", threads, "--reduction", "sum")
    assert document["inputs"]["p"]["largest_deviation"] == pytest.approx(3e-7, rel=1e-6)
    assert document["inputs"]["q"]["largest_deviation"] == pytest.approx(4e-7, rel=1e-6)
    table = run("compare", p, q, "--threads", threads, env=TABLE)
    assert _header(table.stdout) == {"P": pytest.approx(3e-7, rel=0.06), "Q": pytest.approx(4e-7, rel=0.06)}


def test_js_and_compare_report_each_operand(run, run_json):
    document = run_json("js", "0.5,0.50001", "0.3,0.7", "0.2,0.79999", "--tolerance", "1e-4")
    assert document["inputs"]["p"]["largest_deviation"] == pytest.approx(1e-5, rel=1e-6)
    assert document["inputs"]["q"]["renormalised"] is False
    assert document["inputs"]["r"]["largest_deviation"] == pytest.approx(1e-5, rel=1e-6)
    table = run("compare", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4", env=TABLE)
    assert _header(table.stdout) == {"P": pytest.approx(1e-5, rel=0.06)}


def test_top_says_it_too(run, run_json):
    document = run_json("kl", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4", "--top", "1")
    assert document["inputs"]["p"]["renormalised"] is True
    table = run("kl", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4", "--top", "1", env=TABLE)
    assert _header(table.stdout) == {"P": pytest.approx(1e-5, rel=0.06)}


def test_libraries_explain_torchs_value_on_the_rows_as_given(run_json):
    p, q = np.array([[0.5, 0.50001]]), np.array([[0.3, 0.7]])
    document = run_json("libraries", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4")
    assert "P's rows renormalised" in document["note"] and "the libraries get the numbers as given" in document["note"]
    torch = next(row for row in document["libraries"] if row["call"] == 'F.kl_div(Q.log(), P, reduction="batchmean")')
    assert torch["value"] == pytest.approx(float(np.sum(p * np.log(p / q))), rel=1e-12)  # as given
    assert not torch["agrees"] and "divcli divides P's rows by their sums" in torch["why"]
    scipy = next(row for row in document["libraries"] if row["call"].startswith("scipy.stats.entropy"))
    assert scipy["agrees"] and "divcli divides P's rows by their sums too" in scipy["why"]
    assert document["exact"] == pytest.approx(_kl_rows(p, q)[0], rel=1e-12)


def test_libraries_say_nothing_of_it_for_rows_that_sum_to_one(run_json):
    document = run_json("libraries", "0.25,0.75", "0.5,0.5")
    assert "renormalised" not in document["note"]
    assert not any("divcli divides" in row["why"] for row in document["libraries"])


def test_matrix_says_it_too(run, run_json):
    rows = np.array([[0.5, 0.50001], [0.3, 0.7], [0.2, 0.8]])
    document = run_json("matrix", "0.5,0.50001;0.3,0.7;0.2,0.8", "--tolerance", "1e-4", "--measure", "kl")
    assert document["inputs"] == {"p": {"renormalised": True, "largest_deviation": pytest.approx(1e-5, rel=1e-9)}}
    assert document["matrix"][0][1] == pytest.approx(_kl_rows(rows[:1], rows[1:2])[0], rel=1e-12)
    table = run("matrix", "0.5,0.50001;0.3,0.7;0.2,0.8", "--tolerance", "1e-4", env=TABLE).stdout
    assert "  the rows renormalised (largest deviation 1.0e-05): each divided by its sum" in table.splitlines()
    assert "renormalised" not in run("matrix", "0.5,0.5;0.3,0.7", env=TABLE).stdout


@pytest.mark.parametrize("args", [("entropy", "0,0", "--tolerance", "1"),
                                  ("kl", "0.5,0.5;0,0", "0.5,0.5", "--tolerance", "2")])
def test_a_row_of_zeros_within_a_tolerance_of_1_is_refused(run, args):
    # it cannot be renormalised; it used to give an entropy of 0 and a KL of nan
    result = run(*args, "-q")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert "every value in this row is 0" in result.stderr and "--tolerance below 1" in result.stderr


def test_explain_with_a_temperature_shows_the_row_as_given(run_json):
    # step 0 shows the row as given; its softmax(log p / T) is the same as that of the row ÷ its sum
    document = run_json("explain", "0.5,0.50001", "0.3,0.7", "--tolerance", "1e-4", "-T", "2")
    side = document["temperature"]["p"]
    assert side["given"] == pytest.approx([0.5, 0.50001], rel=1e-15)
    root = np.sqrt(np.array([0.5, 0.50001]))
    assert side["softened"] == pytest.approx(root / root.sum(), rel=1e-14)
    assert document["p_values"] == pytest.approx(root / root.sum(), rel=1e-14)


def test_distill_says_whose_rows_were_renormalised(run, run_json):
    args = ("distill", "0.5,0.50001;0.2,0.8", "0.3,0.7;0.6,0.4", "--teacher-as", "probs", "--student-as", "probs",
            "-T", "2", "--tolerance", "1e-4")
    document = run_json(*args)
    assert document["inputs"]["teacher"]["renormalised"] is True
    assert math.isclose(document["inputs"]["teacher"]["largest_deviation"], 1e-5, rel_tol=1e-6)
    assert document["inputs"]["student"] == {"renormalised": False, "largest_deviation": 0.0}
    table = run(*args, env={"COLUMNS": "120"})
    assert "the teacher's rows renormalised (largest deviation 1.0e-05)" in table.stdout
    assert "student's rows renormalised" not in table.stdout
    # the loss is that of the renormalised teacher: the same as a teacher given already divided
    divided = f"{0.5 / 1.00001!r},{0.50001 / 1.00001!r};0.2,0.8"
    exact = run_json("distill", divided, "0.3,0.7;0.6,0.4",
                     "--teacher-as", "probs", "--student-as", "probs", "-T", "2")
    assert math.isclose(document["loss"], exact["loss"], rel_tol=1e-9)


def test_distill_says_its_soft_labels_were_renormalised(run, run_json):
    args = ("distill", "1,2;3,4", "2,1;0,1", "0.5,0.501;0.3,0.7", "--labels-as", "probs", "--alpha", "0.5",
            "--tolerance", "1e-2")
    document = run_json(*args)
    assert document["inputs"]["labels"]["renormalised"] is True
    assert math.isclose(document["inputs"]["labels"]["largest_deviation"], 1e-3, rel_tol=1e-9)
    table = run(*args, env={"COLUMNS": "120"})
    assert "the labels' rows renormalised (largest deviation 1.0e-03)" in table.stdout
    divided = f"{0.5 / 1.001!r},{0.501 / 1.001!r};0.3,0.7"
    exact = run_json("distill", "1,2;3,4", "2,1;0,1", divided, "--labels-as", "probs", "--alpha", "0.5")
    assert math.isclose(document["loss"], exact["loss"], rel_tol=1e-12)
