"""The fused kernel's pass for compare's other measures (divcli/numerics/fused_mixture.py: JS, TV,
Hellinger, Bhattacharyya, χ² and Rényi) against numpy's path, on a language model's logits, on
probability rows (zeros, far apart, subnormal, counts), on a logit row against a probability row, and
on logits far apart: JS within the accuracy bounds (the accuracy suite checks it against exact values
too), the others to 1e-9 (they have no bound of their own, and numpy's plain formulas lose digits
where P ≈ Q), every +inf where numpy has one; and a row's numbers the same whatever rows come with it."""

from __future__ import annotations

import math

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from test_fused import assert_close, both_paths, lm_logits, with_kernel
from test_fused_probs import cases as probability_cases

pytestmark = pytest.mark.numeric

#: the measures from the pass, JS with its accuracy bound and the others to 1e-9
CONTRACT = ["js_divergence", "js_distance"]
OTHERS = ["total_variation", "hellinger", "bhattacharyya_coefficient", "bhattacharyya_distance", "chi2_pearson",
          "chi2_neyman", "renyi_0.5", "renyi_2", "renyi_3"]


def compare(p, q, **kwargs) -> dict[str, np.ndarray]:
    return divcli.compare(p, q, reduction="row", alpha=(0.5, 2.0, 3.0), **kwargs)


def assert_paths_agree(monkeypatch, p, q, others: list[str] = OTHERS, **kwargs) -> dict[str, np.ndarray]:
    plain, fused = both_paths(monkeypatch, lambda: compare(p, q, **kwargs))
    for key in CONTRACT:
        assert_close(fused[key], plain[key])
        assert np.all(fused[key] >= 0)
    for key in others:
        assert_close(fused[key], plain[key], rtol=1e-9, atol=1e-300)
    return fused


@pytest.mark.parametrize("noise", [1.0, 1e-2])
def test_the_paths_agree_on_language_model_logits(monkeypatch, noise):
    p, q = lm_logits(16, 4096, noise, seed=41)
    assert_paths_agree(monkeypatch, p, q, p_as="logits", q_as="logits")


def test_near_identical_logits_keep_js_and_the_squared_distances(monkeypatch):
    """Where P ≈ Q numpy's Hellinger and χ² cancel ((√p − √q)², (p − q)²): the pass takes them from
    e^(x/2) − 1, as the accurate kernels take TV; JS stays within its bound."""
    p, q = lm_logits(8, 4096, 1e-4, seed=42)
    p, q = p.astype(np.float64), q.astype(np.float64)
    q[:, ::7] += 1e-9  # differences far below float16's: P ≈ Q to 1e-9
    plain, fused = both_paths(monkeypatch, lambda: compare(p, q, p_as="logits", q_as="logits"))
    for key in CONTRACT:
        assert_close(fused[key], plain[key])
    # for rows this near, Hellinger² ≈ JS ≈ Σ q·x²/8 and χ² ≈ 8·JS (to second order in x), both ways
    assert np.allclose(fused["hellinger"] ** 2, fused["js_divergence"], rtol=1e-5)
    assert np.allclose(fused["chi2_pearson"], 8 * fused["js_divergence"], rtol=1e-5)
    assert np.allclose(fused["chi2_neyman"], 8 * fused["js_divergence"], rtol=1e-5)


@pytest.mark.parametrize("name, p, q", probability_cases(), ids=[case[0] for case in probability_cases()])
def test_probability_rows_agree(monkeypatch, name, p, q):
    normalize = name in ("counts", "subnormal sums")
    # where an entry underflows the numpy path's plain rows lose it: the χ² and Rényi of 2 and 3
    # terms that need it (p²/q of a subnormal q) differ; the pass takes them from the logs. Where P ≈ Q
    # (1e-8) the Bhattacharyya distance and Rényi are the log of a sum near 1 on both paths: 1e-8 apart
    others = OTHERS if name not in ("far apart", "subnormal entries", "subnormal sums") else OTHERS[:4]
    others = others if name != "near-identical" else OTHERS[:3] + OTHERS[4:6]
    assert_paths_agree(monkeypatch, p, q, others, normalize=normalize)


@pytest.mark.parametrize("p_as, q_as", [("logits", "probs"), ("probs", "logits")])
def test_a_logit_row_against_a_probability_row(monkeypatch, p_as, q_as):
    z = lm_logits(6, 3000, 1e-4, seed=43)[0].astype(np.float64)
    z[:, ::9] = -np.inf
    x = np.exp(z - z.max(axis=1, keepdims=True))
    x[:, 1::9] = 0.0  # where the logits are not masked: +inf one way, p = 0 the other
    x /= x.sum(axis=1, keepdims=True)
    p, q = (z, x) if p_as == "logits" else (x, z)
    fused = assert_paths_agree(monkeypatch, p, q, p_as=p_as, q_as=q_as)
    assert np.all(np.isposinf(fused["chi2_pearson"] if p_as == "logits" else fused["chi2_neyman"]))


def test_logits_far_apart_and_masked(monkeypatch):
    """Probabilities that underflow float64 but whose logs are finite, and masked classes on one side
    or both: the zero conventions, and the Bhattacharyya distance finite where BC underflows."""
    p = np.array([[0.0, 1000.0, -1000.0, -np.inf], [1000.0, -1000.0, 0.0, -np.inf], [2.0, 1.0, 0.0, 1.0]])
    q = np.array([[-1000.0, 0.0, 1000.0, -np.inf], [1000.0, 0.0, -1000.0, 0.0], [1.0, 1.0, 1.0, -np.inf]])
    p, q = np.repeat(p, 4, axis=1), np.repeat(q, 4, axis=1)
    fused = assert_paths_agree(monkeypatch, p, q, p_as="logits", q_as="logits")
    assert fused["chi2_pearson"][1] == pytest.approx(1.0, rel=1e-12)  # e^(2·(−1000) + 2000) per class group
    assert np.isfinite(fused["bhattacharyya_distance"][0]) and fused["bhattacharyya_coefficient"][0] == 0.0
    assert fused["js_divergence"][2] > 0 and np.isposinf(fused["chi2_pearson"][2])


def test_a_row_gives_the_same_numbers_in_any_block(monkeypatch):
    """The summation order is a function of C alone: a row alone or among others, the same bits."""
    p, q = lm_logits(6, 5000, 1e-2, seed=44)
    together = with_kernel(monkeypatch, "fused", lambda: compare(p, q, p_as="logits", q_as="logits"))
    alone = with_kernel(monkeypatch, "fused", lambda: compare(p[3:4], q[3:4], p_as="logits", q_as="logits"))
    for key in CONTRACT + OTHERS:
        assert together[key][3] == alone[key][0], key


def test_the_js_series_coefficients():
    """F(y) = y·tanh y − log cosh y = y²/2 − y⁴/4 + y⁶/9 − 17·y⁸/360 …, and its sum at y = ½ (20 terms)."""
    needs("numba")  # the module compiles nothing at import, but imports numba
    from divcli.numerics.fused_mixture import _F
    assert _F[:4].tolist() == [0.5, -0.25, 1 / 9, -17 / 360]
    y = 0.5
    assert sum(c * y ** (2 * n + 2) for n, c in enumerate(_F)) == pytest.approx(
        y * math.tanh(y) - math.log(math.cosh(y)), rel=1e-15)
