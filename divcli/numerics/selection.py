"""Exact quantiles of a sample too large to hold, from a few passes over it (``divcli drift`` beyond
memory, and over the shards of a Dask dataset).

numpy's default quantile (``method="linear"``) at level q of n sorted values x₀ ≤ … ≤ x₍ₙ₋₁₎ reads
two order statistics, x_⌊h⌋ and x_⌊h⌋₊₁ with h = (n − 1)·q, and interpolates between them
(:func:`quantile_from_order`, the same operations as numpy's, so the same float). The order
statistics are found by a radix selection over the values' bits:

1. every finite float64 maps to a 64-bit key in the same order (:func:`sort_keys`: the sign bit
   flipped for positives, every bit for negatives);
2. a pass counts the values in each of the 65,536 buckets of the keys' next 16 bits, among those
   whose key starts with the bits found so far (all of them, the first time); the bucket where the
   running count passes the wanted rank holds the order statistic, and its rank within the bucket
   follows;
3. once a bucket holds at most ``budget`` values (or all 64 bits are known: one value), one more
   pass keeps the values of that bucket, which are sorted and read at that rank.

So a quantile costs at most five passes (four of them counting 16 bits, usually one or two), and
memory for the 65,536 counts of each open bucket and the ``budget`` values kept. ``uniform:N``
needs the minimum and maximum alone, ``fd`` the quartiles as ``numpy.histogram_bin_edges`` takes
them (:func:`fd_edges`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIGIT_BITS = 16
_SIGN = np.uint64(1 << 63)


def sort_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys in the order of the finite float64 ``values`` (−0.0 just below 0.0)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def key_value(key: int) -> float:
    """The float64 whose :func:`sort_keys` key is ``key``."""
    bits = np.uint64(key)
    bits = bits & ~_SIGN if bits & _SIGN else ~bits
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def quantile_ranks(n: int, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For numpy's linear quantiles of ``n`` values at ``levels``: the ranks (from 0) of the order
    statistics below and above each, and the interpolation weights, as numpy computes them."""
    virtual = (n - 1) * levels
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1
    previous[above] = following[above] = n - 1
    gamma = virtual - np.where(above, -1.0, previous)  # numpy's weight, where both values are the last one
    return previous.astype(np.int64), following.astype(np.int64), gamma


def quantile_from_order(below: np.ndarray, above: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """numpy's ``_lerp``: below + (above − below)·γ, or above − (above − below)·(1 − γ) where γ ≥ ½."""
    difference = above - below
    found = below + difference * gamma
    return np.where(gamma >= 0.5, above - difference * (1 - gamma), found)


def fd_edges(n: int, low: float, high: float, quartiles: tuple[float, float]) -> np.ndarray:
    """``numpy.histogram_bin_edges(x, "fd")`` of ``n`` finite values from their minimum, maximum and
    (75th, 25th) percentiles."""
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, fd_bins(n, low, high, quartiles) + 1, endpoint=True)


def fd_bins(n: int, low: float, high: float, quartiles: tuple[float, float]) -> int:
    """How many bins the Freedman–Diaconis rule asks for (known before any edge is made)."""
    width = 2.0 * (quartiles[0] - quartiles[1]) * n ** (-1.0 / 3.0)
    return int(np.ceil((high - low) / width)) if width and high > low else 1


@dataclass
class Target:
    """One order statistic being looked for: its rank among the values whose key starts with
    ``prefix`` (``bits`` long), and how many values those are."""

    rank: int
    count: int
    bits: int = 0
    prefix: int = 0

    @property
    def bucket(self) -> tuple[int, int]:
        return self.bits, self.prefix

    def narrowed(self, budget: int) -> bool:
        """Whether its bucket is small enough to be kept whole (or is a single value)."""
        return self.count <= budget or self.bits >= 64

    def descend(self, counts: np.ndarray) -> None:
        """Into the sub-bucket of the next 16 bits that holds it, from that bucket's counts."""
        running = np.cumsum(counts)
        digit = int(np.searchsorted(running, self.rank, side="right"))
        self.rank -= int(running[digit - 1]) if digit else 0
        self.prefix = (self.prefix << DIGIT_BITS) | digit
        self.bits += DIGIT_BITS
        self.count = int(counts[digit])


def in_bucket(keys: np.ndarray, bucket: tuple[int, int], values: np.ndarray | None = None) -> np.ndarray:
    """The keys that start with the bucket's ``bits`` bits ``prefix`` (or those keys' ``values``)."""
    bits, prefix = bucket
    chosen = keys if values is None else values
    if bits == 0:
        return chosen
    return chosen[(keys >> np.uint64(64 - bits)) == np.uint64(prefix)]


def digit_counts(keys: np.ndarray, bucket: tuple[int, int]) -> np.ndarray:
    """How many of ``keys`` in ``bucket`` fall in each of its 65,536 sub-buckets."""
    bits, _ = bucket
    inside = in_bucket(keys, bucket)
    digits = (inside >> np.uint64(64 - bits - DIGIT_BITS)) & np.uint64((1 << DIGIT_BITS) - 1)
    return np.bincount(digits.astype(np.int64), minlength=1 << DIGIT_BITS)


def target_value(target: Target, kept: dict[tuple[int, int], np.ndarray]) -> float:
    """The order statistic, from the sorted values kept of its bucket (none when all 64 bits are known)."""
    if target.bits >= 64:
        return key_value(target.prefix)
    return float(kept[target.bucket][target.rank])
