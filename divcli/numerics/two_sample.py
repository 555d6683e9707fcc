"""Distances between two samples of numbers, from their sorted values (no bins).

Both take the finite values of each sample, sorted, and the two empirical distribution functions
F_r(x) = #{r_i ≤ x} / n and F_c(x) = #{c_j ≤ x} / m, evaluated exactly at every value of the
pooled sample (between two pooled values both are constant):

- :func:`wasserstein_1`: W₁ = ∫ |F_r − F_c| dx = Σ |F_r(x_k) − F_c(x_k)| · (x_{k+1} − x_k), over
  the pooled sorted values x_k; in the data's units (``scipy.stats.wasserstein_distance``).
- :func:`ks_statistic`: D = max_x |F_r(x) − F_c(x)|, in [0, 1] (``scipy.stats.ks_2samp``'s
  statistic).

A sample with no finite value gives NaN (neither is defined). :func:`distances` gives both from one
merge of the two sorted samples, in O(n + m) beyond a ``searchsorted``: a bootstrap computes them
once per resample.
"""

from __future__ import annotations

import numpy as np


def sorted_finite(values: np.ndarray) -> np.ndarray:
    """The finite values of ``values``, sorted (NaN and ±inf left out)."""
    return np.sort(values[np.isfinite(values)])


def distances(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(W₁, D) of two sorted samples of finite values, from one merge of the two (NaN, NaN when
    either is empty). The merge puts each current value after the reference's values up to and
    including it (one ``searchsorted`` of the current values), so the running counts of each side
    along the pooled values are F_r·n and F_c·m: exact at the last of equal pooled values, which is
    where D is read, and W₁'s terms between equal values have width 0."""
    n, m = reference.size, current.size
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    at = np.searchsorted(reference, current, side="right") + np.arange(m)
    is_current = np.zeros(n + m, dtype=bool)
    is_current[at] = True
    pooled = np.empty(n + m)
    pooled[at] = current
    pooled[~is_current] = reference
    counted_current = np.cumsum(is_current)
    counted_reference = np.arange(1, n + m + 1) - counted_current
    gaps = np.abs(counted_reference / n - counted_current / m)
    last = np.append(pooled[1:] != pooled[:-1], True)  # the last of each run of equal values
    # numpy's pairwise sum, not np.dot: BLAS splits a long dot product over threads, so its last digits
    # would depend on the machine's cores (and its threads cost more than the sum here)
    return float(np.sum(gaps[:-1] * np.diff(pooled))), float(np.max(gaps[last]))


def wasserstein_1(reference: np.ndarray, current: np.ndarray) -> float:
    """W₁ between two sorted samples of finite values (NaN when either is empty)."""
    return distances(reference, current)[0]


def ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """The two-sample Kolmogorov–Smirnov statistic D of two sorted samples of finite values (NaN when
    either is empty)."""
    return distances(reference, current)[1]
