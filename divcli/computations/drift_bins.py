"""The bins of one column of ``divcli drift``: numeric columns cut at the reference's edges
(:mod:`divcli.numerics.binning`), categorical ones counted per category; missing values in a bin
of their own. Both sides are counted in the same bins, made from the reference alone (the
categories: from both).

A column's :class:`Binning` is what the reference decided (edges, or the categories and those
folded into "(other)"); :func:`counts` counts any sample in it, so the same bins serve a resample
of either side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..numerics.binning import BinRule, Edges, bin_counts, bin_labels, reference_edges
from ..readers.sample_records import sorted_categories

NUMERIC, CATEGORICAL = "numeric", "categorical"
#: The labels of the bins that are no range and no category of the data.
MISSING, OTHER = "(missing)", "(other)"


@dataclass(frozen=True)
class Binning:
    """How a column is binned: a numeric column's inner edges (``edges``, and how many equal ones
    collapsed), or a categorical column's categories in order (``categories``) and those folded
    into ``(other)`` (``folded``); ``missing``: whether the bin of missing values is shown (either
    side has one)."""

    kind: str
    edges: Edges | None = None
    categories: tuple[str, ...] = ()
    folded: frozenset[str] = frozenset()
    missing: bool = False

    def labels(self) -> list[str]:
        """Each bin's label: ``(-inf, 1.5]``, a category, ``(other)``, ``(missing)``."""
        if self.kind == NUMERIC:
            texts = ["-inf", *edge_texts(self.edges.inner), "+inf"]
            labels = [f"({low}, {high}]" if high != "+inf" else f"({low}, +inf)" for low, high in zip(texts, texts[1:])]
        else:
            labels = [category_label(name) for name in self.categories] + ([OTHER] if self.folded else [])
        return labels + ([MISSING] if self.missing else [])

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """(low, high) of each bin of a numeric column (None for the missing bin and for categories)."""
        if self.kind == NUMERIC:
            found: list[tuple[float | None, float | None]] = list(bin_labels(self.edges.inner))
        else:
            found = [(None, None)] * (len(self.categories) + bool(self.folded))
        return found + ([(None, None)] if self.missing else [])


def category_label(name: str) -> str:
    """A category's label: its name, quoted where the data names it as a bin of divcli's own
    (``'(missing)'``, ``'(other)'``), so that the two read apart in every format."""
    return repr(name) if name in (MISSING, OTHER) else name


#: The significant digits of an edge in a bin's label, unless its neighbours need more.
EDGE_DIGITS = 6


def edge_texts(inner: np.ndarray) -> list[str]:
    """Each inner edge as a label shows it: 6 significant digits, or the fewest more that tell it
    apart from the edges beside it (1000000.25 and 1000000.5 are both 1e+06 at 6 digits)."""
    values = [float(value) for value in inner]
    digits = [EDGE_DIGITS] * len(values)
    for index in range(len(values) - 1):
        apart = _digits_apart(values[index], values[index + 1])
        digits[index], digits[index + 1] = max(digits[index], apart), max(digits[index + 1], apart)
    return [f"{value:.{places}g}" for value, places in zip(values, digits)]


def _digits_apart(low: float, high: float) -> int:
    """The fewest significant digits (6 to 17) at which two different edges read as different numbers."""
    for places in range(EDGE_DIGITS, 17):
        if float(f"{low:.{places}g}") != float(f"{high:.{places}g}"):
            return places
    return 17


def numeric_binning(rule: BinRule, reference: np.ndarray, current: np.ndarray, column: str) -> Binning:
    """The bins of a numeric column from its reference values (NaN where missing)."""
    try:
        edges = reference_edges(rule, reference)
    except ValueError as error:
        raise DataError(f"column {column!r}", str(error)) from None
    return Binning(NUMERIC, edges=edges, missing=bool(np.isnan(reference).any() or np.isnan(current).any()))


def category_binning(reference: np.ndarray, current: np.ndarray, min_share: float) -> Binning:
    """The categories of both sides (sorted: by value when every one is a number, else by text),
    those whose share is below ``min_share`` on both sides folded into ``(other)``."""
    missing = any(value is None for value in reference) or any(value is None for value in current)
    return tallied_binning([dict(zip(*_tally(reference))), dict(zip(*_tally(current)))],
                           [len(reference), len(current)], min_share, missing)


def tallied_binning(tallies: list[dict[str, int]], rows: list[int], min_share: float, missing: bool) -> Binning:
    """:func:`category_binning` from each side's count per category and its rows (missing ones
    included), as a sample read a piece at a time gives them."""
    shares: dict[str, list[float]] = {}
    for side, (tally, total) in enumerate(zip(tallies, rows)):
        for name, count in tally.items():
            shares.setdefault(name, [0.0, 0.0])[side] = count / total
    categories = sorted_categories(shares)
    folded = frozenset(name for name in categories if max(shares[name]) < min_share) if min_share > 0 else frozenset()
    kept = tuple(name for name in categories if name not in folded)
    return Binning(CATEGORICAL, categories=kept, folded=folded, missing=missing)


def tallied_counts(binning: Binning, tally: dict[str, int], missing: int) -> np.ndarray:
    """:func:`counts` of a categorical column from its count per category and its missing values."""
    index = {name: position for position, name in enumerate(binning.categories)}
    other = len(binning.categories)
    inside = np.zeros(other + bool(binning.folded))
    for name, count in tally.items():
        inside[index.get(name, other)] += count
    return np.append(inside, missing) if binning.missing else inside


def tally(labels: np.ndarray) -> dict[str, int]:
    """The count of each category name of ``labels`` (None: missing, not counted)."""
    return dict(zip(*_tally(labels)))


def _tally(labels: np.ndarray) -> tuple[list[str], list[int]]:
    present = [label for label in labels if label is not None]
    if not present:
        return [], []
    names, counts = np.unique(np.array(present, dtype=str), return_counts=True)
    return [str(name) for name in names], [int(count) for count in counts]


def counts(binning: Binning, values: np.ndarray) -> np.ndarray:
    """The count of ``values`` (numbers with NaN, or category names with None) in each bin."""
    if binning.kind == NUMERIC:
        inside, missing = bin_counts(values, binning.edges.inner)
    else:
        index = {name: position for position, name in enumerate(binning.categories)}
        other = len(binning.categories)
        inside = np.zeros(other + bool(binning.folded))
        missing = 0
        for name, count in zip(*_tally(values)):
            inside[index.get(name, other)] += count
        missing = int(sum(value is None for value in values))
    return np.append(inside, missing) if binning.missing else inside


def bin_codes(binning: Binning, values: np.ndarray) -> np.ndarray:
    """The bin of each category name (None: missing) as its index in :meth:`Binning.labels`, so that
    ``bincount`` of any resample of them is :func:`counts` of the resample."""
    missing = np.fromiter((value is None for value in values), bool, len(values))
    index = {name: position for position, name in enumerate(binning.categories)}
    codes = np.full(len(values), len(binning.labels()) - 1)  # the missing bin, where there is one
    if (~missing).any():
        names, inverse = np.unique(np.array(values[~missing], dtype=str), return_inverse=True)
        positions = np.array([index.get(str(name), len(binning.categories)) for name in names])
        codes[~missing] = positions[inverse.reshape(-1)]
    return codes


@dataclass
class Smoothing:
    """``--pseudocount A`` (added to every bin's count) or ``--epsilon E`` (shares floored at E, then
    renormalised), or neither."""

    pseudocount: float | None = None
    epsilon: float | None = None

    @property
    def text(self) -> str | None:
        if self.pseudocount is not None:
            return f"pseudocount {self.pseudocount:g}"
        if self.epsilon is not None:
            return f"epsilon {self.epsilon:g}"
        return None

    def apply(self, counted: np.ndarray) -> np.ndarray:
        """The weights of the bins after smoothing (shares up to a factor: the kernels divide by the sum)."""
        if self.pseudocount is not None:
            return counted + self.pseudocount
        if self.epsilon is not None:
            total = counted.sum()
            shares = counted / total if total else np.full(counted.shape, 1.0 / counted.size)
            return np.maximum(shares, self.epsilon)
        return counted
