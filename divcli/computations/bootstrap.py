"""Bootstrap intervals of two-sample statistics: how much a drift measure would move if the reference
and the current samples had been drawn again.

**What is resampled.** Both sides, independently: each resample draws as many rows as the side has,
with replacement, from the reference, and as many from the current sample (numpy's
``Generator(PCG64(seed))``, the reference's rows first). The statistic is computed on each pair of
resamples; the reference's bins, if the statistic bins, are its own business (a statistic that
takes its edges from each resampled reference puts the binning's variation into the interval too).

**The interval** is the percentile interval: the (1 − c)/2 and (1 + c)/2 quantiles of the
statistic over the resamples, for a confidence c, linearly interpolated between order statistics
(numpy's default ``percentile`` method). It is the plainest bootstrap interval, not a corrected one
(BCa): it is as wide as the statistic's spread, and where the statistic is biased (a divergence of
two samples of one distribution is above 0 on average) the interval is too.

**Infinite values** are kept: a resample that misses a bin where the other side has mass gives an
unsmoothed KL divergence of +inf, and an interval reaching +inf says truthfully that this happens
often enough (more than (1 − c)/2 of the resamples) at this sample size; smoothing makes it finite.
An undefined value (NaN: a resample with no finite values, say) is left out of its measure's
quantiles and counted in :attr:`Interval.undefined`; a measure NaN on every resample has a NaN
interval.

**The same seed gives the same interval**, on every machine: the draws are PCG64's, and the same
rows are drawn for every column of a sample (the rows are resampled, not each column apart). A
resample of numbers is handed to the statistic sorted (NaN last), so a statistic that sorts
(Wasserstein-1, Kolmogorov–Smirnov) finds its work done; one of other values (category names) in the
order drawn. The statistics drift computes do not depend on the order of the rows. On 10^5 rows a side, drawing and sorting a resample takes about 1 ms: the statistic's own
work is what a bootstrap costs, and it can run on several threads (the draws stay in one, in order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ..engine.threads import ordered
from ..errors import DataError, option

#: A two-sample statistic: (reference rows, current rows) → measure key → value.
Statistic = Callable[[np.ndarray, np.ndarray], Mapping[str, float]]


@dataclass(frozen=True)
class Resampling:
    """What a bootstrap is asked: how many resamples, the seed of their draws, the confidence level
    of the intervals, and how many threads compute the statistic."""

    resamples: int
    seed: int = 0
    confidence: float = 0.95
    threads: int = 1


@dataclass(frozen=True)
class Interval:
    """A measure's percentile interval [low, high] over the resamples, and how many resamples left
    it undefined (NaN, left out)."""

    low: float
    high: float
    undefined: int = 0


def bootstrap_intervals(reference, current, statistic: Statistic, resamples: int, seed: int,
                        confidence: float = 0.95, threads: int = 1) -> dict[str, Interval]:
    """Per measure of ``statistic``, its percentile interval at ``confidence`` over ``resamples``
    resamples of ``reference`` and ``current`` (1-D arrays of one column's values, NaN included,
    or of category codes), both sides resampled independently with numpy's PCG64 from ``seed``. A
    measure the statistic gives as None (one the column has not) has no interval. With ``threads``
    above 1 the statistic runs on that many resamples at once (it must be safe to), drawn in order in
    one thread: the intervals are the same."""
    _check(resamples, confidence)
    sides = [_rows(values) for values in (reference, current)]
    generator = np.random.Generator(np.random.PCG64(seed))
    draws = ([_resample(rows, generator) for rows in sides] for _ in range(resamples))
    values: dict[str, list[float]] = {}
    for found in ordered(lambda drawn: statistic(*drawn), draws, threads):
        for key, value in found.items():
            if value is not None:
                values.setdefault(key, []).append(float(value))
    return {key: percentile_interval(np.array(found), confidence) for key, found in values.items()}


def percentile_interval(values: np.ndarray, confidence: float) -> Interval:
    """The (1 − c)/2 and (1 + c)/2 quantiles of ``values`` (NaN left out and counted), interpolated
    as numpy's ``percentile`` does; an infinite neighbour makes the quantile infinite."""
    defined = np.sort(values[~np.isnan(values)])
    undefined = len(values) - len(defined)
    if len(defined) == 0:
        return Interval(math.nan, math.nan, undefined)
    tail = (1 - confidence) / 2
    return Interval(_quantile(defined, tail), _quantile(defined, 1 - tail), undefined)


def _quantile(ordered: np.ndarray, q: float) -> float:
    """numpy's linear quantile of the sorted ``ordered`` at ``q``, without inf − inf: between an
    infinite order statistic and another value it is the infinite one."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    fraction = position - below
    low = float(ordered[below])
    if fraction == 0 or below + 1 == len(ordered):
        return low
    high = float(ordered[below + 1])
    if math.isinf(low):
        return low
    if math.isinf(high):
        return high
    return low + fraction * (high - low)


def _rows(values) -> np.ndarray:
    rows = np.asarray(values).reshape(-1)
    if len(rows) == 0:
        raise DataError("", "a sample with no rows has no bootstrap")
    return rows


def _resample(rows: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """As many of ``rows`` as there are, drawn with replacement; sorted (NaN last) if numbers."""
    drawn = rows[generator.integers(0, len(rows), size=len(rows))]
    return np.sort(drawn) if drawn.dtype.kind in "fiub" else drawn


def _check(resamples: int, confidence: float) -> None:
    if not isinstance(resamples, (int, np.integer)) or resamples < 1:
        raise DataError("", f"a bootstrap needs 1 resample or more, not {resamples!r}",
                        f"pass {option('bootstrap', 1000)}")
    if not 0 < confidence <= 1:
        raise DataError("", f"a confidence level is above 0 and at most 1, not {confidence!r}",
                        f"pass {option('ci', 0.95)}")
