"""numba's fused kernel on logits softened by a temperature (``-T``, divcli/numerics/fused_tempered.py)
against numpy's accurate kernels: both within the bounds of docs/accuracy.md (test_accuracy.py checks
both against the exact values, the near-temperature and large-temperature families included), so
within twice of each other; the bytes the same for any threads and blocks; the softmax of z/T
computed only where shown; and the operands the fused kernel leaves to numpy's kernels."""

from __future__ import annotations

import os

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from test_fused import FLOOR, NEAR, assert_close, both_paths, csv_columns, lm_logits, numbers, per_row, with_kernel
from divcli.computations import divergence_rows
from divcli.numerics import accurate, distributions, fast_path
from divcli.readers import sizes
from divcli.readers.operand import Operand
from divcli.vocabulary import Conversion, Kind

pytestmark = pytest.mark.numeric

#: docs/accuracy.md's bound at a large temperature: 1e-14·|exact|, no absolute floor.
TEMPERED = 1e-14


def tempered_rows(p, q, temperature: float) -> dict[str, np.ndarray]:
    return per_row(p, q, p_as="logits", q_as="logits", temperature=temperature) | {
        "entropy": divcli.entropy(p, p_as="logits", temperature=temperature, reduction="none")}


@pytest.mark.parametrize("temperature", [2.0, 0.5, 7.3, 1e3])
@pytest.mark.parametrize("noise", [1e-2, 1e-3])
def test_the_paths_agree_on_language_model_logits_at_a_temperature(monkeypatch, temperature, noise):
    p, q = lm_logits(24, 16384, noise, seed=11)
    plain, fused = both_paths(monkeypatch, lambda: tempered_rows(p, q, temperature))
    assert np.all(plain["kl"] > 0)
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])
    # a term p·log(p/q) is off by p times log(p/q)'s error, a few ε of the logs' size (below 40 / T here)
    z = p.astype(np.float64) / temperature
    probabilities = np.exp(z - z.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    assert np.all(np.abs(fused["terms"] - plain["terms"]) <= 1e-13 * probabilities + 2 * FLOOR)


@pytest.mark.parametrize("temperature", [1e4, 1e16, 1e100])
def test_a_large_temperature_keeps_every_digit_on_both_paths(monkeypatch, temperature):
    """KL of order Var(z_q − z_p)/T² (1e-205 at T = 1e100): 1e-14 relative, no absolute floor (the
    s-form on both paths); a constant added to Q's logits changes nothing."""
    p, q = lm_logits(8, 8192, 1e-3, seed=12)
    q = q.astype(np.float64) + 1000.0
    plain, fused = both_paths(monkeypatch, lambda: tempered_rows(p, q, temperature))
    assert np.all(plain["kl"] > 0) and np.all(plain["kl"] < 1e-2 / temperature**2)
    assert_close(fused["kl"], plain["kl"], rtol=2 * TEMPERED, atol=0.0)
    assert_close(fused["ce"], plain["ce"])


def adversarial_at(temperature: float, classes: int = 4096) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Near-identical rows at T: noise of 1e-9 and 1e-13, a constant added, far-apart logits with an
    offset of 1e6 (z/T rounds at 1e-10 there), masked classes (the same, and others: no s-form), rows
    too far apart for the s-form (|z_q − z_p| above T), and a confident row."""
    rng = np.random.default_rng(13)
    z = 4 * rng.standard_normal((4, classes))
    cases = [(f"noise {noise:g}", z, z + noise * rng.standard_normal(z.shape)) for noise in (1e-9, 1e-13)]
    cases.append(("a constant added", z, z + 1000.0 + 1e-9 * rng.standard_normal(z.shape)))
    cases.append(("an offset of 1e6", z + 1e6, z + 1e6 + 1e-7 * rng.standard_normal(z.shape)))
    masked = z.copy()
    masked[:, ::7] = -np.inf
    cases.append(("masked classes", masked, masked + 1e-10 * np.isfinite(masked) * rng.standard_normal(z.shape)))
    other = masked.copy()
    other[:, 7] = 0.5  # masked in P, not in Q
    cases.append(("other classes masked", masked, other))
    cases.append(("far apart", z, 4 * rng.standard_normal(z.shape) + 3 * temperature * (rng.random(z.shape) < 0.01)))
    confident = z.copy()
    confident[:, 0] = 800.0
    cases.append(("a confident row", confident, confident + 1e-6 * rng.standard_normal(z.shape)))
    return cases


@pytest.mark.parametrize("temperature", [2.0, 0.5, 1e-3])
@pytest.mark.parametrize("index", range(8))
def test_the_paths_agree_on_near_identical_rows_at_a_temperature(monkeypatch, temperature, index):
    name, p, q = adversarial_at(temperature)[index]
    plain, fused = both_paths(monkeypatch, lambda: tempered_rows(p, q, temperature))
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])
    assert np.all(fused["kl"] >= 0), name


def test_p_and_q_softened_by_different_temperatures(monkeypatch):
    """distill's usual mistakes soften one side only: P at T against Q at 1 (and the other way), by
    the fused kernel's rows of both softmaxes, against numpy's accurate kernels."""
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    p, q = lm_logits(6, 8192, 1e-3, seed=14)
    for t_p, t_q in ((2.0, 1.0), (1.0, 3.0), (0.5, 7.3)):
        dp, dq = (distributions.to_distribution(Operand(x, role), Kind.LOGITS, role, Conversion(temperature=t),
                                                deferred=True) for x, role, t in ((p, "P", t_p), (q, "Q", t_q)))
        assert fast_path.takes(dp, dq)
        rows = np.arange(p.shape[0])
        kl, entropy, cross = np.zeros(6), np.zeros(6), np.zeros(6)
        fast_path.divergence_rows(dp, dq, rows, rows, rows, kl, entropy, cross)
        exact_p, exact_q = dp.exact_rows(), dq.exact_rows()
        assert_close(kl, accurate.kl_rows(exact_p, exact_q))
        assert_close(entropy, accurate.entropy_rows(exact_p))
        assert_close(cross, accurate.cross_entropy_rows(exact_p, exact_q))


@pytest.mark.parametrize("p_kind, q_kind, taken", [("logits", "logits", True), ("log-probs", "logits", True),
                                                   ("probs", "logits", False), ("labels", "logits", False)])
def test_which_softened_operands_the_fused_kernel_takes(monkeypatch, p_kind, q_kind, taken):
    """Logits and log-probabilities at T (softmax(z/T)); not probabilities (p^(1/T)), nor labels beside a
    softened Q: those stay on numpy's kernels."""
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    monkeypatch.setattr(fast_path, "_installed", lambda: True)
    p, q = lm_logits(2, 64, 1e-3, seed=15)
    p = p.astype(np.float64)
    values = {"logits": p, "log-probs": p - np.log(np.exp(p).sum(axis=1, keepdims=True)),
              "probs": np.exp(p) / np.exp(p).sum(axis=1, keepdims=True), "labels": np.array([[3], [5]])}[p_kind]
    conversion = Conversion(temperature=2.0)
    dp = distributions.to_distribution(Operand(values, "P"), Kind(p_kind), "P", conversion, classes=64)
    dq = distributions.to_distribution(Operand(q, "Q"), Kind(q_kind), "Q", conversion)
    assert fast_path.takes(dp, dq) is taken


def test_the_softened_bytes_do_not_depend_on_threads_or_blocks(run, tmp_path, monkeypatch):
    """kl at T on near rows (the s-form), far ones (both softmaxes) and masked ones, -f csv: the same
    bytes for 1, 2 and 4 threads and any block size; and within the bounds of numpy's path."""
    needs("numba")
    p, q = lm_logits(6, 2048, 1e-3, seed=16)
    q = q.astype(np.float64)
    q[1] += 8 * np.random.default_rng(17).standard_normal(2048)  # too far apart for the s-form
    q[2, ::5] = p[2, ::5] = -np.inf
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    args = ["kl", tmp_path / "p.npy", tmp_path / "q.npy", "--p-as", "logits", "--q-as", "logits", "-T", "2",
            "-f", "csv", "--reduction", "none"]
    plain = run(*args)
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    one = run(*args, "--threads", "1")
    assert one.exit_code == 0 and one.stderr == plain.stderr
    expected, got = csv_columns(plain.stdout), csv_columns(one.stdout)
    for title in ("entropy_p", "cross_entropy", "kl_divergence"):
        assert_close(numbers(got[title]), numbers(expected[title]))
    for threads in ("2", "4"):
        assert run(*args, "--threads", threads).stdout == one.stdout
    for first, elements in ((1, 2048), (2, 4096)):
        monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", first)
        monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", elements)
        assert run(*args, "--threads", "2").stdout == one.stdout


def test_the_softmax_at_a_temperature_is_computed_only_where_shown(run, tmp_path, monkeypatch):
    """kl -T 2 -q of wide logits by the fused kernel: no softmax of z/T, no plain KL on the way."""
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    calls = []
    real_softmax, real_kl_rows = distributions.softmax, divergence_rows.kl_rows
    monkeypatch.setattr(distributions, "softmax", lambda *a, **k: calls.append("softmax") or real_softmax(*a, **k))
    monkeypatch.setattr(divergence_rows, "kl_rows", lambda *a, **k: calls.append("kl_rows") or real_kl_rows(*a, **k))
    p, q = lm_logits(4, 8192, 1e-3, seed=18)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    result = run("kl", tmp_path / "p.npy", tmp_path / "q.npy", "--p-as", "logits", "--q-as", "logits", "-T", "2", "-q")
    assert result.exit_code == 0 and calls == []
    monkeypatch.setenv(fast_path.KERNEL, "numpy")
    expected = divcli.kl_divergence(p, q, p_as="logits", q_as="logits", temperature=2.0)
    assert abs(float(result.stdout) - expected) <= 2 * NEAR * expected


def test_a_division_by_a_small_temperature_that_overflows_is_refused_on_both_paths(run, tmp_path, monkeypatch):
    needs("numba")
    p = np.zeros((2, 512))
    p[1, 3] = 1e308
    np.save(tmp_path / "p.npy", p)
    args = ("kl", tmp_path / "p.npy", tmp_path / "p.npy", "--p-as", "logits", "--q-as", "logits", "-T", "0.5")
    plain, fused = both_paths(monkeypatch, lambda: run(*args))
    assert plain.exit_code == fused.exit_code != 0
    assert fused.stderr == plain.stderr and "overflows float64" in fused.stderr


@pytest.mark.parametrize("temperature", [2.0, 0.5])
def test_js_compare_and_matrix_at_a_temperature_are_those_of_the_softened_rows(monkeypatch, temperature):
    """The fused kernel's pass for compare's other measures reads the rows as given: with -T those
    measures (JS, TV, χ²…, and matrix's) must come from the softened rows, on either path."""
    p, q = lm_logits(6, 9000, 1e-1, seed=5)
    softened_p, softened_q = p / temperature, q / temperature

    def measures(p, q, temperature):
        compared = divcli.compare(p, q, p_as="logits", q_as="logits", temperature=temperature, reduction="none")
        return {"js": divcli.js_divergence(p, q, p_as="logits", q_as="logits", temperature=temperature,
                                           reduction="none"),
                "matrix": divcli.divergence_matrix(p, "js", p_as="logits", temperature=temperature).ravel(),
                **{key: np.asarray(values, dtype=np.float64) for key, values in compared.items()}}

    plain, fused = both_paths(monkeypatch, lambda: measures(p, q, temperature))
    reference = with_kernel(monkeypatch, "numpy", lambda: measures(softened_p, softened_q, 1.0))
    for key, values in reference.items():
        assert_close(plain[key], values, rtol=1e-9, atol=1e-15)
        assert_close(fused[key], values, rtol=1e-9, atol=1e-15)
