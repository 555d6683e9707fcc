"""Bins from a reference sample, and the counts of a sample in them (``divcli drift``).

A rule (:class:`BinRule`) gives the *inner* edges e₁ < e₂ < … < e_k from the reference's finite
values; the bins are then

    (−∞, e₁], (e₁, e₂], …, (e_k, +∞)

closed on the right, as ``pandas.cut`` and ``pandas.qcut`` make them: a value equal to an edge
falls in the bin below it (``numpy.searchsorted(edges, x, side="left")``). The outer bins are open,
so a current value beyond the reference's range is still counted. ``-inf`` falls in the first bin,
``+inf`` in the last; NaN in none (the caller counts it in a bin of its own).

- ``quantile:N``: the edges at the reference's quantiles 1/N, 2/N, … (N−1)/N, numpy's default
  method (``numpy.quantile``, linear interpolation between the sorted values). Equal edges (ties:
  a value that fills more than a bin) collapse into one, so there are fewer bins than N.
- ``uniform:N``: N−1 edges that cut [min, max] of the reference into N equal widths.
- ``fd``: the Freedman–Diaconis rule over the reference (``numpy.histogram_bin_edges(x, "fd")``:
  width 2·IQR·n^(−1/3)), its inner edges.
- ``edges:E1,E2,…``: the edges given (strictly increasing finite numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The most bins a rule may make (``fd`` over a long-tailed sample can ask for millions).
MAX_BINS = 10_000
#: What ``--bins`` gives when it is not given.
DEFAULT_RULE = "quantile:10"


@dataclass(frozen=True)
class BinRule:
    """A binning rule as the user wrote it: ``kind`` quantile, uniform, fd or edges; ``count`` the
    bins asked for (quantile, uniform); ``edges`` the edges given (edges)."""

    kind: str
    count: int | None = None
    edges: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        if self.kind == "edges":
            return "edges:" + ",".join(f"{edge:g}" for edge in self.edges)
        return self.kind if self.count is None else f"{self.kind}:{self.count}"

    @classmethod
    def parse(cls, text: str) -> "BinRule":
        """``quantile:10``, ``uniform:20``, ``fd``, ``edges:0,1.5,3``; a ValueError saying why for
        anything else."""
        kind, _, argument = text.strip().partition(":")
        kind = kind.strip().lower()
        if kind in ("quantile", "uniform"):
            count = _count(argument, kind)
            return cls(kind, count)
        if kind == "fd":
            if argument.strip():
                raise ValueError("fd takes no number: the Freedman–Diaconis rule chooses the width")
            return cls("fd")
        if kind == "edges":
            return cls("edges", edges=_edges(argument))
        raise ValueError(f"{text!r} is not a binning rule; give quantile:N, uniform:N, fd or edges:E1,E2,…")


def _count(argument: str, kind: str) -> int:
    text = argument.strip()
    if not (text.isascii() and text.isdigit()) or not 2 <= int(text) <= MAX_BINS:
        raise ValueError(f"{kind}:{argument} needs a whole number of bins from 2 to {MAX_BINS:,}, such as {kind}:10")
    return int(text)


def _edges(argument: str) -> tuple[float, ...]:
    edges = []
    for item in argument.split(","):
        try:
            edge = float(item)
        except ValueError:
            raise ValueError(f"edges:{argument}: {item.strip()!r} is not a number; give edges:E1,E2,… such as "
                             "edges:0,10,100") from None
        if not np.isfinite(edge):
            raise ValueError(f"edges:{argument}: {item.strip()!r} is not finite; the outer bins are open already")
        edges.append(edge)
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"edges:{argument}: the edges must increase strictly, such as edges:0,10,100")
    return tuple(edges)


@dataclass(frozen=True)
class Edges:
    """The inner edges a rule gave, and how many equal edges collapsed (``quantile`` with ties)."""

    inner: np.ndarray
    collapsed: int = 0


def reference_edges(rule: BinRule, reference: np.ndarray) -> Edges:
    """The inner edges of ``rule`` over the finite values of ``reference`` (sorted or not)."""
    finite = reference[np.isfinite(reference)]
    if rule.kind == "edges":
        return Edges(np.array(rule.edges, dtype=np.float64))
    if finite.size == 0:  # no finite value: one bin for all (and NaN's own)
        return Edges(np.empty(0))
    if rule.kind == "quantile":
        levels = np.arange(1, rule.count) / rule.count
        edges = np.quantile(finite, levels)
        inner = np.unique(edges)
        return Edges(inner, len(edges) - len(inner))
    if rule.kind == "uniform":
        low, high = float(finite.min()), float(finite.max())
        inner = np.unique(np.linspace(low, high, rule.count + 1)[1:-1])
        return Edges(inner, rule.count - 1 - len(inner))
    # numpy's width, 2·IQR·n^(−1/3), checked before numpy makes the edges (a few outliers ask for 10¹⁰)
    width = 2.0 * float(np.subtract(*np.percentile(finite, [75, 25]))) * finite.size ** (-1.0 / 3.0)
    asked = math.ceil((float(finite.max()) - float(finite.min())) / width) if width > 0 else 1
    if asked > MAX_BINS:
        raise ValueError(f"the Freedman–Diaconis rule asks for {asked:,} bins (a long tail); give "
                         "quantile:N or uniform:N")
    outer = np.histogram_bin_edges(finite, bins="fd")
    return Edges(np.unique(outer[1:-1]))


def bin_counts(values: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, int]:
    """The count of ``values`` in each of the ``len(inner) + 1`` bins (right-closed, outer bins open),
    and the count of NaN values, which fall in none."""
    missing = np.isnan(values)
    present = values[~missing] if missing.any() else values
    index = np.searchsorted(inner, present, side="left")
    return np.bincount(index, minlength=len(inner) + 1).astype(np.float64), int(missing.sum())


def bin_labels(inner: np.ndarray) -> list[tuple[float, float]]:
    """(low, high) of each bin: (−∞, e₁], …, (e_k, +∞)."""
    bounds = [-np.inf, *map(float, inner), np.inf]
    return list(zip(bounds[:-1], bounds[1:]))
