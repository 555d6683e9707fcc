"""``divcli drift`` without holding the samples: the same bins, counts and binned measures as
:mod:`.drift`, from passes over the samples a piece at a time (a large file's pieces, or the shards
of a Dask dataset). Nothing here reads a file: a :class:`Side` hands each piece to a function and
gives back its results, in order, so the same passes run locally and as Dask tasks.

The passes (each over every piece of a side; a function of the piece, its results merged):

1. kinds, both sides: whether each column is text (counted per category) or numbers, as the whole
   column decides it in memory;
2. tallies, both sides: a categorical column's count per category and missing values (its counts
   follow, in :func:`~.drift_bins.tallied_binning`'s categories); a numeric column's missing
   values, finite values, minimum and maximum;
3. for ``quantile:N`` and ``fd``, the reference's order statistics numpy's quantiles read, by a
   radix selection (:mod:`divcli.numerics.selection`): one to four passes counting 16 bits of the
   values' keys, then one keeping the values of the buckets that hold them, at most ``budget`` each;
4. counts, both sides: every numeric column's values in the reference's bins.

So the edges are numpy's exactly, the counts are the same integers and every binned measure the
same float as in memory (χ²'s p-value too, when asked for). W₁ and KS need the two samples' sorted
values, and a bootstrap resamples their rows, which are not held: they are left out (None, no
intervals), with a warning saying so once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterator, Protocol

import numpy as np

from ..errors import DataError
from ..numerics.binning import MAX_BINS, Edges
from ..numerics.selection import (Target, digit_counts, fd_bins, fd_edges, in_bucket, quantile_from_order, quantile_ranks,
                                  sort_keys, target_value)
from ..readers.sample_records import Samples
from .drift import DriftReport, DriftSettings, from_counts, shared_columns, warn_floor
from .drift_bins import NUMERIC, Binning, tally, tallied_binning, tallied_counts

#: How many values of a bucket are kept at most to read an order statistic when no budget is given.
BUDGET = 1 << 22
TEXT, NUMBERS, EMPTY = "text", "numbers", "empty"
LEFT_OUT = ("W₁ and KS are left out: the samples were read a piece at a time, and those need every "
            "value sorted; give a sample of the rows that fits in memory for them")

NO_BOOTSTRAP = ("the bootstrap intervals are left out: the samples were read a piece at a time, and a resample "
                "needs every row; give a sample of the rows that fits in memory for them")


class Side(Protocol):
    """One sample, a piece at a time: ``name`` as the report says it, ``first()`` its first piece,
    ``each(function)`` each piece's ``function(piece)``, in order."""

    name: str

    def first(self) -> Samples: ...

    def each(self, function: Callable[[Samples], object]) -> Iterator: ...


def _kinds(names: tuple[str, ...], piece: Samples) -> tuple[int, dict[str, str]]:
    """The piece's rows, and what each column holds in it: text only, numbers, or nothing."""
    found = {}
    for name in names:
        column = piece.column(name)
        if piece.textual(column):
            found[name] = TEXT
        elif column.cells.dtype != object:
            found[name] = EMPTY if np.isnan(column.cells).all() else NUMBERS
        else:
            found[name] = EMPTY if all(cell is None for cell in piece.categories(column)) else NUMBERS
    return piece.rows, found


def _tallies(columns: tuple[tuple[str, bool], ...], piece: Samples) -> dict[str, tuple]:
    """Per column: a categorical one's (count per category, missing values); a numeric one's
    (missing, finite values, their minimum and maximum)."""
    found: dict[str, tuple] = {}
    for name, categorical in columns:
        column = piece.column(name)
        if categorical:
            labels = piece.categories(column)
            found[name] = (tally(labels), sum(label is None for label in labels))
        else:
            values = piece.numbers(column)
            finite = values[np.isfinite(values)]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (np.inf, -np.inf)
            found[name] = (int(np.isnan(values).sum()), finite.size, low, high)
    return found


def _merged_tally(parts: list[tuple]) -> tuple:
    if isinstance(parts[0][0], dict):
        summed: dict[str, int] = {}
        for counted, _ in parts:
            for name, count in counted.items():
                summed[name] = summed.get(name, 0) + count
        return summed, sum(missing for _, missing in parts)
    return (sum(part[0] for part in parts), sum(part[1] for part in parts), min(part[2] for part in parts),
            max(part[3] for part in parts))


def _finite_keys(piece: Samples, name: str) -> tuple[np.ndarray, np.ndarray]:
    values = piece.numbers(piece.column(name))
    finite = values[np.isfinite(values)]
    return finite, sort_keys(finite)


def _digits(buckets: dict[str, tuple], piece: Samples) -> dict[str, dict]:
    """Per column, the counts of the next 16 bits in each of its open buckets."""
    found = {}
    for name, wanted in buckets.items():
        _, keys = _finite_keys(piece, name)
        found[name] = {bucket: digit_counts(keys, bucket) for bucket in wanted}
    return found


def _kept(buckets: dict[str, tuple], piece: Samples) -> dict[str, dict]:
    """Per column, the values of each of its narrowed buckets."""
    found = {}
    for name, wanted in buckets.items():
        finite, keys = _finite_keys(piece, name)
        found[name] = {bucket: in_bucket(keys, bucket, finite) for bucket in wanted}
    return found


def _counted(edges: dict[str, np.ndarray], piece: Samples) -> dict[str, tuple[np.ndarray, int]]:
    """Per numeric column, its count in each bin at ``edges`` and its missing values."""
    from ..numerics.binning import bin_counts

    return {name: bin_counts(piece.numbers(piece.column(name)), inner) for name, inner in edges.items()}


def _summed(results: Iterator[dict], merge: Callable) -> dict:
    """Each key's values over the pieces, merged by ``merge`` (a list of them, in order)."""
    gathered: dict[str, list] = {}
    for result in results:
        for key, value in result.items():
            gathered.setdefault(key, []).append(value)
    return {key: merge(values) for key, values in gathered.items()}


@dataclass
class _Column:
    """What the passes have found of one column so far."""

    name: str
    categorical: bool
    tallies: tuple = ()
    current: tuple = ()


def streamed_drift(reference: Side, current: Side, settings: DriftSettings, warn=lambda message: None,
                   budget: int = BUDGET) -> DriftReport:
    """:func:`divcli.computations.drift.drift` of two samples read a piece at a time (W₁ and KS left out)."""
    names = tuple(shared_columns(reference.first(), current.first(), settings.categorical))
    rows, textual = _kinds_of((reference, current), names)
    columns = [_Column(name, name in settings.categorical or (textual[0][name] and textual[1][name]))
               for name in names]
    _tally(reference, current, columns)
    numeric = [column for column in columns if not column.categorical]
    edges = _reference_edges(reference, numeric, settings, budget)
    counted = _bin_counts((reference, current), edges) if numeric else [{}, {}]
    found = [_column_drift(column, edges, counted, rows, settings, warn) for column in columns]
    warn_floor(found, settings, warn)
    if numeric:
        warn(LEFT_OUT)
    if settings.bootstrap is not None:
        warn(NO_BOOTSTRAP)
    return DriftReport(reference.name, current.name, rows[0], rows[1], settings, found)


def _kinds_of(sides: tuple[Side, Side], names: tuple[str, ...]) -> tuple[list[int], list[dict[str, bool]]]:
    """Pass 1: each side's rows, and whether each column is text only there (in some piece text,
    in none a number), as the whole column decides it in memory."""
    rows, textual = [], []
    for side in sides:
        kinds = list(side.each(partial(_kinds, names)))
        rows.append(sum(count for count, _ in kinds))
        textual.append({name: any(found[name] == TEXT for _, found in kinds)
                        and not any(found[name] == NUMBERS for _, found in kinds) for name in names})
    return rows, textual


def _tally(reference: Side, current: Side, columns: list[_Column]) -> None:
    """Pass 2: each column's tallies on both sides (:func:`_tallies`), kept in the column."""
    plan = tuple((column.name, column.categorical) for column in columns)
    for side, key in ((reference, "tallies"), (current, "current")):
        found = _summed(side.each(partial(_tallies, plan)), _merged_tally)
        for column in columns:
            setattr(column, key, found[column.name])


def _bin_counts(sides: tuple[Side, Side], edges: dict[str, Edges]) -> list[dict]:
    """The last pass: per side, each numeric column's counts in its bins and its missing values."""
    inner = {name: found.inner for name, found in edges.items()}
    return [_summed(side.each(partial(_counted, inner)),
                    lambda parts: (np.sum([part[0] for part in parts], axis=0), sum(part[1] for part in parts)))
            for side in sides]


def _column_drift(column: _Column, edges: dict[str, Edges], counted: list[dict], rows: list[int],
                  settings: DriftSettings, warn):
    if column.categorical:
        (tally_r, missing_r), (tally_c, missing_c) = column.tallies, column.current
        binning = tallied_binning([tally_r, tally_c], rows, settings.min_share, bool(missing_r or missing_c))
        both = [tallied_counts(binning, tally_r, missing_r), tallied_counts(binning, tally_c, missing_c)]
    else:
        (inside_r, missing_r), (inside_c, missing_c) = counted[0][column.name], counted[1][column.name]
        binning = Binning(NUMERIC, edges=edges[column.name], missing=bool(missing_r or missing_c))
        both = [np.append(inside, missing) if binning.missing else inside
                for inside, missing in ((inside_r, missing_r), (inside_c, missing_c))]
    return from_counts(column.name, binning, both[0], both[1], settings, warn)


def _reference_edges(reference: Side, numeric: list[_Column], settings: DriftSettings,
                     budget: int) -> dict[str, Edges]:
    """Each numeric column's inner edges, as :func:`divcli.numerics.binning.reference_edges` gives
    them from the whole reference."""
    rule = settings.bins
    edges: dict[str, Edges] = {}
    levels = {"quantile": np.arange(1, rule.count or 2) / (rule.count or 2), "fd": np.array([0.75, 0.25])}
    wanted = {}
    for column in numeric:
        _, n, low, high = column.tallies
        if rule.kind == "edges":
            edges[column.name] = Edges(np.array(rule.edges, dtype=np.float64))
        elif n == 0:
            edges[column.name] = Edges(np.empty(0))
        elif rule.kind == "uniform":
            inner = np.unique(np.linspace(low, high, rule.count + 1)[1:-1])
            edges[column.name] = Edges(inner, rule.count - 1 - len(inner))
        else:
            wanted[column.name] = quantile_ranks(n, levels[rule.kind])
    found = _order_statistics(reference, {column.name: (column.tallies[1], wanted[column.name])
                                          for column in numeric if column.name in wanted}, budget)
    for column in numeric:
        if column.name not in wanted:
            continue
        below, above, gamma = wanted[column.name]
        at = found[column.name]
        values = quantile_from_order(np.array([at[rank] for rank in below]), np.array([at[rank] for rank in above]),
                                     gamma)
        if rule.kind == "quantile":
            inner = np.unique(values)
            edges[column.name] = Edges(inner, len(values) - len(inner))
        else:
            edges[column.name] = _fd(column, values)
    return edges


def _fd(column: _Column, quartiles: np.ndarray) -> Edges:
    _, n, low, high = column.tallies
    spread = (float(quartiles[0]), float(quartiles[1]))
    asked = fd_bins(n, low, high, spread)
    if asked > MAX_BINS:  # checked before the edges are made: a few outliers ask for 10¹⁰
        raise DataError(f"column {column.name!r}", f"the Freedman–Diaconis rule asks for {asked:,} bins "
                        "(a long tail); give quantile:N or uniform:N")
    return Edges(np.unique(fd_edges(n, low, high, spread)[1:-1]))


def _order_statistics(reference: Side, wanted: dict[str, tuple[int, tuple]], budget: int) -> dict[str, dict]:
    """Per column, the value of each order statistic (rank from 0 among its finite values) asked for."""
    if not wanted:
        return {}
    targets = {name: {int(rank): Target(int(rank), n) for rank in np.concatenate(ranks[:2])}
               for name, (n, ranks) in wanted.items()}
    while _narrow(reference, targets, budget):
        pass
    kept_buckets = {name: tuple(sorted({t.bucket for t in found.values() if t.bits < 64}))
                    for name, found in targets.items()}
    kept = _summed(reference.each(partial(_kept, kept_buckets)), _joined_buckets)
    return {name: {rank: target_value(target, kept.get(name, {})) for rank, target in found.items()}
            for name, found in targets.items()}


def _narrow(reference: Side, targets: dict[str, dict[int, Target]], budget: int) -> bool:
    """One pass of the radix selection: the next 16 bits of every target's bucket that holds more
    than ``budget`` values; False when none does (every bucket is narrow enough to keep)."""
    open_ = {name: tuple(sorted({t.bucket for t in found.values() if not t.narrowed(budget)}))
             for name, found in targets.items()}
    open_ = {name: buckets for name, buckets in open_.items() if buckets}
    if not open_:
        return False
    counts = _summed(reference.each(partial(_digits, open_)), _sum_buckets)
    for name, found in targets.items():
        for target in found.values():
            if not target.narrowed(budget):
                target.descend(counts[name][target.bucket])
    return True


def _sum_buckets(parts: list[dict]) -> dict:
    return {bucket: np.sum([part[bucket] for part in parts], axis=0) for bucket in parts[0]}


def _joined_buckets(parts: list[dict]) -> dict:
    return {bucket: np.sort(np.concatenate([part[bucket] for part in parts])) for bucket in parts[0]}


@dataclass
class LocalSide:
    """A file read a piece at a time (:func:`~divcli.readers.sample_chunks.sample_pieces`), or whole
    as one piece where it cannot be (JSON, standard input)."""

    name: str
    delimiter: str | None
    columns: object
    size: int
    stdin: object = None

    def pieces(self) -> Iterator[Samples]:
        from ..readers.sample_chunks import piecewise, sample_pieces
        from ..readers.samples import read_samples

        if piecewise(self.name):
            return sample_pieces(self.name, self.delimiter, self.columns, self.size)
        return iter([read_samples(self.name, self.stdin, self.delimiter, self.columns)])

    def first(self) -> Samples:
        return next(self.pieces())

    def each(self, function: Callable[[Samples], object]) -> Iterator:
        return (function(piece) for piece in self.pieces())


def files_drift(specs: tuple[str, str], stdins: tuple, delimiter: str | None, choice, settings: DriftSettings,
                warn: Callable[[str], None]) -> DriftReport:
    """The drift of two files of samples, as the command line and the Python API read them: a piece
    at a time in passes when they are larger than memory (:func:`streamed_drift`), else both read
    whole; ``stdins`` the binary stream each reads for ``-`` (None for a file)."""
    from ..readers.sample_chunks import piece_size
    from ..readers.samples import read_samples
    from .drift import drift

    size = piece_size(specs)
    if size is not None:
        sides = [LocalSide(spec, delimiter, choice, size, stdin) for spec, stdin in zip(specs, stdins)]
        return streamed_drift(sides[0], sides[1], settings, warn, budget=max(64, size // 8))
    reference, current = (read_samples(spec, stdin, delimiter, choice) for spec, stdin in zip(specs, stdins))
    return drift(reference, current, settings, warn)
