"""--pseudocount and --epsilon on kl, js and compare (against the smoothed shares computed by hand),
their refusals, psi in compare -m and matrix -m (against Σ (q − p)·ln(q/p) in float64, and against
mpmath's exact values of the accuracy fixture), and the warning for raw samples."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import numpy as np
import pytest

#: numbers against float64 and mpmath references
pytestmark = pytest.mark.numeric

P_COUNTS, Q_COUNTS = [10, 20, 30, 0], [10, 25, 0, 5]


def kl(p, q) -> float:
    return float(sum(a * math.log(a / b) for a, b in zip(p, q) if a > 0))


def psi(p, q) -> float:
    return float(sum((b - a) * math.log(b / a) for a, b in zip(p, q)))


def literal(values) -> str:
    return ",".join(str(v) for v in values)


def added(counts, a: float) -> list[float]:
    total = sum(counts) + a * len(counts)
    return [(c + a) / total for c in counts]


def floored(counts, e: float) -> list[float]:
    floors = [max(c / sum(counts), e) for c in counts]
    return [f / sum(floors) for f in floors]


def value(run, *args) -> float:
    result = run(*args, "-q")
    assert result.exit_code == 0, result.stderr
    return float(result.stdout)


def test_without_smoothing_an_empty_class_makes_kl_infinite(run):
    assert value(run, "kl", literal(P_COUNTS), literal(Q_COUNTS), "--normalize") == math.inf


@pytest.mark.parametrize("a", [0.5, 1.0])
def test_pseudocount_is_added_to_every_count_before_normalising(run, a):
    p, q = added(P_COUNTS, a), added(Q_COUNTS, a)
    args = (literal(P_COUNTS), literal(Q_COUNTS), "--normalize", "--pseudocount", str(a))
    assert value(run, "kl", *args) == pytest.approx(kl(p, q), rel=1e-14)
    assert value(run, "compare", *args, "-m", "psi") == pytest.approx(psi(p, q), rel=1e-14)
    m = [(x + y) / 2 for x, y in zip(p, q)]
    assert value(run, "js", *args) == pytest.approx((kl(p, m) + kl(q, m)) / 2, rel=1e-14)


@pytest.mark.parametrize("e", [1e-4, 0.01])
def test_epsilon_floors_the_shares_then_renormalises(run, e):
    p, q = floored(P_COUNTS, e), floored(Q_COUNTS, e)
    args = (literal(P_COUNTS), literal(Q_COUNTS), "--normalize", "--epsilon", str(e))
    assert value(run, "kl", *args) == pytest.approx(kl(p, q), rel=1e-14)
    assert value(run, "compare", *args, "-m", "kl_qp") == pytest.approx(kl(q, p), rel=1e-14)


def test_smoothing_probabilities_adds_to_each_probability(run):
    """Rows that sum to 1 (no --normalize): A is added to each probability, then renormalised."""
    p, q = [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]
    assert value(run, "kl", literal(p), literal(q), "--pseudocount", "0.01") == pytest.approx(
        kl(added(p, 0.01), added(q, 0.01)), rel=1e-14)


def test_smoothing_is_said_in_the_header_and_json(run):
    args = ("kl", literal(P_COUNTS), literal(Q_COUNTS), "--normalize", "--epsilon", "0.001")
    assert "smoothed: every share floored at epsilon 0.001" in run(*args).stdout
    doc = json.loads(run(*args, "-f", "json").stdout)
    assert doc["notes"] == ["smoothed: every share floored at epsilon 0.001, then each row divided by its sum"]
    doc = json.loads(run("compare", literal(P_COUNTS), literal(Q_COUNTS), "--normalize", "--pseudocount", "1",
                         "-f", "json").stdout)
    assert doc["notes"][0].startswith("smoothed: pseudocount 1 added to every class's count")
    assert "notes" not in json.loads(run("kl", "0.5,0.5", "0.5,0.5", "-f", "json").stdout)  # as before


def test_counts_still_need_normalize_and_a_sum_is_still_checked(run):
    """Smoothing comes after the checks: counts without --normalize are refused as before."""
    result = run("kl", literal(P_COUNTS), literal(Q_COUNTS), "--pseudocount", "1")
    assert result.exit_code == 1 and "--normalize" in result.stderr


@pytest.mark.parametrize("kind, words", [("logits", "no zero to smooth"), ("log-probs", "--q-as probs")])
def test_smoothing_scores_is_refused_saying_why(run, kind, words):
    result = run("kl", "0.5,0.5", "1,2", "--q-as", kind, "--pseudocount", "1")
    assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_one_way_to_smooth_at_a_time(run):
    result = run("js", "0.5,0.5", "0.5,0.5", "--pseudocount", "1", "--epsilon", "0.1")
    assert result.exit_code == 2 and "give one of them" in result.stderr
    result = run("kl", "0.5,0.5", "0.5,0.5", "--epsilon", "0")
    assert result.exit_code == 2


def test_every_kernel_reads_the_smoothed_rows():
    """The accurate and fused kernels read the operand's values themselves: they are the smoothed ones."""
    from divcli.numerics.smoothing import smoothed
    from divcli.readers.operand import Operand
    from divcli.vocabulary import Conversion, Kind

    operand = Operand(np.array([[10.0, 20.0, 30.0, 0.0]]), "counts")
    d = smoothed(operand, Kind.PROBS, "P", Conversion(normalize=True, pseudocount=0.5))
    np.testing.assert_allclose(d.p[0], added(P_COUNTS, 0.5), rtol=1e-15)
    values = d.operand.values[0]
    np.testing.assert_allclose(values / values.sum(), added(P_COUNTS, 0.5), rtol=1e-15)


# --------------------------------------------------------------------------------------------
# psi


ROWS = [[0.2, 0.3, 0.5], [0.25, 0.25, 0.5], [0.6, 0.3, 0.1]]


def test_psi_in_compare_and_matrix_is_jeffreys_sum(run):
    p, q = ROWS[0], ROWS[1]
    assert value(run, "compare", literal(p), literal(q), "-m", "psi") == pytest.approx(psi(p, q), rel=1e-14)
    assert value(run, "compare", literal(p), literal(q), "-m", "psi", "--base", "2") == pytest.approx(
        psi(p, q) / math.log(2), rel=1e-14)
    assert value(run, "compare", literal(q), literal(p), "-m", "psi") == pytest.approx(psi(p, q), rel=1e-14)
    doc = json.loads(run("matrix", ";".join(literal(row) for row in ROWS), "-m", "psi", "-f", "json").stdout)
    matrix = np.array(doc["matrix"], dtype=float)
    expected = np.array([[psi(a, b) for b in ROWS] for a in ROWS])
    np.testing.assert_allclose(matrix, expected, rtol=1e-14, atol=0)


def test_compare_m_keeps_the_order_asked_for(run):
    result = run("compare", literal(ROWS[0]), literal(ROWS[1]), "-m", "js,psi,kl", "-q")
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["js_divergence", "jeffreys", "kl_pq"]
    result = run("compare", literal(ROWS[0]), literal(ROWS[1]), "-m", "nope")
    assert result.exit_code == 2 and "'nope' is not a measure" in result.stderr


def test_psi_of_near_identical_rows_against_mpmath(run):
    """The accuracy fixture's exact Jeffreys values (mpmath, 80 digits) of probability rows, through -m psi."""
    from pathlib import Path

    fixture = json.loads((Path(__file__).resolve().parents[1] / "reference" / "accuracy.json").read_text())
    cases = [case for case in fixture["cases"] if case["command"] == "jeffreys" and case["p_as"] == "probs"
             and case["q_as"] == "probs" and not case["options"] and isinstance(case["p"], list)
             and case["rows"] == 1][:6]
    assert cases
    for case in cases:
        rtol = Decimal(str(fixture["bounds"][case["bound"]]["rtol"]))
        got = value(run, "compare", ",".join(case["p"][0]), ",".join(case["q"][0]), "-m", "psi")
        exact = Decimal(case["exact"]["rows"][0])
        assert abs(Decimal(got) - exact) <= rtol * abs(exact) + Decimal("1e-20"), case["id"]


# --------------------------------------------------------------------------------------------
# raw samples


def _columns(path, columns: dict) -> str:
    names = list(columns)
    rows = zip(*columns.values())
    path.write_text(",".join(names) + "\n" + "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows))
    return str(path)


def test_raw_measurements_warn_and_the_run_still_happens(run, tmp_path):
    rng = np.random.default_rng(3)
    ref = _columns(tmp_path / "ref.csv", {"latency": rng.gamma(2, 3, 400)})
    cur = _columns(tmp_path / "cur.csv", {"latency": rng.gamma(2, 3.3, 400)})
    result = run("kl", ref, cur, "--columns", "--normalize", "-q")
    assert result.exit_code == 0 and float(result.stdout) >= 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "these look like raw samples" in lines[0] and "`divcli drift` bins them" in lines[0]


def test_negative_measurements_are_refused_pointing_to_drift(run, tmp_path):
    ref = _columns(tmp_path / "ref.csv", {"x": [0.5, -1.25, 2.0]})
    result = run("kl", ref, ref, "--columns", "--normalize")
    assert result.exit_code == 1 and "negative value '-1.25'" in result.stderr and "divcli drift" in result.stderr


def test_many_whole_numbers_are_samples_but_counts_and_shares_are_not(run, tmp_path):
    big = _columns(tmp_path / "big.csv", {"n": np.arange(1, 1202) % 7 + 1})
    assert "raw samples" in run("entropy", big, "--columns", "--normalize", "-q").stderr
    counts = _columns(tmp_path / "counts.csv", {"a": [120, 340, 540, 0], "b": [3, 5, 9, 1]})
    shares = _columns(tmp_path / "shares.csv", {"a": [0.25, 0.25, 0.5, 0.0], "b": [12.5, 37.5, 25, 25]})
    for path in (counts, shares):
        result = run("kl", path, path, "--columns", "--normalize", "-q")
        assert result.exit_code == 0 and result.stderr == ""
