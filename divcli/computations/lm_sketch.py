"""``divcli lm --approx-percentiles``: D(P‖Q)'s statistics from a sketch, not from every position's value.

Without it, lm keeps every position's D (8 bytes a position) and its percentiles are numpy's, exact.
With it, the run keeps a histogram of D on fixed log-scale bins instead, merged by adding counts (a
block's, a Dask shard's), in memory that grows with the range of the values, not their number:

- bin k holds the positive values in (γ^(k−1), γ^k], γ = (1 + α)/(1 − α), α = :data:`ALPHA`; its
  value is 2γ^k/(γ + 1), within a relative α of every value in it; a D of 0 and of +inf are counted
  apart, exactly;
- a percentile is numpy's linear interpolation between the order statistics at ``q·(n − 1)``, each
  taken as its bin's value (clamped to the exact minimum and maximum): two values each within a
  relative α of the exact ones, interpolated with the exact weights, are within α of the exact
  percentile (they are ≥ 0), so every percentile is;
- the mean and its standard error, the minimum, the maximum and the count are exact (running moments,
  :class:`~divcli.computations.lm_measures.Moments`);
- the table's histogram counts each bin at its value: a position within α of a bin's edge may be
  counted in the bin beside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .lm_histogram import Histogram, edges
from .lm_measures import Moments
from .lm_statistics import KL_PERCENTILES

#: The relative error bound of every percentile: 2⁻¹⁰, just under 0.1%.
ALPHA = 2.0 ** -10
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)


@dataclass
class KlSketch:
    """D(P‖Q) of the positions so far: exact moments, minimum, maximum, zeros and infinities, and the
    counts of the log-scale bins of the positive finite values (by bin index)."""

    moments: Moments = field(default_factory=Moments)
    low: float = math.inf
    high: float = -math.inf
    zero: int = 0
    infinite: int = 0
    bins: dict[int, int] = field(default_factory=dict)

    def add(self, values: np.ndarray) -> None:
        """A block's values (each ≥ 0, as D is)."""
        if not values.size:
            return
        self.moments.add(values)
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        positive = values[(values > 0) & (values < math.inf)]
        self.zero += int(np.count_nonzero(values == 0))
        self.infinite += int(np.count_nonzero(values == math.inf))
        keys, counts = np.unique(np.ceil(np.log(positive) / _LOG_GAMMA).astype(np.int64), return_counts=True)
        for key, count in zip(keys.tolist(), counts.tolist()):
            self.bins[key] = self.bins.get(key, 0) + count

    def merge(self, other: "KlSketch") -> None:
        """Add the sketch of other positions."""
        self.moments.merge(other.moments)
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.zero += other.zero
        self.infinite += other.infinite
        for key, count in other.bins.items():
            self.bins[key] = self.bins.get(key, 0) + count

    def _sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct values in order (0, each bin's value, +inf) and how many positions have each."""
        keys = np.array(sorted(self.bins), dtype=np.float64)
        middles = np.clip(2 * GAMMA ** keys / (GAMMA + 1), self.low, self.high) if keys.size else keys
        values = np.concatenate([[0.0] * bool(self.zero), middles, [math.inf] * bool(self.infinite)])
        counts = [self.zero] * bool(self.zero) + [self.bins[key] for key in sorted(self.bins)]
        return values, np.array(counts + [self.infinite] * bool(self.infinite), dtype=np.int64)

    def percentile(self, percent: float) -> float:
        """numpy's linear percentile of the sketched values (an infinite neighbour: as lm's exact ones)."""
        values, counts = self._sorted()
        rank = percent / 100 * (self.moments.count - 1)
        below = math.floor(rank)
        ends = np.cumsum(counts)
        lower = values[np.searchsorted(ends, below, side="right")]
        upper = values[np.searchsorted(ends, min(below + 1, self.moments.count - 1), side="right")]
        fraction = rank - below
        if fraction == 0 or lower == upper:
            return float(lower)
        if math.isinf(upper):
            return math.inf
        return float(lower + fraction * (upper - lower))

    def statistics(self) -> dict[str, float | None]:
        """kl_mean, kl_se, kl_max, the percentiles and kl_min, as :func:`.lm_statistics.kl_statistics` has them."""
        document = self.moments.statistics("kl")
        document["kl_max"] = self.high
        document.update({key: self.percentile(percent) for key, percent in KL_PERCENTILES})
        document["kl_min"] = self.low
        return document

    def histogram(self) -> Histogram:
        """The table's histogram, each bin counted at its value (:func:`.lm_histogram.histogram`'s bins)."""
        values, counts = self._sorted()
        finite = (values > 0) & (values < math.inf)
        if not finite.any():
            return Histogram([], [], self.zero, self.infinite)
        bounds = edges(float(values[finite].min()), float(values[finite].max()))
        bins = np.searchsorted(np.array(bounds), values[finite], side="right") - 1
        return Histogram(bounds, np.bincount(bins, counts[finite], len(bounds) - 1).astype(int).tolist(),
                         self.zero, self.infinite)
