"""Mutual information and the entropies of a joint table (divcli/numerics/information.py): against a
plain float64 computation, exact values in 60 digits (the decimal module) near independence,
scikit-learn's mutual_info_score and normalized_mutual_info_score, and the bounds the plug-in
values satisfy (0 ≤ I ≤ min(H(X), H(Y)), the chain rule)."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divcli.numerics.information import AVERAGES, g_test, information
from helpers.extras import needs

pytestmark = pytest.mark.numeric


def plain(table):
    """The textbook float64 formulas: entropies of the marginals and the joint, I as their difference."""
    t = np.asarray(table, dtype=np.float64)
    p = t / t.sum()
    px, py = p.sum(axis=1), p.sum(axis=0)

    def h(v):
        v = v[v > 0]
        return float(-(v * np.log(v)).sum())

    h_x, h_y, h_xy = h(px), h(py), h(p.ravel())
    return {"h_x": h_x, "h_y": h_y, "h_xy": h_xy, "h_x_given_y": h_xy - h_y, "h_y_given_x": h_xy - h_x,
            "mi": h_x + h_y - h_xy}


def exact_mi(table) -> Decimal:
    """I of a table of whole numbers, Σ n/N·ln(n·N/(r·c)), in 60 digits."""
    with localcontext() as context:
        context.prec = 60
        t = [[Decimal(int(v)) for v in row] for row in table]
        n = sum(sum(row) for row in t)
        r = [sum(row) for row in t]
        c = [sum(t[i][j] for i in range(len(t))) for j in range(len(t[0]))]
        return sum((t[i][j] / n * (t[i][j] * n / (r[i] * c[j])).ln()
                    for i in range(len(t)) for j in range(len(t[0])) if t[i][j] > 0), Decimal(0))


TABLES = [np.array([[30, 10], [5, 45], [10, 20]]), np.array([[1, 0], [0, 1]]), np.array([[3, 3], [3, 3]]),
          np.random.default_rng(26).integers(0, 50, (6, 7)), np.array([[7, 0, 0], [0, 0, 2], [1, 1, 0]])]


@pytest.mark.parametrize("table", TABLES, ids=range(len(TABLES)))
def test_every_value_matches_plain_float64(table):
    found, reference = information(table), plain(table)
    for key, value in reference.items():
        assert math.isclose(getattr(found, key), value, rel_tol=1e-12, abs_tol=1e-14), key


def test_independent_table_has_exactly_zero_information():
    found = information(np.outer([1, 2, 3], [4, 5]))
    assert found.mi == 0.0 and found.normalised("arithmetic") == 0.0
    assert math.isclose(found.h_x_given_y, found.h_x, rel_tol=1e-15)


@pytest.mark.parametrize("bump", [1, 7, 1000])
def test_near_independence_keeps_full_relative_accuracy(bump):
    """A table of millions one count from independence: I ≈ 1e-27 … 1e-21, where H(X) + H(Y) − H(X,Y)
    is all rounding; the sum of terms q·φ(p/q) keeps it to a few ε relative (exact in 60 digits)."""
    table = np.outer([1000003, 2000001, 999999], [3000001, 1999999]).astype(np.float64)
    table[0, 0] += bump
    exact = exact_mi(table)
    found = information(table).mi
    assert abs(Decimal(found) - exact) / exact < Decimal("1e-14")
    assert abs(plain(table)["mi"] - float(exact)) >= 0.5 * float(exact)  # the textbook formula has no digit left


def test_determined_side_gives_zero_conditional_entropy_and_i_equal_to_h():
    """Y a function of X: H(Y|X) = 0 exactly and I = H(Y), not a difference that rounds."""
    table = np.array([[5, 0], [0, 3], [2, 0]])
    found = information(table)
    assert found.h_y_given_x == 0.0 and found.mi == found.h_y


def test_probabilities_give_the_values_of_the_counts():
    counts = np.array([[30, 10], [5, 45], [10, 20]], dtype=np.float64)
    a, b = information(counts), information(counts / counts.sum())
    for key in ("h_x", "h_y", "h_xy", "h_x_given_y", "h_y_given_x", "mi"):
        assert math.isclose(getattr(a, key), getattr(b, key), rel_tol=1e-14), key


def test_classes_never_seen_change_nothing():
    table = np.array([[30, 0, 10], [0, 0, 0], [5, 0, 45]])
    assert information(table) == information(np.array([[30, 10], [5, 45]]))
    assert information(table).dof == 1


@pytest.mark.parametrize("table", TABLES, ids=range(len(TABLES)))
def test_against_scikit_learn(table):
    metrics = needs("sklearn.metrics")
    found = information(table)
    assert math.isclose(found.mi, metrics.mutual_info_score(None, None, contingency=table), rel_tol=1e-12,
                        abs_tol=1e-15)
    x, y = np.nonzero(table)
    x_labels = np.repeat(x, table[x, y].astype(int))
    y_labels = np.repeat(y, table[x, y].astype(int))
    for average in AVERAGES:
        expected = metrics.normalized_mutual_info_score(x_labels, y_labels, average_method=average)
        assert math.isclose(found.normalised(average), expected, rel_tol=1e-12, abs_tol=1e-14), average


def test_one_class_on_both_sides_is_a_perfect_match_as_scikit_learn_says():
    found = information(np.array([[4]]))
    assert found.mi == 0.0 and all(found.normalised(a) == 1.0 for a in AVERAGES)


def test_g_test_against_scipy():
    stats = needs("scipy.stats")
    table = np.array([[30, 10], [5, 45], [10, 20]])
    found = information(table)
    statistic, p_value = g_test(found.mi, table.sum(), found.dof)
    expected = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert math.isclose(statistic, expected.statistic, rel_tol=1e-12)
    assert math.isclose(p_value, expected.pvalue, rel_tol=1e-10) and expected.dof == found.dof


counts = st.lists(st.lists(st.integers(0, 1000), min_size=1, max_size=6), min_size=1, max_size=6).filter(
    lambda rows: len({len(r) for r in rows}) == 1 and sum(map(sum, rows)) > 0)


@given(counts)
def test_plug_in_bounds_hold(rows):
    """0 ≤ I ≤ min(H(X), H(Y)), H(X|Y) ≥ 0, H(Y|X) ≥ 0 exactly; the chain rule to rounding."""
    found = information(np.array(rows, dtype=np.float64))
    assert 0 <= found.mi <= min(found.h_x, found.h_y)
    assert found.h_x_given_y >= 0 and found.h_y_given_x >= 0
    scale = max(found.h_x, found.h_y, 1.0)
    assert math.isclose(found.h_x - found.h_x_given_y, found.mi, abs_tol=1e-13 * scale)
    assert math.isclose(found.h_y - found.h_y_given_x, found.mi, abs_tol=1e-13 * scale)
    assert all(0 <= found.normalised(a) <= 1 for a in AVERAGES)
