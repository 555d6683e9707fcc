"""divcli drift's numbers: the bins from a reference (ties, edges, NaN), W₁ and KS of two samples against
independent float64 computations (and SciPy where installed), and the binned measures by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from divcli.computations.drift import DriftSettings, binned_measures, chi2_statistic, drift, verdict
from divcli.computations.drift_bins import Smoothing
from divcli.numerics.binning import BinRule, bin_counts, reference_edges
from divcli.numerics.two_sample import ks_statistic, sorted_finite, wasserstein_1
from divcli.readers.sample_records import SampleColumn, Samples
from helpers.extras import needs

pytestmark = pytest.mark.numeric

RNG = np.random.default_rng(24)


# --------------------------------------------------------------------------------------------
# independent references: W₁ from the quantile functions, KS by brute force


def w1_by_quantiles(a: np.ndarray, b: np.ndarray) -> float:
    """∫₀¹ |F⁻¹(u) − G⁻¹(u)| du: on each interval between the points i/n and j/m both inverse
    distribution functions are constant."""
    a, b = np.sort(a), np.sort(b)
    cuts = np.unique(np.concatenate([np.arange(len(a) + 1) / len(a), np.arange(len(b) + 1) / len(b)]))
    middles = (cuts[:-1] + cuts[1:]) / 2
    inverse_a = a[np.minimum((middles * len(a)).astype(int), len(a) - 1)]
    inverse_b = b[np.minimum((middles * len(b)).astype(int), len(b) - 1)]
    return float(np.sum(np.abs(inverse_a - inverse_b) * np.diff(cuts)))


def ks_brute(a: np.ndarray, b: np.ndarray) -> float:
    pooled = np.concatenate([a, b])
    f_a = (a[None, :] <= pooled[:, None]).mean(axis=1)
    f_b = (b[None, :] <= pooled[:, None]).mean(axis=1)
    return float(np.max(np.abs(f_a - f_b)))


SAMPLE_PAIRS = [
    (RNG.normal(0, 1, 500), RNG.normal(0.3, 1.2, 700)),
    (RNG.integers(0, 5, 300).astype(float), RNG.integers(1, 6, 200).astype(float)),  # ties everywhere
    (RNG.exponential(3, 41), RNG.exponential(2, 17)),
    (np.array([1.0]), np.array([4.0, 5.0])),
]


@pytest.mark.parametrize("a, b", SAMPLE_PAIRS)
def test_w1_and_ks_agree_with_independent_computations(a, b):
    ra, rb = sorted_finite(a), sorted_finite(b)
    assert math.isclose(wasserstein_1(ra, rb), w1_by_quantiles(a, b), rel_tol=1e-12, abs_tol=1e-14)
    assert math.isclose(ks_statistic(ra, rb), ks_brute(a, b), rel_tol=0, abs_tol=1e-15)


def test_w1_of_equal_sizes_is_the_mean_gap_of_the_sorted_values():
    a, b = RNG.normal(0, 1, 1000), RNG.normal(1, 2, 1000)
    assert math.isclose(wasserstein_1(np.sort(a), np.sort(b)), float(np.mean(np.abs(np.sort(a) - np.sort(b)))),
                        rel_tol=1e-12)


@pytest.mark.parametrize("a, b", SAMPLE_PAIRS)
def test_w1_and_ks_agree_with_scipy(a, b):
    stats = needs("scipy.stats")
    ra, rb = sorted_finite(a), sorted_finite(b)
    assert math.isclose(wasserstein_1(ra, rb), stats.wasserstein_distance(a, b), rel_tol=1e-12, abs_tol=1e-14)
    assert math.isclose(ks_statistic(ra, rb), stats.ks_2samp(a, b).statistic, rel_tol=0, abs_tol=1e-15)


def test_w1_and_ks_leave_nan_and_inf_out_and_say_nan_for_an_empty_side():
    a = np.array([0.0, np.nan, 1.0, np.inf])
    assert list(sorted_finite(a)) == [0.0, 1.0]
    assert math.isnan(wasserstein_1(np.empty(0), np.array([1.0])))
    assert math.isnan(ks_statistic(np.array([1.0]), np.empty(0)))


# --------------------------------------------------------------------------------------------
# bins


def test_quantile_edges_are_numpys_quantiles_and_ties_collapse():
    reference = np.array([0.0] * 6 + [1, 2, 3, 4])
    edges = reference_edges(BinRule("quantile", 10), reference)
    expected = np.quantile(reference, np.arange(1, 10) / 10)
    assert np.array_equal(edges.inner, np.unique(expected))
    assert edges.collapsed == 9 - len(np.unique(expected)) > 0
    counted, missing = bin_counts(reference, edges.inner)
    assert counted[0] == 6  # right-closed: the point mass at 0 fills (-inf, 0] alone
    assert counted.sum() == 10 and missing == 0


def test_a_value_on_an_edge_falls_in_the_bin_below_it_and_outer_bins_are_open():
    counted, missing = bin_counts(np.array([-1e300, 1.0, 2.0, 2.5, 3.0, 1e300, -np.inf, np.inf, np.nan]),
                                  np.array([2.0, 3.0]))
    assert list(counted) == [4, 2, 2]  # (-inf, 2]: -1e300, 1, 2, -inf; (2, 3]: 2.5, 3; (3, inf): 1e300, inf
    assert missing == 1


def test_uniform_and_fd_edges_follow_numpy():
    reference = RNG.normal(10, 3, 1000)
    uniform = reference_edges(BinRule("uniform", 8), reference).inner
    assert np.allclose(uniform, np.linspace(reference.min(), reference.max(), 9)[1:-1], rtol=0, atol=0)
    fd = reference_edges(BinRule("fd"), reference).inner
    assert np.array_equal(fd, np.histogram_bin_edges(reference, bins="fd")[1:-1])
    assert np.array_equal(reference_edges(BinRule("edges", edges=(1.0, 2.0)), reference).inner, [1.0, 2.0])


def test_finite_edges_ignore_nan_and_inf_in_the_reference():
    reference = np.array([np.nan, 1.0, 2.0, 3.0, 4.0, np.inf, -np.inf])
    assert np.array_equal(reference_edges(BinRule("quantile", 2), reference).inner, [2.5])


@pytest.mark.parametrize("text, words", [
    ("quantile:1", "from 2"), ("quantile:x", "whole number"), ("uniform", "whole number"), ("fd:3", "takes no number"),
    ("edges:1,a", "'a' is not a number"), ("edges:2,1", "increase strictly"), ("edges:1,inf", "not finite"),
    ("deciles", "not a binning rule"), ("quantile:100000", "10,000"),
])
def test_bad_rules_say_why(text, words):
    with pytest.raises(ValueError, match=words):
        BinRule.parse(text)


def test_rules_read_back_as_written():
    for text in ("quantile:10", "uniform:3", "fd", "edges:0,1.5,3"):
        assert BinRule.parse(text).text == text


# --------------------------------------------------------------------------------------------
# the binned measures, by hand


def test_psi_and_the_binned_measures_by_hand():
    r, c = np.array([2.0, 2.0]), np.array([1.0, 3.0])  # shares ½, ½ and ¼, ¾
    found = binned_measures(r, c)
    kl_rc = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    kl_cr = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    assert math.isclose(found["psi"], 0.25 * math.log(3), rel_tol=1e-14)  # (¼ − ½)·ln ½ + (¾ − ½)·ln 1.5
    assert math.isclose(found["kl_ref_cur"], kl_rc, rel_tol=1e-14)
    assert math.isclose(found["kl_cur_ref"], kl_cr, rel_tol=1e-14)
    m = np.array([0.375, 0.625])
    js_bits = 0.5 * np.sum([0.5, 0.5] * np.log2([0.5, 0.5] / m)) + 0.5 * np.sum([0.25, 0.75] * np.log2([0.25, 0.75] / m))
    assert math.isclose(found["js_distance"], math.sqrt(js_bits), rel_tol=1e-13)
    hellinger = math.sqrt(0.5 * ((math.sqrt(0.5) - math.sqrt(0.25)) ** 2 + (math.sqrt(0.5) - math.sqrt(0.75)) ** 2))
    assert math.isclose(found["hellinger"], hellinger, rel_tol=1e-13)


def test_js_distance_and_the_kls_agree_with_scipy():
    spatial, special = needs("scipy.spatial.distance"), needs("scipy.special")
    r, c = RNG.integers(1, 50, 12).astype(float), RNG.integers(1, 50, 12).astype(float)
    found = binned_measures(r, c)
    p, q = r / r.sum(), c / c.sum()
    assert math.isclose(found["js_distance"], spatial.jensenshannon(p, q, base=2), rel_tol=1e-12)
    assert math.isclose(found["kl_ref_cur"], float(np.sum(special.rel_entr(p, q))), rel_tol=1e-12)
    assert math.isclose(found["psi"], float(np.sum((q - p) * np.log(q / p))), rel_tol=1e-12)


def test_an_empty_bin_on_one_side_is_infinite_and_smoothing_makes_it_finite():
    r, c = np.array([5.0, 5.0, 0.0]), np.array([4.0, 4.0, 2.0])
    assert binned_measures(r, c)["psi"] == math.inf
    smoothed = binned_measures(Smoothing(pseudocount=1.0).apply(r), Smoothing(pseudocount=1.0).apply(c))
    rs, cs = np.array([6, 6, 1]) / 13, np.array([5, 5, 3]) / 13
    assert math.isclose(smoothed["psi"], float(np.sum((cs - rs) * np.log(cs / rs))), rel_tol=1e-13)
    floored = Smoothing(epsilon=0.01).apply(r)
    assert list(floored) == [0.5, 0.5, 0.01]  # floored shares; the kernels divide by their sum (1.01)


def test_chi2_of_homogeneity_by_hand_and_with_scipy():
    r, c = np.array([30.0, 20.0, 0.0, 50.0]), np.array([20.0, 20.0, 0.0, 40.0])
    table = np.array([[30, 20, 50], [20, 20, 40]], dtype=float)
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    assert math.isclose(chi2_statistic(r, c), float(((table - expected) ** 2 / expected).sum()), rel_tol=1e-14)
    stats = needs("scipy.stats")
    assert math.isclose(chi2_statistic(r, c), stats.chi2_contingency(table, correction=False).statistic, rel_tol=1e-12)


@pytest.mark.parametrize("psi, found", [(0.0, "stable"), (0.0999, "stable"), (0.1, "moderate"), (0.25, "moderate"),
                                        (0.2501, "major"), (math.inf, "major")])
def test_the_verdict_of_the_rule_of_thumb(psi, found):
    assert verdict(psi, (0.1, 0.25)) == found


# --------------------------------------------------------------------------------------------
# a column end to end: the NaN bin belongs to both distributions


def _samples(name: str, values) -> Samples:
    cells = np.asarray(values, dtype=np.float64)
    return Samples(name, [SampleColumn("x", cells, 1)], len(cells))


def test_missing_values_have_a_bin_of_their_own_in_both_shares():
    reference = _samples("r", [1, 2, 3, np.nan])
    current = _samples("c", [1, 2, np.nan, np.nan])
    found = drift(reference, current, DriftSettings(BinRule("edges", edges=(2.0,)))).columns[0]
    assert found.binning.labels() == ["(-inf, 2]", "(2, +inf)", "(missing)"]
    assert list(found.reference_counts) == [2, 1, 1] and list(found.current_counts) == [2, 0, 2]
    r, c = np.array([0.5, 0.25, 0.25]), np.array([0.5, 0, 0.5])
    assert np.allclose(found.reference_shares, r) and np.allclose(found.current_shares, c)
    assert found.measures["psi"] == math.inf
    assert math.isclose(found.measures["wasserstein_1"], w1_by_quantiles(np.array([1.0, 2, 3]), np.array([1.0, 2])))


def test_a_generated_pair_gives_the_psi_and_w1_of_a_plain_computation():
    reference, current = RNG.normal(0, 1, 5000), RNG.normal(0.2, 1.1, 4000)
    found = drift(_samples("r", reference), _samples("c", current), DriftSettings()).columns[0]
    edges = np.unique(np.quantile(reference, np.arange(1, 10) / 10))
    bins = np.concatenate([[-np.inf], edges, [np.inf]])
    r = np.histogram(-reference, bins=-bins[::-1])[0][::-1] / len(reference)  # right-closed bins via negation
    c = np.histogram(-current, bins=-bins[::-1])[0][::-1] / len(current)
    assert math.isclose(found.measures["psi"], float(np.sum((c - r) * np.log(c / r))), rel_tol=1e-12)
    assert math.isclose(found.measures["wasserstein_1"], w1_by_quantiles(reference, current), rel_tol=1e-12)
    assert math.isclose(found.measures["ks"], ks_brute(reference, current), abs_tol=1e-15)
