"""-T softens every kind the same way, softmax(log p / T): never silently ignored (issue 15, item 3)."""

from __future__ import annotations

import json
import math
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest

import divcli

#: kd_loss at large T against tests/reference/accuracy.json: run again with AVX-512 off (make test)
pytestmark = pytest.mark.numeric


def _soft(log_p: np.ndarray, t: float) -> np.ndarray:
    z = np.asarray(log_p, dtype=np.float64) / t
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0.0), axis=-1)


def close(a, b, rel=1e-12):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-300)


P = np.array([[0.5, 0.5], [0.2, 0.8]])
Q = np.array([[0.9, 0.1], [0.6, 0.4]])


@pytest.mark.parametrize("t", [0.5, 2.0, 3.7])
def test_probabilities_are_softened(run, t):
    result = run("kl", "0.5,0.5;0.2,0.8", "0.9,0.1;0.6,0.4", "-T", t, "-q")
    assert result.exit_code == 0, result.stderr
    expected = _kl(_soft(np.log(P), t), _soft(np.log(Q), t)).mean()
    assert close(float(result.stdout), expected)
    assert not close(float(result.stdout), _kl(P, Q).mean(), rel=1e-6)


def test_the_issue_example_is_no_longer_ignored(run):
    plain = float(run("kl", "0.5,0.5", "0.9,0.1", "-q").stdout)
    tempered = float(run("kl", "0.5,0.5", "0.9,0.1", "-T", "2", "-q").stdout)
    assert close(tempered, _kl(np.array([0.5, 0.5]), np.array([0.75, 0.25])))  # √0.9 : √0.1 = 3 : 1
    assert plain != tempered


def test_every_kind_gives_the_same_softened_row(run):
    """probs, log-probs and logits (z = log p + c) of one distribution give the same tempered values."""
    p = np.array([0.1, 0.2, 0.7])
    q = np.array([0.3, 0.3, 0.4])
    expected = _kl(_soft(np.log(p), 2.5), _soft(np.log(q), 2.5))
    texts = {
        "probs": ",".join(map(repr, (p).tolist())),
        "log-probs": ",".join(map(repr, (np.log(p)).tolist())),
        "logits": ",".join(map(repr, (np.log(p) + 3.0).tolist())),
    }
    for kind, text in texts.items():
        result = run("kl", text, ",".join(map(repr, (q).tolist())), "--p-as", kind, "-T", "2.5", "-q")
        assert result.exit_code == 0, (kind, result.stderr)
        assert close(float(result.stdout), expected), kind


def test_counts_with_normalize_and_temperature(run):
    result = run("entropy", "1,3", "--normalize", "-T", "2", "-q")
    assert close(float(result.stdout), -np.sum(_soft(np.log([0.25, 0.75]), 2) * np.log(_soft(np.log([0.25, 0.75]), 2))))


def test_labels_stay_one_hot(run):
    result = run("ce", "1;0", "0.2,0.8;0.6,0.4", "--p-as", "labels", "-T", "2", "-q")
    q = _soft(np.log(np.array([[0.2, 0.8], [0.6, 0.4]])), 2)
    assert close(float(result.stdout), -(np.log(q[0, 1]) + np.log(q[1, 0])) / 2)


def test_accurate_kernels_apply_the_same_temperature():
    """Near-equal rows send kl to the accurate kernels: the tempered value still matches."""
    p = np.array([[0.5 + 1e-9, 0.5 - 1e-9]])
    q = np.array([[0.5, 0.5]])
    value = divcli.kl_divergence(p, q, temperature=2.0)
    # softmax(log p / 2) = √p renormalised, in 50 digits
    from decimal import Decimal, localcontext

    with localcontext() as context:
        context.prec = 50
        roots = [Decimal(float(x)).sqrt() for x in p[0]]
        soft = [x / sum(roots) for x in roots]
        exact = sum(a * (a / Decimal("0.5")).ln() for a in soft)
    assert close(value, float(exact), rel=1e-12)


def test_kd_loss_for_every_kind(run_json):
    document = run_json("kl", "0.5,0.5", "0.9,0.1", "-T", "2")
    reductions = document["reductions"]
    assert close(reductions["kd_loss"], 4 * reductions["batchmean"])


def test_the_table_says_how_t_was_applied(run):
    result = run("kl", "0.5,0.5", "1,2", "--q-as", "logits", "-T", "2", env={"COLUMNS": "200"})
    assert "temperature T = 2" in result.stdout
    assert "P as p^(1/2) renormalised" in result.stdout
    assert "Q as softmax(z/2)" in result.stdout
    compare = run("compare", "0.5,0.5", "0.9,0.1", "-T", "2", env={"COLUMNS": "200"})
    assert "q^(1/2) renormalised" in compare.stdout


def test_explain_shows_the_softened_rows(run):
    result = run("explain", "0.5,0.5", "0.9,0.1", "-T", "2", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "0. Temperature T = 2" in result.stdout
    assert "softmax(log q / 2) = (0.75, 0.25)" in result.stdout
    document = json.loads(run("explain", "1,2,3", "0.2,0.3,0.5", "--p-as", "logits", "-T", "0.5", "-f", "json").stdout)
    soft = document["temperature"]
    assert soft["value"] == 0.5
    assert np.allclose(soft["p"]["softened"], _soft([1, 2, 3], 0.5), rtol=1e-12)
    assert np.allclose(soft["q"]["softened"], _soft(np.log([0.2, 0.3, 0.5]), 0.5), rtol=1e-12)
    assert np.allclose(document["p_values"], _soft([1, 2, 3], 0.5), rtol=1e-12)


def test_a_tiny_temperature_that_overflows_is_an_error(run):
    result = run("kl", "0.5,0.5", "0.9,0.1", "-T", "1e-308")
    assert result.exit_code == 1
    assert "÷ temperature 1e-308 overflows float64" in result.stderr


# --------------------------------------------------------------------------------------------
# large T: T²·D(softmax(p/T) ‖ softmax(q/T)) keeps its digits (it was 180 % off at T = 1e16)

ACCURACY = json.loads((Path(__file__).resolve().parents[1] / "reference" / "accuracy.json").read_text())
LARGE_T = [case for case in ACCURACY["cases"] if case["family"] == "large-temperature" and case["command"] == "kl"]


def _literal(rows) -> str:
    return ";".join(",".join(row) for row in rows)


def _relative_error(got: float, exact: Decimal) -> float:
    with localcontext() as context:
        context.prec = 80
        return float(abs(Decimal(got) - exact) / exact)


@pytest.mark.parametrize("case", LARGE_T, ids=[case["id"] for case in LARGE_T])
def test_distillation_loss_at_large_temperature_is_exact(run_json, case):
    """kl's kd_loss and distill's T²·KL against T²·batchmean in 50 digits (mpmath, at 2·log10(T) +
    60 digits: tests/reference/make_accuracy.py), to 1e-14 relative whatever T up to 1e100."""
    t = case["options"]["temperature"]
    with localcontext() as context:
        context.prec = 80
        exact = Decimal(case["exact"]["reductions"]["batchmean"]) * Decimal(t) ** 2
    p, q = _literal(case["p"]), _literal(case["q"])
    kl = run_json("kl", p, q, "--p-as", "logits", "--q-as", "logits", "-T", repr(t))["reductions"]["kd_loss"]
    distill = run_json("distill", p, q, "-T", repr(t))
    assert _relative_error(kl, exact) < 1e-14
    assert _relative_error(distill["t_squared_kl"], exact) < 1e-14 and distill["loss"] == distill["t_squared_kl"]


def test_large_temperature_tends_to_half_the_variance_of_the_logit_difference(run_json):
    """T²·D → ½·Var(z_q − z_p) over the classes (uniform weights) as T → ∞: at T = 1e100 the
    next term (order 1/T) is far below float64's digits."""
    rng = np.random.default_rng(7)
    zp, zq = rng.normal(0, 3, (5, 10)), rng.normal(0, 3, (5, 10))
    literal = [";".join(",".join(repr(float(x)) for x in row) for row in z) for z in (zp, zq)]
    got = run_json("kl", *literal, "--p-as", "logits", "--q-as", "logits", "-T", "1e100")["reductions"]["kd_loss"]
    assert close(got, 0.5 * np.mean(np.var(zq - zp, axis=1)), rel=1e-14)


@pytest.mark.parametrize("case", LARGE_T[-4:], ids=[case["id"] for case in LARGE_T[-4:]])
def test_every_command_with_a_temperature_keeps_the_digits(run_json, case):
    """compare's kl_pq, matrix -m kl and explain at T from 1e30 on: the same exact values as kl
    (they share the accurate kernels' log(p/q); from the logits' differences, not the normalisers)."""
    t = repr(case["options"]["temperature"])
    p, q = _literal(case["p"]), _literal(case["q"])
    with localcontext() as context:
        context.prec = 80
        exact = [Decimal(value) for value in case["exact"]["rows"]]
    compared = run_json("compare", p, q, "--p-as", "logits", "--q-as", "logits", "-T", t, "--reduction", "none")
    assert all(_relative_error(row["kl_pq"], want) < 1e-14 for row, want in zip(compared["rows"], exact))
    for n, want in enumerate(exact):
        rows = _literal([case["p"][n], case["q"][n]])
        matrix = run_json("matrix", rows, "--p-as", "logits", "-m", "kl", "-T", t)["matrix"]
        assert _relative_error(matrix[0][1], want) < 1e-14
        explained = run_json("explain", _literal([case["p"][n]]), _literal([case["q"][n]]), "--p-as", "logits",
                             "--q-as", "logits", "-T", t)
        assert _relative_error(explained["kl_divergence"]["value"], want) < 1e-14


@pytest.mark.parametrize("command", [["kl", "1,2", "2,1", "--p-as", "logits", "--q-as", "logits"],
                                     ["distill", "1,2", "2,1"]])
def test_a_temperature_beyond_where_the_loss_keeps_its_digits_is_refused(run, command):
    assert run(*command, "-T", "1e100", "-q").exit_code == 0
    result = run(*command, "-T", "1.5e100", "-q")
    assert result.exit_code == 2 and result.stdout == ""
    assert "loses its digits above T = 1e+100" in result.stderr and "give a temperature up to 1e+100" in result.stderr
