"""The histogram of ``divcli lm``'s table: how many positions have a D(P‖Q) in each bin of a log scale.

The bins' edges are round numbers: 1, 2 and 5 times a power of ten where the positive values span
:data:`FINE_DECADES` decades or fewer, one a decade beyond, from the largest edge at or below the
smallest positive value to the smallest edge above the largest. Each bin holds the values from its
lower edge up to, not including, its upper one (numpy's ``histogram`` with these edges counts the
same). Where the values span more than :data:`MAX_DECADES` decades the first bin takes every value
below the last :data:`MAX_DECADES` (its lower edge is still the smallest value's). A KL of 0 (the
same distribution) and one of +inf (a token Q gives probability 0) have no place on a log scale:
they are counted apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Edges at 1, 2 and 5 times each power of ten up to this many decades of values; one a decade beyond.
FINE_DECADES = 5
#: At most this many bins of a decade; the smaller values go into the first bin.
MAX_DECADES = 12


@dataclass(frozen=True)
class Histogram:
    """The bins' edges (ascending: bin i holds ``edges[i] ≤ D < edges[i + 1]``), the count of each
    bin, and the counts of the positions whose D(P‖Q) is 0 and +inf."""

    edges: list[float]
    counts: list[int]
    zero: int = 0
    infinite: int = 0


def _edge(mantissa: int, exponent: int) -> float:
    """``mantissa``·10^``exponent``, the float64 nearest to the decimal number (as ``float("2e-5")``)."""
    return float(f"{mantissa}e{exponent}")


def edges(low: float, high: float) -> list[float]:
    """The edges of bins that hold every value from ``low`` to ``high`` (0 < low ≤ high < +inf)."""
    # a decade of slack each side for log10's rounding: the edges are then chosen by comparison
    bottom, top = math.floor(math.log10(low)) - 1, math.floor(math.log10(high)) + 1
    fine = top - bottom - 1 <= FINE_DECADES
    candidates = [edge for exponent in range(bottom, top + 2) for mantissa in ((1, 2, 5) if fine else (1,))
                  if (edge := _edge(mantissa, exponent)) > 0]  # 1e-325 is 0 in float64
    first = max(edge for edge in candidates if edge <= low)
    last = min(edge for edge in candidates if edge > high)
    found = [edge for edge in candidates if first <= edge <= last]
    if len(found) - 1 > MAX_DECADES:  # only decades here: the smaller ones in the first bin
        found = [found[0]] + found[-MAX_DECADES:]
    return found


def histogram(kl: np.ndarray) -> Histogram:
    """The histogram of the per-position values ``kl`` (nan, which D(P‖Q) never is, left out)."""
    positive = kl[(kl > 0) & (kl < np.inf)]
    zero, infinite = int(np.count_nonzero(kl == 0)), int(np.count_nonzero(kl == np.inf))
    if not positive.size:
        return Histogram([], [], zero, infinite)
    bounds = edges(float(positive.min()), float(positive.max()))
    bins = np.searchsorted(np.array(bounds), positive, side="right") - 1
    counts = np.bincount(bins, minlength=len(bounds) - 1)
    return Histogram(bounds, counts.tolist(), zero, infinite)
