"""numba's fused accurate kernel (divcli/numerics/fused.py) against numpy's (divcli/numerics/accurate.py),
and when divcli takes it (divcli/numerics/fast_path.py). The two may differ in the last bits; each must be
within the bounds of docs/accuracy.md (tests/numerics/test_accuracy.py checks both against the exact values
of the reference fixture). Without numba (the ``fast`` extra) the comparisons skip, saying so, and the
rest checks that the numpy path is taken."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from divcli.computations import divergence_rows
from divcli.computations.runs import compute
from divcli.numerics import distributions, fast_path
from divcli.readers import sizes
from divcli.readers.operand import Operand
from divcli.vocabulary import Command, make_options

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
    atol = np.broadcast_to(atol, plain.shape)[finite]
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


# ---------------------------------------------------------------- every row on the fused kernel
# Where the fused kernel is taken it computes every row of a block (no plain pass before it): each
# field a command writes must agree with numpy's path within the bounds, and its bytes must not
# depend on the threads or the block sizes.


def cli_case(folder: Path, name: str) -> list[str]:
    """The arguments of one command on .npy operands written into ``folder``: language-model logits,
    near-identical rows, masked classes, +inf terms, labels with an ignored row and class weights."""
    if name == "lm":
        p, q = lm_logits(6, 8192, 1e-3, seed=8)
        kinds = ["--p-as", "logits", "--q-as", "logits"]
    elif name == "masked":
        p, q = adversarial(512)[4][1:3]
        kinds = ["--p-as", "logits", "--q-as", "logits"]
    elif name == "near":
        p, q = adversarial(512)[1][1:3]
        kinds = ["--p-as", "logits", "--q-as", "logits"]
    elif name == "inf":
        p = np.full((5, 512), 1 / 512)
        q = p.copy()
        q[1, 5], q[1, 6], q[3, 0], q[3, 1] = 0.0, 2 / 512, 0.0, 2 / 512  # q = 0 where p is not: +inf
        kinds = []
    else:  # "labels": ce of labels (row 3 ignored) against logits, weighted
        p = np.array([3, 0, 511, -100, 7, 200])
        q = lm_logits(6, 512, 1e-3, seed=9)[1]
        np.savetxt(folder / "weight.csv", np.linspace(0.5, 2.0, 512)[None, :], delimiter=",")
        kinds = ["--p-as", "labels", "--q-as", "logits", "--ignore-index", "-100", "--weight", str(folder / "weight.csv")]
    np.save(folder / f"{name}-p.npy", p)
    np.save(folder / f"{name}-q.npy", q)
    return [str(folder / f"{name}-p.npy"), str(folder / f"{name}-q.npy"), *kinds]


CASES = [("kl", "lm"), ("kl", "masked"), ("kl", "near"), ("kl", "inf"), ("ce", "lm"), ("ce", "inf"),
         ("ce", "labels"), ("entropy", "lm"), ("entropy", "masked")]


def command_line(tmp_path, command: str, case: str, *more: str) -> list[str]:
    args = cli_case(tmp_path, case)
    if command == "entropy":  # P alone, as it was given
        args = [args[0]] + (["--p-as", args[3]] if "--p-as" in args else [])
    return [command, *args, *more]


def probabilities(args: list[str]) -> np.ndarray:
    """P of a command line of :func:`command_line`: the softmax of its logits, or its rows."""
    p = np.load(args[1]).astype(np.float64)
    if p.ndim == 1:  # labels: no terms are compared
        return p
    if "--p-as" in args and args[args.index("--p-as") + 1] == "logits":
        p = np.exp(p - p.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def csv_columns(text: str) -> dict[str, list[str]]:
    """The columns of a ``-f csv`` output, by title, as text."""
    lines = [line.split(",") for line in text.strip().splitlines()]
    return {title: [line[index] for line in lines[1:]] for index, title in enumerate(lines[0])}


def numbers(cells: list[str]) -> np.ndarray | None:
    """A column's numbers (nan for an empty cell: a row ce ignores), or None for a column of words (a flag)."""
    try:
        return np.array([float(cell) if cell else np.nan for cell in cells])
    except ValueError:
        return None


@pytest.mark.parametrize("command, case", CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_every_field_agrees_on_both_paths(run, tmp_path, monkeypatch, command, case):
    """Per-row H(P), H(P,Q), D(P‖Q), the check column and kl's element terms (``--reduction none``)
    within the bounds; the warnings (+inf terms) and the rest of the output word for word."""
    args = command_line(tmp_path, command, case, "-f", "csv", "--reduction", "none")
    plain, fused = both_paths(monkeypatch, lambda: run(*args))
    assert plain.exit_code == fused.exit_code == 0, fused.stderr
    assert fused.stderr == plain.stderr
    assert ("is +inf" in fused.stderr) == (case == "inf")
    expected, got = csv_columns(plain.stdout), csv_columns(fused.stdout)
    assert list(got) == list(expected) and len(expected) > 1
    p = probabilities(args)
    for title, cells in expected.items():
        values = numbers(cells)
        if values is None or title in ("row", "label"):
            assert got[title] == cells
            continue
        assert [cell == "" for cell in got[title]] == [cell == "" for cell in cells]
        if title.startswith("term:"):  # off by p times log(p/q)'s error, a few ε of the logs' size
            assert_close(numbers(got[title]), values, rtol=0.0, atol=1e-13 * p[:, int(title[5:])] + 2 * FLOOR)
        elif title == "kl_divergence" and command == "ce":  # numpy's path holds ce's H(P,Q) to the bound, not D
            assert_close(numbers(got[title]), values, atol=64 * np.finfo(float).eps * numbers(expected["cross_entropy"]))
        elif title == "check":  # a rounding residue: as small on both paths, nan on the same rows
            fused_values = numbers(got[title])
            assert np.array_equal(np.isnan(fused_values), np.isnan(values))
            assert np.all(np.abs(fused_values[np.isfinite(values)]) <= 1e-12)
        else:
            assert_close(numbers(got[title]), values)


@pytest.mark.parametrize("command, case", CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_the_fused_bytes_do_not_depend_on_threads_or_blocks(run, tmp_path, monkeypatch, command, case):
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)  # 4 threads, no note
    rows = command_line(tmp_path, command, case, "-f", "csv", "--reduction", "none")
    quiet = command_line(tmp_path, command, case, "-q")
    one = {name: run(*args, "--threads", "1") for name, args in (("rows", rows), ("quiet", quiet))}
    assert one["rows"].exit_code == 0, one["rows"].stderr
    for threads in ("2", "4"):
        for name, args in (("rows", rows), ("quiet", quiet)):
            other = run(*args, "--threads", threads)
            assert (other.stdout, other.stderr) == (one[name].stdout, one[name].stderr)
    for first, elements in ((1, 512), (2, 1024), (3, 8192 * 3)):  # blocks of one row and more
        monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", first)
        monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", elements)
        cut = run(*rows, "--threads", "2")
        assert (cut.stdout, cut.stderr) == (one["rows"].stdout, one["rows"].stderr)


def test_the_fused_path_computes_no_softmax_unless_one_is_shown(run, tmp_path, monkeypatch):
    """kl of wide logits with -q: no plain softmax nor plain KL on the way (the kernel reads the
    logits); a table of two rows shows each row's breakdown, whose p and q come from the softmax."""
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    calls = []
    real_softmax, real_kl_rows = distributions.softmax, divergence_rows.kl_rows
    monkeypatch.setattr(distributions, "softmax", lambda *a, **k: calls.append("softmax") or real_softmax(*a, **k))
    monkeypatch.setattr(divergence_rows, "kl_rows", lambda *a, **k: calls.append("kl_rows") or real_kl_rows(*a, **k))
    args = cli_case(tmp_path, "lm")
    result = run("kl", *args, "-q")
    assert result.exit_code == 0 and float(result.stdout) > 0 and calls == []
    p, q = (np.load(path)[:2] for path in args[:2])
    np.save(tmp_path / "p2.npy", p)
    np.save(tmp_path / "q2.npy", q)
    table = run("kl", tmp_path / "p2.npy", tmp_path / "q2.npy", *args[2:], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "row 2: D(P‖Q)" in table.stdout
    assert calls == ["softmax", "softmax"]  # P's and Q's, for the breakdown only


def test_a_kept_block_carries_its_arrays(monkeypatch):
    """A block of a few rows kept for Dask's client holds P's and Q's arrays themselves (nothing left
    to compute later), the same as the sides computed where the block was made."""
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    p, q = lm_logits(3, 1024, 1e-3, seed=10)
    options = make_options("logits", "logits", "none")
    report = compute(Command.KL, Operand(p.astype(np.float64), "p"), Operand(q.astype(np.float64), "q"),
                     options).reports[0]
    assert report.sides.later is not None and "made" not in report.sides.__dict__  # nothing computed yet
    kept = pickle.loads(pickle.dumps(report.kept()))
    assert kept.sides.later is None
    z = p.astype(np.float64)
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(kept.p_probs, expected, rtol=1e-14, atol=0)
    assert np.array_equal(kept.q_log, report.q_log) and kept.q_probs is None
    assert np.array_equal(kept.sliced(1, 2).p_log, report.p_log[1:2])


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
