"""Bootstrap intervals: the same seed gives the same interval, both sides are resampled independently
with replacement, the percentile interval is numpy's, infinite values stay infinite and undefined ones
are counted; the intervals of a mean difference against the plain textbook loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from divcli.computations.bootstrap import Interval, bootstrap_intervals, percentile_interval
from divcli.errors import DataError

pytestmark = pytest.mark.numeric


def _mean_difference(reference, current):
    return {"difference": float(np.mean(current) - np.mean(reference))}


def test_the_same_seed_gives_the_same_interval():
    rng = np.random.default_rng(0)
    reference, current = rng.normal(size=500), rng.normal(0.2, size=300)
    first = bootstrap_intervals(reference, current, _mean_difference, 200, seed=7)
    assert first == bootstrap_intervals(reference, current, _mean_difference, 200, seed=7)
    assert first != bootstrap_intervals(reference, current, _mean_difference, 200, seed=8)


def test_the_textbook_loop_gives_the_same_interval():
    """Both sides drawn with replacement from PCG64(seed), the reference first; numpy's percentile."""
    rng = np.random.default_rng(1)
    reference, current = rng.exponential(size=400), rng.exponential(1.3, size=250)
    ours = bootstrap_intervals(reference, current, _mean_difference, 300, seed=11, confidence=0.9)
    generator = np.random.Generator(np.random.PCG64(11))
    values = []
    for _ in range(300):
        r = reference[generator.integers(0, len(reference), size=len(reference))]
        c = current[generator.integers(0, len(current), size=len(current))]
        values.append(np.mean(c) - np.mean(r))
    low, high = np.percentile(values, [5, 95])
    assert ours["difference"].low == pytest.approx(low, rel=1e-12)
    assert ours["difference"].high == pytest.approx(high, rel=1e-12)
    assert ours["difference"].undefined == 0


def test_the_interval_covers_the_sampling_spread():
    """A mean difference of 0.5 between two normal samples of 2000: its 95% interval is about
    ±1.96·√(1/2000 + 1/2000) around the sample's difference."""
    rng = np.random.default_rng(2)
    reference, current = rng.normal(size=2000), rng.normal(0.5, size=2000)
    found = bootstrap_intervals(reference, current, _mean_difference, 1000, seed=3)["difference"]
    centre = np.mean(current) - np.mean(reference)
    half = 1.96 * math.sqrt(2 / 2000)
    assert found.low == pytest.approx(centre - half, abs=0.2 * half)
    assert found.high == pytest.approx(centre + half, abs=0.2 * half)


def test_each_side_is_resampled_alone_and_sorted():
    """Each resample has the size of its side, holds only that side's values, and comes sorted."""
    seen = []

    def record(reference, current):
        seen.append((reference.copy(), current.copy()))
        return {"n": 0.0}

    reference, current = np.array([3.0, 1.0, 2.0, np.nan]), np.array([10.0, 20.0])
    bootstrap_intervals(reference, current, record, 50, seed=0)
    assert len(seen) == 50
    for r, c in seen:
        assert len(r) == 4 and len(c) == 2
        assert set(r[~np.isnan(r)]) <= {1.0, 2.0, 3.0} and set(c) <= {10.0, 20.0}
        finite = r[~np.isnan(r)]
        assert np.all(np.diff(finite) >= 0) and np.all(np.isnan(r[len(finite):]))  # NaN last
    assert len({tuple(c) for _, c in seen}) == 3  # with replacement: (10, 10), (10, 20), (20, 20)


def test_category_names_are_resampled_as_drawn():
    """Names and None (a missing value) cannot be sorted: they come in the order drawn."""
    reference = np.array(["a", None, "b", "a"], dtype=object)
    current = np.array(["b", "b", None], dtype=object)
    seen = []
    found = bootstrap_intervals(reference, current,
                                lambda r, c: seen.append(list(c)) or {"missing": float(np.mean(c == None))},  # noqa: E711
                                40, seed=2)
    assert all(set(c) <= {"b", None} and len(c) == 3 for c in seen)
    assert 0 <= found["missing"].low <= found["missing"].high <= 1


def test_category_codes_are_resampled_too():
    reference, current = np.array([0, 0, 1, 2]), np.array([1, 1, 2])
    found = bootstrap_intervals(reference, current,
                                lambda r, c: {"share_of_1": float(np.mean(c == 1) - np.mean(r == 1))}, 100, seed=5)
    assert -1 <= found["share_of_1"].low <= found["share_of_1"].high <= 1


def test_infinite_values_reach_the_interval():
    # 2.5% of 40 values: the quantile is between the 1st and 2nd order statistics, the 1st -inf
    values = np.array([-math.inf] + [1.0] * 36 + [math.inf] * 3)
    interval = percentile_interval(values, 0.95)
    assert interval == Interval(-math.inf, math.inf, 0)
    finite_high = percentile_interval(np.array([1.0, 2.0, 3.0, math.inf]), 0.5)
    assert finite_high.low == pytest.approx(np.percentile([1, 2, 3, 4], 25))
    assert finite_high.high == math.inf


def test_a_confidence_of_1_is_the_whole_range():
    interval = percentile_interval(np.array([3.0, 1.0, 2.0, 7.0]), 1.0)
    assert (interval.low, interval.high) == (1.0, 7.0)


def test_undefined_values_are_left_out_and_counted():
    values = np.array([1.0, math.nan, 2.0, 3.0, math.nan, 4.0, 5.0])
    interval = percentile_interval(values, 0.5)
    low, high = np.percentile([1, 2, 3, 4, 5], [25, 75])
    assert (interval.low, interval.high, interval.undefined) == (pytest.approx(low), pytest.approx(high), 2)
    nothing = percentile_interval(np.array([math.nan, math.nan]), 0.95)
    assert math.isnan(nothing.low) and math.isnan(nothing.high) and nothing.undefined == 2


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.95, 0.99])
def test_percentile_interval_is_numpys(confidence):
    values = np.random.default_rng(4).standard_cauchy(999)
    interval = percentile_interval(values, confidence)
    low, high = np.percentile(values, [50 * (1 - confidence), 50 * (1 + confidence)])
    assert interval.low == pytest.approx(low, rel=1e-12) and interval.high == pytest.approx(high, rel=1e-12)


@pytest.mark.parametrize("resamples, confidence, words", [(0, 0.95, "1 resample or more"),
                                                          (10, 1.5, "above 0 and at most 1"),
                                                          (10, 0.0, "above 0 and at most 1")])
def test_bad_settings_are_data_errors(resamples, confidence, words):
    with pytest.raises(DataError, match=words):
        bootstrap_intervals([1.0], [2.0], _mean_difference, resamples, seed=0, confidence=confidence)


def test_an_empty_side_has_no_bootstrap():
    with pytest.raises(DataError, match="no rows"):
        bootstrap_intervals([], [2.0], _mean_difference, 10, seed=0)


def test_threads_give_the_same_intervals():
    rng = np.random.default_rng(6)
    reference, current = rng.normal(size=300), rng.normal(0.1, size=200)

    def two(r, c):
        return {"difference": float(np.mean(c) - np.mean(r)), "spread": float(np.std(c) / np.std(r))}

    one = bootstrap_intervals(reference, current, two, 60, seed=9)
    assert bootstrap_intervals(reference, current, two, 60, seed=9, threads=2) == one


def test_a_measure_given_as_none_has_no_interval():
    found = bootstrap_intervals([1.0, 2.0], [3.0], lambda r, c: {"w1": 1.0, "chi2": None}, 10, seed=0)
    assert list(found) == ["w1"]
