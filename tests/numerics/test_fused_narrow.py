"""The fused kernel on narrow rows of two logit operands (divcli/numerics/fused_narrow.py: a tile of rows
at a time, SIMD code across the rows) against numpy's accurate path, and its numbers a function of the
row alone: not of the rows beside it in its tile, the block, the threads or the dtype it was stored in.
test_accuracy.py checks it against the exact values of the reference fixture (DIVCLI_KERNEL=fused: its
cases are narrow rows)."""

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
NEAR, FLOOR = 1e-12, 1e-20


def kernel_modules():
    """fused.py and fused_narrow.py (numba imported)."""
    needs("numba")
    fused = fast_path.fused()
    from divcli.numerics import fused_narrow
    return fused, fused_narrow


def cases(classes: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Pairs of logit blocks of ``classes`` classes that the plain formulas lose digits on, and some
    that take the kernel's other branches: near-identical rows, a constant added, masked classes, ties
    of the maximum, a confident row, logits far apart."""
    rng = np.random.default_rng(classes)
    z = 4 * rng.standard_normal((70, classes))  # more than a tile: a full one and a padded one
    found = [(f"shift {shift:g}", z, z + shift * rng.standard_normal(z.shape)) for shift in (1e-3, 1e-9, 1e-13)]
    found.append(("a constant added", z, z + 1000.0))
    masked = z.copy()
    masked[:, ::3] = -np.inf
    masked[:, 1] = np.maximum(masked[:, 1], 0.0)  # one class left unmasked at least
    found.append(("masked classes", masked, masked + 1e-10 * np.isfinite(masked) * rng.standard_normal(z.shape)))
    ties = np.round(z)
    ties[:, : min(classes, 3)] = 20.0  # several maxima
    found.append(("ties of the maximum", ties, ties + 1e-7 * rng.standard_normal(z.shape)))
    confident = z.copy()
    confident[:, 0] = 800.0
    found.append(("a confident row", confident, confident + 1e-6 * rng.standard_normal(z.shape)))
    found.append(("far apart", z, 4 * rng.standard_normal(z.shape)))
    return found


def assert_close(fused, plain, rtol=2 * NEAR, atol=2 * FLOOR):
    assert np.array_equal(np.isposinf(fused), np.isposinf(plain))
    finite = np.isfinite(plain)
    gap = np.abs(fused[finite] - plain[finite])
    assert np.all(gap <= rtol * np.abs(plain[finite]) + atol), float(np.max(gap / np.abs(plain[finite])))


def per_row(p, q) -> dict[str, np.ndarray]:
    """kl's per-row values and element terms, and ce's per-row values (both operands logits)."""
    kinds = {"p_as": "logits", "q_as": "logits"}
    return {"kl": divcli.kl_divergence(p, q, reduction="row", **kinds),
            "terms": divcli.kl_divergence(p, q, reduction="none", **kinds),
            "ce": divcli.cross_entropy(p, q, reduction="none", **kinds)}


@pytest.mark.parametrize("classes", [2, 3, 16, 64, 65])
def test_narrow_rows_agree_with_numpy(monkeypatch, classes):
    """Both paths within the bounds of the same exact values (65 classes: the kernel along the rows)."""
    kernel_modules()
    for name, p, q in cases(classes):
        monkeypatch.setenv(fast_path.KERNEL, "numpy")
        plain = per_row(p, q)
        monkeypatch.setenv(fast_path.KERNEL, "fused")
        fused = per_row(p, q)
        for key in ("kl", "ce"):
            assert_close(fused[key], plain[key])
        assert np.all(fused["kl"] >= 0), name
        probabilities = np.exp(p - p.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        gap = np.abs(fused["terms"] - plain["terms"])  # p times log(p/q)'s error, a few ε of the logs' size
        assert np.all(gap <= 1e-13 * probabilities + 2 * FLOOR), name


def direct(fused, narrow, p, q, rows, want=True):
    """kl, entropy, cross and the terms of the row pairs ``p[rows]``, ``q[rows]`` by the narrow kernel."""
    (pv, pe), (qv, qe) = fused.encoded(p), fused.encoded(q)
    out = [np.full(len(rows), np.nan) for _ in range(3)]
    terms = np.full((len(rows), p.shape[1]), np.nan)
    at = np.arange(len(rows))
    narrow.narrow_pairs(pv, pe, np.asarray(rows, dtype=np.int64), qv, qe, np.asarray(rows, dtype=np.int64), want, at,
                        *out, terms)
    return (*out, terms)


@pytest.mark.parametrize("classes", [2, 16, 64])
def test_a_row_gives_the_same_bits_wherever_it_is(classes):
    """Every row alone, in tiles of other rows, at another place of its tile, in the padded last tile:
    the same bytes."""
    fused, narrow = kernel_modules()
    name, p, q = cases(classes)[2]  # near-identical rows: every bit of the KL matters
    every = np.arange(len(p))
    whole = direct(fused, narrow, p, q, every)
    for rows in ([5], [69], every[::-1], every[3:], np.r_[every[7:], every[:7]]):
        part = direct(fused, narrow, p, q, rows)
        for got, expected in zip(part, whole):
            assert got.tobytes() == expected[rows].tobytes()


def test_the_terms_are_written_only_when_asked():
    fused, narrow = kernel_modules()
    name, p, q = cases(16)[0]
    kl, _, _, terms = direct(fused, narrow, p, q, np.arange(len(p)), want=False)
    assert np.all(np.isnan(terms)) and np.all(kl > 0)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_narrow_rows_read_the_stored_dtype(dtype):
    """float16 and float32 logits give the bits of the same values in float64."""
    fused, narrow = kernel_modules()
    _, p, q = cases(16)[4]  # masked classes
    stored = p.astype(dtype), q.astype(dtype)
    wide = stored[0].astype(np.float64), stored[1].astype(np.float64)
    every = np.arange(len(p))
    for got, expected in zip(direct(fused, narrow, *stored, every), direct(fused, narrow, *wide, every)):
        assert got.tobytes() == expected.tobytes()


def test_one_row_against_many_and_the_threads(monkeypatch):
    """A row of P broadcast to every row of Q, and the same numbers on 1 and 3 threads in small blocks."""
    kernel_modules()
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    _, p, q = cases(16)[1]
    broadcast = divcli.kl_divergence(p[:1], q, p_as="logits", q_as="logits", reduction="row")
    alone = [divcli.kl_divergence(p[:1], q[n:n + 1], p_as="logits", q_as="logits", reduction="row")[0] for n in (0, 69)]
    assert alone == [broadcast[0], broadcast[69]]
    one = divcli.kl_divergence(p, q, p_as="logits", q_as="logits", reduction="row", threads=1)
    three = divcli.kl_divergence(p, q, p_as="logits", q_as="logits", reduction="row", threads=3)
    assert one.tobytes() == three.tobytes()


# ---------------------------------------------------------------- which path: the run's size


@pytest.mark.parametrize("setting, values, installed, fused", [
    ("", fast_path.FUSED_VALUES, True, True),
    ("", fast_path.FUSED_VALUES - 1, True, False),
    ("", None, True, False),  # not known at the start: by the classes alone
    ("", fast_path.FUSED_VALUES, False, False),
    ("numpy", 10**9, True, False),
])
def test_narrow_rows_take_the_fused_kernel_in_a_large_run(monkeypatch, setting, values, installed, fused):
    monkeypatch.setenv(fast_path.KERNEL, setting)
    monkeypatch.setattr(fast_path, "_installed", lambda: installed)
    assert fast_path.use_fused(16, values) is fused


def test_the_readers_that_know_their_rows_size_the_run(tmp_path):
    from divcli.engine.start import known_values
    from divcli.readers.blocks import ArrayBlocks
    from divcli.readers.operand import Operand
    from divcli.readers.textblocks import TextBlocks

    array = ArrayBlocks(Operand(np.zeros((10, 4)), "p"))
    assert known_values([array, None], 4) == 40
    (tmp_path / "p.csv").write_text("0.5,0.5\n")
    with open(tmp_path / "p.csv", "rb") as stream:
        assert known_values([array, TextBlocks(stream, "p.csv", ",", False)], 4) is None  # text counts bytes


@pytest.mark.slow
@pytest.mark.parametrize("rows, fused", [(fast_path.FUSED_VALUES // 16, True), (fast_path.FUSED_VALUES // 16 - 1, False)])
def test_a_large_file_of_narrow_rows_takes_the_fused_kernel(tmp_path, rows, fused):
    """kl of two .npy of 16 classes: numba loaded from FUSED_VALUES values on, never below."""
    needs("numba")
    rng = np.random.default_rng(3)
    for name in ("p", "q"):
        np.save(tmp_path / f"{name}.npy", rng.standard_normal((rows, 16)).astype(np.float16))
    code = ("import sys\nfrom divcli.cli import main\nsys.argv = ['divcli'] + sys.argv[1:]\ntry:\n    main()\n"
            "except SystemExit:\n    pass\nprint('numba' in sys.modules, file=sys.stderr)")
    environment = {key: value for key, value in os.environ.items() if key != fast_path.KERNEL}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", code, "kl", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"),
                             "--p-as", "logits", "--q-as", "logits", "-q"], capture_output=True, text=True, cwd=ROOT,
                            env=environment, timeout=300)
    assert result.returncode == 0 and result.stderr.strip().splitlines()[-1] == str(fused), result.stderr
