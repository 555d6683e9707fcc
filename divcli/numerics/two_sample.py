"""Distances between two samples of numbers, from their sorted values (no bins).

Both take the finite values of each sample, sorted, and the two empirical distribution functions
F_r(x) = #{r_i ≤ x} / n and F_c(x) = #{c_j ≤ x} / m, evaluated exactly at every value of the
pooled sample (between two pooled values both are constant):

- :func:`wasserstein_1`: W₁ = ∫ |F_r − F_c| dx = Σ |F_r(x_k) − F_c(x_k)| · (x_{k+1} − x_k), over
  the pooled sorted values x_k; in the data's units (``scipy.stats.wasserstein_distance``).
- :func:`ks_statistic`: D = max_x |F_r(x) − F_c(x)|, in [0, 1] (``scipy.stats.ks_2samp``'s
  statistic).

A sample with no finite value gives NaN (neither is defined).
"""

from __future__ import annotations

import numpy as np


def sorted_finite(values: np.ndarray) -> np.ndarray:
    """The finite values of ``values``, sorted (NaN and ±inf left out)."""
    return np.sort(values[np.isfinite(values)])


def _cdf_gaps(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|F_r − F_c| at each pooled value but the last, and the gaps to the next pooled value."""
    pooled = np.sort(np.concatenate([reference, current]))
    at = pooled[:-1]
    f_r = np.searchsorted(reference, at, side="right") / reference.size
    f_c = np.searchsorted(current, at, side="right") / current.size
    return np.abs(f_r - f_c), np.diff(pooled)


def wasserstein_1(reference: np.ndarray, current: np.ndarray) -> float:
    """W₁ between two sorted samples of finite values (NaN when either is empty)."""
    if reference.size == 0 or current.size == 0:
        return float("nan")
    gaps, widths = _cdf_gaps(reference, current)
    return float(np.dot(gaps, widths))


def ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """The two-sample Kolmogorov–Smirnov statistic D of two sorted samples of finite values (NaN when
    either is empty)."""
    if reference.size == 0 or current.size == 0:
        return float("nan")
    pooled = np.concatenate([reference, current])
    f_r = np.searchsorted(reference, pooled, side="right") / reference.size
    f_c = np.searchsorted(current, pooled, side="right") / current.size
    return float(np.max(np.abs(f_r - f_c)))
