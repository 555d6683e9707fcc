"""The tests' statistics against hand computation (always) and their p-values against SciPy's
``chi2_contingency`` and ``ks_2samp`` (where the ``stats`` extra is installed); without SciPy a p-value
is None, and SciPy is imported only when one is asked for."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from divcli.numerics import p_values
from divcli.numerics.p_values import NO_SCIPY, homogeneity, ks_p_value, p_value_of_chi2
from helpers.extras import needs

pytestmark = pytest.mark.numeric
ROOT = Path(__file__).resolve().parents[2]


def _ks_2samp(stats, x, y):
    """SciPy's test, quiet where its exact p-value fails and it falls back to the asymptotic one (as
    :func:`ks_p_value` does with it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return stats.ks_2samp(x, y)


def test_pearson_statistic_by_hand():
    # rows 10+20 = 30 and 20+10 = 30, columns 30 and 30: every expected count is 15
    result = homogeneity([[10, 20], [20, 10]], p_value=False)
    assert result.statistic == pytest.approx(4 * 25 / 15, rel=1e-15)
    assert result.dof == 1 and result.p_value is None


def test_g_statistic_by_hand():
    result = homogeneity([[10, 20], [20, 10]], statistic="g", p_value=False)
    expected = 2 * (2 * 10 * math.log(10 / 15) + 2 * 20 * math.log(20 / 15))
    assert result.statistic == pytest.approx(expected, rel=1e-14) and result.dof == 1


def test_a_category_neither_side_has_is_left_out():
    with_empty = homogeneity([[10, 0, 20, 5], [20, 0, 10, 7]], p_value=False)
    without = homogeneity([[10, 20, 5], [20, 10, 7]], p_value=False)
    assert with_empty == without and without.dof == 2


def test_a_side_without_counts_has_no_test():
    result = homogeneity([[0, 0, 0], [3, 4, 5]], p_value=False)
    assert math.isnan(result.statistic) and result.dof == 2


@pytest.mark.parametrize("table", [[[1.5, 2], [3, 4]], [[-1, 2], [3, 4]], [1, 2, 3], [[1, math.inf], [2, 3]]])
def test_a_table_of_counts_is_checked(table):
    if table == [[1.5, 2], [3, 4]]:  # counts need not be whole: weights, smoothed counts
        assert homogeneity(table, p_value=False).dof == 1
        return
    with pytest.raises(ValueError, match="table of counts"):
        homogeneity(table, p_value=False)


@pytest.mark.parametrize("statistic, lambda_", [("pearson", "pearson"), ("g", "log-likelihood")])
@pytest.mark.parametrize("seed", range(6))
def test_homogeneity_is_scipys_chi2_contingency_without_yates(statistic, lambda_, seed):
    stats = needs("scipy.stats")
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    table = rng.integers(1, 200, size=(2, k)) * (rng.random((2, k)) < 0.9)
    table[:, 0] += 1  # no column of zeros: SciPy refuses them
    ours = homogeneity(table, statistic)
    theirs = stats.chi2_contingency(table, correction=False, lambda_=lambda_)
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-12)
    assert ours.dof == theirs.dof
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300)


def test_two_by_two_has_no_yates_correction():
    stats = needs("scipy.stats")
    table = [[12, 5], [4, 11]]
    assert homogeneity(table).p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-12)
    assert homogeneity(table).p_value != pytest.approx(stats.chi2_contingency(table).pvalue, rel=1e-3)


def test_one_category_is_no_evidence():
    needs("scipy")
    assert homogeneity([[5, 0], [9, 0]]) == p_values.TestResult(0.0, 0, 1.0)


@pytest.mark.parametrize("n, m", [(1, 1), (5, 8), (30, 45), (100, 100), (997, 1003), (2500, 10_000), (10_000, 10_000),
                                  (10_001, 400), (20_000, 15_000)])
def test_ks_p_value_is_ks_2samps(n, m):
    stats = needs("scipy.stats")
    rng = np.random.default_rng(n + m)
    x, y = rng.normal(size=n), rng.normal(0.1, 1.2, size=m).round(1)  # ties in one of them
    theirs = _ks_2samp(stats, x, y)
    assert ks_p_value(float(theirs.statistic), n, m) == pytest.approx(theirs.pvalue, rel=1e-12, abs=1e-300)


@pytest.mark.slow
def test_ks_p_value_of_every_statistic_of_small_samples():
    """Every D two samples of up to 9 values can have: the p-value of ks_2samp on such samples."""
    stats = needs("scipy.stats")
    for n in range(1, 10):
        for m in range(1, 10):
            for a in range(n + 1):
                x = np.repeat([0.0, 1.0], [a, n - a])
                for b in range(m + 1):
                    y = np.repeat([0.0, 1.0], [b, m - b])
                    theirs = _ks_2samp(stats, x, y)
                    assert ks_p_value(float(theirs.statistic), n, m) == pytest.approx(theirs.pvalue, rel=1e-12)


def test_a_distance_two_samples_cannot_have_is_refused():
    needs("scipy")
    with pytest.raises(ValueError, match="no Kolmogorov–Smirnov statistic of samples of 2 and 3"):
        ks_p_value(5 / 6, 2, 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ks_p_value(1.5, 20, 30)


def test_ks_p_value_of_an_empty_sample_is_nan():
    needs("scipy")
    assert math.isnan(ks_p_value(0.5, 0, 10))


def test_without_scipy_the_p_values_are_none(monkeypatch):
    monkeypatch.setattr(p_values, "scipy_installed", lambda: False)
    result = homogeneity([[10, 20], [20, 10]])
    assert result.p_value is None and result.statistic == pytest.approx(20 / 3)
    assert ks_p_value(0.5, 10, 10) is None and p_value_of_chi2(3.0, 2) is None
    assert "pip install 'divcli[stats]'" in NO_SCIPY


def test_scipy_is_imported_only_for_a_p_value():
    code = ("import sys\nfrom divcli.numerics.p_values import homogeneity\n"
            "homogeneity([[1, 2], [3, 4]], p_value=False)\nprint('scipy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
