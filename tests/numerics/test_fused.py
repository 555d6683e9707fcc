"""numba's fused accurate kernel (divcli/numerics/fused.py) against numpy's (divcli/numerics/accurate.py),
and when divcli takes it (divcli/numerics/fast_path.py). The two may differ in the last bits; each must be
within the bounds of docs/accuracy.md (tests/numerics/test_accuracy.py checks both against the exact values
of the reference fixture). Without numba (the ``fast`` extra) the comparisons skip, saying so, and the
rest checks that the numpy path is taken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from divcli.numerics import fast_path

pytestmark = pytest.mark.numeric

ROOT = Path(__file__).resolve().parents[2]
#: docs/accuracy.md's bound for near-identical P and Q: |value − exact| ≤ 1e-12·|exact| + 1e-20. Two
#: values within it of the same exact one are within twice of each other.
NEAR = 1e-12
FLOOR = 1e-20


def with_kernel(monkeypatch, kernel: str, compute):
    monkeypatch.setenv(fast_path.KERNEL, kernel)
    return compute()


def both_paths(monkeypatch, compute) -> tuple:
    """``compute()`` on numpy's kernel, then on the fused one (numba needed)."""
    needs("numba")
    return with_kernel(monkeypatch, "numpy", compute), with_kernel(monkeypatch, "fused", compute)


def assert_close(fused, plain, rtol=2 * NEAR, atol=2 * FLOOR):
    fused, plain = np.asarray(fused, dtype=np.float64), np.asarray(plain, dtype=np.float64)
    assert np.array_equal(np.isposinf(fused), np.isposinf(plain))
    finite = np.isfinite(plain)
    gap = np.abs(fused[finite] - plain[finite])
    assert np.all(gap <= rtol * np.abs(plain[finite]) + atol), float(np.max(gap / np.maximum(np.abs(plain[finite]), atol)))


def lm_logits(rows: int, classes: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A language model's float16 logits (Zipf-like: log-ranks, shuffled) and a candidate's: the same
    plus small noise, as a quantized model's."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, classes + 1, dtype=np.float64)
    base = -1.1 * np.log(ranks)[rng.permuted(np.tile(np.arange(classes), (rows, 1)), axis=1)]
    base += 0.5 * rng.standard_normal((rows, classes))
    return base.astype(np.float16), (base + noise * rng.standard_normal((rows, classes))).astype(np.float16)


def per_row(p, q, **kwargs) -> dict[str, np.ndarray]:
    return {"kl": divcli.kl_divergence(p, q, reduction="row", **kwargs),
            "terms": divcli.kl_divergence(p, q, reduction="none", **kwargs),
            "ce": divcli.cross_entropy(p, q, reduction="none", **kwargs),
            "entropy": divcli.entropy(p, reduction="none", p_as=kwargs.get("p_as", "probs"))}


@pytest.mark.parametrize("noise", [1e-2, 1e-4])
def test_the_paths_agree_on_language_model_logits(monkeypatch, noise):
    p, q = lm_logits(64, 32768, noise)
    plain, fused = both_paths(monkeypatch, lambda: per_row(p, q, p_as="logits", q_as="logits"))
    assert np.all(plain["kl"] > 0)
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])
    # a term p·log(p/q) is off by p times log(p/q)'s error, a few ε of the logs' size (below 40 here)
    z = p.astype(np.float64)
    probabilities = np.exp(z - z.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    assert np.all(np.abs(fused["terms"] - plain["terms"]) <= 1e-13 * probabilities + 2 * FLOOR)


def test_the_paths_agree_on_language_model_probabilities(monkeypatch):
    p, q = (np.exp(x.astype(np.float64)) for x in lm_logits(16, 8192, 1e-3, seed=1))
    p, q = p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)
    plain, fused = both_paths(monkeypatch, lambda: per_row(p, q))
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])


def adversarial(classes: int = 5000) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """Near-identical pairs that cost the plain formulas their digits: shifts of 1e-9 … 1e-15, a
    constant added to the logits (the same distribution), masked classes, zeros, a confident row,
    probabilities as small as float64 allows."""
    rng = np.random.default_rng(7)
    z = 4 * rng.standard_normal((6, classes))
    cases = [(f"shift {shift:g}", z, z + shift * rng.standard_normal(z.shape), "logits")
             for shift in (1e-9, 1e-12, 1e-15)]
    cases.append(("a constant added", z, z + 1000.0, "logits"))
    masked = z.copy()
    masked[:, ::7] = -np.inf
    cases.append(("masked classes", masked, masked + 1e-10 * np.isfinite(masked) * rng.standard_normal(z.shape), "logits"))
    confident = z.copy()
    confident[:, 0] = 800.0
    cases.append(("a confident row", confident, confident + 1e-6 * rng.standard_normal(z.shape), "logits"))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p[:, ::5] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    q = p * (1 + 1e-11 * rng.standard_normal(p.shape))
    cases.append(("probabilities with zeros", p, q / q.sum(axis=1, keepdims=True), "probs"))
    tiny = p.copy()
    tiny[:, ::5] = 1e-300  # where p is 0: the sums stay 1
    tiny[0, 10] = 5e-324
    cases.append(("probabilities of 1e-300", tiny, np.where(tiny < 1e-200, tiny[::-1], q), "probs"))
    return cases


@pytest.mark.parametrize("name, p, q, kind", adversarial(), ids=[case[0] for case in adversarial()])
def test_the_paths_agree_on_near_identical_rows(monkeypatch, name, p, q, kind):
    kwargs = {"p_as": kind, "q_as": kind}
    plain, fused = both_paths(monkeypatch, lambda: per_row(p, q, **kwargs))
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])
    assert np.all(fused["kl"] >= 0)


def test_the_mixed_kinds_agree(monkeypatch):
    p, q = lm_logits(8, 8192, 1e-3, seed=2)
    probabilities = np.exp(q.astype(np.float64))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    plain, fused = both_paths(monkeypatch, lambda: per_row(p, probabilities, p_as="logits", q_as="probs"))
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])


def test_one_row_against_many_and_a_weighted_cross_entropy(monkeypatch):
    p, q = lm_logits(8, 4096, 1e-3, seed=3)
    weight = np.linspace(0.5, 2.0, 4096)

    def compute():
        return (divcli.kl_divergence(p[:1], q, p_as="logits", q_as="logits", reduction="row"),
                divcli.kl_divergence(p, q[:1], p_as="logits", q_as="logits", reduction="row"),
                divcli.cross_entropy(p, q, p_as="logits", q_as="logits", reduction="none", weight=weight))

    for plain, fused in zip(*both_paths(monkeypatch, compute)):
        assert_close(fused, plain)


def test_infinite_terms_are_infinite_on_both_paths(monkeypatch):
    p = np.full((2, 4096), 1 / 4096)
    q = p.copy()
    q[0, 5] = 0.0  # q = 0 where p is not: +inf, however close the rest
    q[0, 6] = 2 / 4096
    plain, fused = both_paths(monkeypatch, lambda: per_row(p, q))
    assert fused["kl"][0] == plain["kl"][0] == np.inf and fused["ce"][0] == np.inf
    assert fused["terms"][0, 5] == np.inf and np.isfinite(fused["terms"][0, 6])
    assert fused["kl"][1] == plain["kl"][1] == 0.0


def test_the_numbers_do_not_depend_on_the_threads(monkeypatch):
    needs("numba")
    p, q = lm_logits(40, 8192, 1e-3, seed=4)
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    one = divcli.kl_divergence(p, q, p_as="logits", q_as="logits", reduction="row", threads=1)
    four = divcli.kl_divergence(p, q, p_as="logits", q_as="logits", reduction="row", threads=4)
    alone = [divcli.kl_divergence(p[n:n + 1], q[n:n + 1], p_as="logits", q_as="logits", reduction="row")[0]
             for n in (0, 17, 39)]
    assert one.tobytes() == four.tobytes()
    assert alone == [one[0], one[17], one[39]]


# ---------------------------------------------------------------- which path


@pytest.mark.parametrize("setting, classes, installed, fused", [
    ("", fast_path.FUSED_CLASSES, True, True),
    ("", fast_path.FUSED_CLASSES - 1, True, False),
    ("", 10**6, False, False),
    ("numpy", 10**6, True, False),
    ("NumPy ", 10**6, True, False),
    ("fused", 3, True, True),
    ("fused", 10**6, False, False),  # no numba: the numpy path, silently
    ("something else", 3, True, False),
    ("something else", 10**6, True, True),
])
def test_the_path_is_chosen_by_the_classes_and_the_variable(monkeypatch, setting, classes, installed, fused):
    monkeypatch.setenv(fast_path.KERNEL, setting)
    monkeypatch.setattr(fast_path, "_installed", lambda: installed)
    assert fast_path.use_fused(classes) is fused


def imported_numba(*args: str, env: dict | None = None) -> tuple[bool, subprocess.CompletedProcess]:
    """Run ``divcli ARGS`` in a fresh interpreter: whether it imported numba, and the run."""
    code = ("import sys\nfrom divcli.cli import main\nsys.argv = ['divcli'] + sys.argv[1:]\ntry:\n    main()\n"
            "except SystemExit:\n    pass\nprint('numba' in sys.modules, file=sys.stderr)")
    environment = {key: value for key, value in os.environ.items() if key != fast_path.KERNEL}
    environment.update({"PYTHONPATH": str(ROOT), **(env or {})})
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                            env=environment, timeout=120)
    return result.stderr.strip().splitlines()[-1] == "True", result


@pytest.mark.parametrize("args", [["kl", "0.5,0.25,0.25", "0.5,0.25000000000001,0.24999999999999", "-q"],
                                  ["kl", "--help"], ["entropy", "0.5,0.5", "-q"]])
def test_a_small_call_never_imports_numba(args):
    """The accurate path runs here (P ≈ Q), on rows far narrower than FUSED_CLASSES: numpy's."""
    imported, result = imported_numba(*args)
    assert not imported, result.stderr


def test_wide_rows_take_the_fused_kernel(tmp_path):
    needs("numba")
    p, q = lm_logits(2, fast_path.FUSED_CLASSES, 1e-3, seed=5)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    imported, result = imported_numba("kl", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--p-as", "logits",
                                      "--q-as", "logits", "-q")
    assert imported, result.stderr


def test_an_unwritable_cache_folder_changes_nothing(tmp_path, monkeypatch):
    """numba keeps compiled kernels in a cache folder; where it cannot write one (here a path under a
    file: not even root can make it) the kernels are compiled in memory, without a word."""
    needs("numba")
    p, q = lm_logits(2, 512, 1e-3, seed=6)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    (tmp_path / "a-file").write_text("")
    args = ("kl", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--p-as", "logits", "--q-as", "logits", "-q")
    imported, result = imported_numba(*args, env={"NUMBA_CACHE_DIR": str(tmp_path / "a-file" / "cache"),
                                                  "PYTHONWARNINGS": "default", "DIVCLI_KERNEL": "fused"})
    assert result.returncode == 0 and result.stderr.strip() == "True", result.stderr
    monkeypatch.setenv(fast_path.KERNEL, "numpy")
    value = divcli.kl_divergence(p, q, p_as="logits", q_as="logits")
    assert abs(float(result.stdout) - value) <= 2 * NEAR * value
