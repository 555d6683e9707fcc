"""The fused kernel's SIMD loops over probability rows (divcli/numerics/fused_probs.py) against numpy's
path: counts scaled by a power of two (down and up), entries that the scaling takes out of the normal
range, zeros on either side, a logit row against a probability row both ways, and H(P) of either kind;
every value within the bounds, KL never negative, +inf where q = 0 < p (in every kind's loop)."""

from __future__ import annotations

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from test_fused import FLOOR, assert_close, both_paths, csv_columns, lm_logits, numbers, per_row

pytestmark = pytest.mark.numeric

CLASSES = 3000


def probabilities(seed: int, rows: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Two near-identical probability rows of a language model's softmax (zeros where its logits are masked)."""
    p, q = (z.astype(np.float64) for z in lm_logits(rows, CLASSES, 1e-4, seed=seed))
    p[:, ::9] = -np.inf
    q[:, ::9] = -np.inf
    p, q = np.exp(p - p.max(axis=1, keepdims=True)), np.exp(q - q.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)


def cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    p, q = probabilities(31)
    spread = q.copy()
    spread[:, 1::9] *= 1e-100  # far apart: log(p/q) of ±230 or ±460 (|t| ≥ ½)
    spread[:, 2::9] *= 1e100
    zeros = p.copy()
    zeros[:, 3::9] = 0.0  # p = 0 < q
    tiny = p.copy()
    tiny[:, 4::9] = 5e-320  # subnormal entries (the row's sum is 1: not scaled)
    counts = p * 2.0 ** 60  # scaled down by 2^60: an entry of 1e-300 × 2^60 … below the normal range after it
    counts[:, 5::9] = 1e-300
    small = p * 2.0 ** -1040  # a sum in the subnormal range: scaled up by 2^1040, in two exact steps
    small[:, 6::9] = 0.0
    def divided(x):
        return x / x.sum(axis=1, keepdims=True)
    return [("near-identical", p, q), ("far apart", p, divided(spread)), ("zeros in p", divided(zeros), q),
            ("subnormal entries", divided(tiny), q[::-1]), ("counts", counts, q * 3.0),
            ("subnormal sums", small, q * 2.0 ** -1030)]


@pytest.mark.parametrize("name, p, q", cases(), ids=[case[0] for case in cases()])
def test_probability_rows_agree(monkeypatch, name, p, q):
    normalize = name in ("counts", "subnormal sums")

    def compute():
        return {"kl": divcli.kl_divergence(p, q, normalize=normalize, reduction="row"),
                "terms": divcli.kl_divergence(p, q, normalize=normalize, reduction="none"),
                "ce": divcli.cross_entropy(p, q, normalize=normalize, reduction="none"),
                "entropy": divcli.entropy(p, normalize=normalize, reduction="none")}
    plain, fused = both_paths(monkeypatch, compute)
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])
    assert np.all(fused["kl"] >= 0) and np.all(np.isfinite(fused["kl"]))
    # a term p·log(p/q) is off by p times log(p/q)'s error: a few ε of the logs' size
    scale = p / p.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        size = np.abs(np.log(scale)) + np.abs(np.log(q / q.sum(axis=1, keepdims=True)))
    bound = np.where(scale > 0, 1e-14 * scale * np.minimum(size, 1e300), 0.0) + 1e-318  # below: subnormal p
    assert np.all(np.abs(fused["terms"] - plain["terms"]) <= bound)


def test_weighted_cross_entropy_of_probabilities_agrees(monkeypatch):
    p, q = probabilities(32)
    weight = np.linspace(0.0, 3.0, CLASSES)
    plain, fused = both_paths(monkeypatch, lambda: divcli.cross_entropy(p, q, weight=weight, reduction="none"))
    assert_close(fused, plain)


@pytest.mark.parametrize("p_as, q_as", [("logits", "probs"), ("probs", "logits")])
def test_a_logit_row_against_a_probability_row(monkeypatch, p_as, q_as):
    z = lm_logits(6, CLASSES, 1e-4, seed=33)[0].astype(np.float64)
    z[:, ::9] = -np.inf
    x, _ = probabilities(33)
    x[:, 1::9] = 0.0  # where the logits are not masked: +inf one way, p = 0 the other
    x /= x.sum(axis=1, keepdims=True)
    p, q = (z, x) if p_as == "logits" else (x, z)
    plain, fused = both_paths(monkeypatch, lambda: per_row(p, q, p_as=p_as, q_as=q_as))
    for key in ("kl", "ce", "entropy"):
        assert_close(fused[key], plain[key])
    assert np.all(np.isposinf(fused["kl"])) == (p_as == "logits")


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_entropy_agrees(monkeypatch, kind):
    z = lm_logits(6, CLASSES, 1e-4, seed=34)[0].astype(np.float64)
    z[:, ::9] = -np.inf
    z[0, 5] = 800.0  # a confident row: H(P) of 1e-300 or so
    p = z if kind == "logits" else np.exp(z - z.max(axis=1, keepdims=True))
    p = p if kind == "logits" else p / p.sum(axis=1, keepdims=True)

    def compute():
        return (divcli.entropy(p, p_as=kind, reduction="none"),
                divcli.entropy(p * 1e-5 if kind == "probs" else p, p_as=kind, reduction="none", normalize=kind == "probs"))
    plain, fused = both_paths(monkeypatch, compute)
    for mine, theirs in zip(fused, plain):
        assert_close(mine, theirs)
    assert fused[0][0] < 1e-250


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_q_zero_where_p_is_not_is_inf_in_every_loop(monkeypatch, kind):
    """A term of +inf in the compensated sums leaves nan in their errors: the row is +inf, not nan."""
    p = np.full((2, 64), 1 / 64) if kind == "probs" else np.zeros((2, 64))
    q = p.copy()
    q[0, 5], q[0, 6] = (0.0, 2 / 64) if kind == "probs" else (-np.inf, 0.0)
    plain, fused = both_paths(monkeypatch, lambda: per_row(p, q, p_as=kind, q_as=kind))
    assert fused["kl"][0] == plain["kl"][0] == np.inf and fused["ce"][0] == np.inf
    assert fused["kl"][1] == 0.0


@pytest.mark.parametrize("scale", [2.0 ** 60, 1.0, 2.0 ** -1040], ids=["scaled down", "as given", "scaled up"])
def test_each_entry_as_accurate_prob_rows_has_it(scale):
    """Heads (exactly: the scaling by a power of two rounds as ldexp does), probabilities and logs of one
    row's entries, those that the scaling takes below the normal range (their log from before it) included."""
    needs("numba")
    from divcli.numerics import accurate, fused_probs, fused_rows

    row = np.array([0.5, 0.25, 0.125, 1e-300, 2.0 ** -1060, 0.0, 5e-324, 0.125 - 2.0 ** -40]) * scale
    exact = accurate.prob_rows(row[None, :])
    _, numbers = fused_probs.element_row(row, 0, False, np.empty(fused_rows.CHUNK))
    for i, value in enumerate(row):
        p, log_p, head, null = fused_probs.prob_element(value, numbers[:5])
        assert head == exact.head[0, i] and null == (value == 0.0)
        assert p == pytest.approx(exact.p[0, i], rel=3e-16, abs=0)
        assert log_p == exact.log_p[0, i] or abs(log_p - exact.log_p[0, i]) <= 3e-16 * abs(exact.log_p[0, i])


@pytest.mark.parametrize("dtype", ["float16", "float32"])
@pytest.mark.parametrize("command", ["kl", "ce", "entropy", "ce-labels"])
def test_stored_float16_and_float32_rows(run, tmp_path, monkeypatch, dtype, command):
    """.npy operands of probabilities and logits as stored (whatever width the kernel reads them in):
    per-row values within the bounds on both paths, a probability row against a logit row."""
    z = lm_logits(5, 1024, 1e-3, seed=35)[1].astype(dtype)
    x = np.exp(z.astype(np.float64) - z.max(axis=1, keepdims=True))
    np.save(tmp_path / "p.npy", (x / x.sum(axis=1, keepdims=True)).astype(dtype))
    np.save(tmp_path / "q.npy", z)
    np.savetxt(tmp_path / "labels.csv", np.array([[0], [5], [1023], [7], [7]]), fmt="%d")
    args = {"kl": ["kl", tmp_path / "p.npy", tmp_path / "q.npy", "--q-as", "logits", "--tolerance", "1e-2"],
            "ce": ["ce", tmp_path / "p.npy", tmp_path / "q.npy", "--q-as", "logits", "--tolerance", "1e-2"],
            "entropy": ["entropy", tmp_path / "p.npy", "--tolerance", "1e-2"],
            "ce-labels": ["ce", tmp_path / "labels.csv", tmp_path / "q.npy", "--p-as", "labels", "--q-as", "logits"]}
    plain, fused = both_paths(monkeypatch, lambda: run(*args[command], "-f", "csv"))
    assert plain.exit_code == fused.exit_code == 0, fused.stderr
    expected, got = csv_columns(plain.stdout), csv_columns(fused.stdout)
    assert list(got) == list(expected)
    for title in ("entropy_p", "cross_entropy", "kl_divergence"):
        if title in expected:  # numpy's path holds ce's H(P,Q) to the bound, not D (of 1e-16 here)
            floor = 64 * np.finfo(float).eps * numbers(expected["cross_entropy"]) if command == "ce" else 2 * FLOOR
            assert_close(numbers(got[title]), numbers(expected[title]), atol=floor)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_the_loops_read_the_stored_dtype(dtype):
    """Probability rows, a probability row against a logit row, H(P) of either and labels against either,
    given as float16 or float32: the same bits as the same values in float64 (each decoded as read)."""
    needs("numba")
    from divcli.numerics import fast_path

    kernel, probs, labels = fast_path.fused(), fast_path.fused("fused_probs"), fast_path.fused("fused_labels")
    z = lm_logits(3, CLASSES, 1e-3, seed=36)[1].astype(np.float64)
    z[1, ::7] = -np.inf
    x = np.exp(z - z.max(axis=1, keepdims=True))
    x[2, ::5] = 0.0
    x[2, 1::5] = 1e-7  # subnormal in float16
    rows, weight, classes = np.arange(3), np.linspace(0.0, 2.0, CLASSES), np.array([0, 7, 100])

    def computed(narrow):
        (xv, xe), (zv, ze) = kernel.encoded(x.astype(narrow)), kernel.encoded(z.astype(narrow))
        out = []
        for p, pe, p_logits, q, qe, want in ((xv, xe, False, xv[::-1].copy(), xe, kernel.KL_TERMS),
                                             (xv, xe, False, zv, ze, kernel.CE_TERMS),
                                             (zv, ze, True, xv, xe, kernel.KL_TERMS)):
            numbers = [np.empty(3) for _ in range(3)] + [np.empty((3, CLASSES))]
            probs.divergence_rows(p, pe, rows, p_logits, q, qe, rows, not p_logits, weight, want, rows, *numbers)
            out += numbers
        for values, encoding, logits in ((xv, xe, False), (zv, ze, True)):
            numbers = [np.empty(3), np.empty((3, CLASSES))]
            probs.entropy_rows(values, encoding, rows, logits, kernel.ENTROPY_TERMS, rows, *numbers)
            numbers += [np.empty(3) for _ in range(4)] + [np.empty((3, CLASSES))]
            labels.label_rows(classes, rows, values, encoding, rows, logits, weight, kernel.CE_TERMS, rows, *numbers[2:])
            out += numbers
        return out

    stored = computed(np.dtype(dtype))
    x, z = x.astype(dtype).astype(np.float64), z.astype(dtype).astype(np.float64)  # the values stored
    wide = computed(np.float64)
    for mine, theirs in zip(stored, wide):
        assert mine.tobytes() == theirs.tobytes()
