"""numerics.smoothing.smooth: the shares after a pseudocount or an epsilon floor, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from divcli.numerics.smoothing import smooth

pytestmark = pytest.mark.numeric


def test_pseudocount_adds_to_every_count_then_normalises():
    np.testing.assert_allclose(smooth([3, 0, 1], pseudocount=1), [4 / 7, 1 / 7, 2 / 7], rtol=1e-15)


def test_epsilon_floors_the_shares_then_renormalises():
    got = smooth([0.0, 0.25, 0.75], epsilon=0.1)
    np.testing.assert_allclose(got, np.array([0.1, 0.25, 0.75]) / 1.1, rtol=1e-15)
    np.testing.assert_allclose(smooth([0, 50, 150], epsilon=0.1), got, rtol=1e-15)  # counts or shares alike


def test_rows_are_the_last_axis_and_nothing_is_plain_shares():
    counts = np.array([[1.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    np.testing.assert_allclose(smooth(counts), counts / counts.sum(axis=1, keepdims=True), rtol=1e-15)
    assert np.all(smooth(counts, pseudocount=0.5) > 0) and np.allclose(smooth(counts, epsilon=1e-3).sum(axis=1), 1)


def test_one_way_at_a_time():
    with pytest.raises(ValueError):
        smooth([1, 2], pseudocount=1, epsilon=0.1)
