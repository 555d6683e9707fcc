"""``divcli drift``: how far a current sample has moved from a reference one, column by column.

Each column is binned from the reference (:mod:`.drift_bins`: numeric columns at the reference's
edges, categorical ones per category, missing values in a bin of their own, part of both
distributions, so that a change in missingness is drift), both sides are counted in the same bins,
and the shares r (reference) and c (current) give, in nats, by divcli's accurate kernels:

    PSI          Σ (c − r)·ln(c/r) = D(R‖C) + D(C‖R)  (Jeffreys' divergence)
    kl_ref_cur   D(R‖C) = Σ r·ln(r/c)          kl_cur_ref   D(C‖R)
    js_distance  √(JS in bits): √(½ D(R‖M) + ½ D(C‖M)) with log base 2, M = ½(R + C), in [0, 1]
    hellinger    √(½ Σ (√r − √c)²), in [0, 1]

and, from the raw values rather than the bins, for numeric columns the Wasserstein-1 distance and
the two-sample Kolmogorov–Smirnov statistic of the finite values (:mod:`divcli.numerics.two_sample`),
and for categorical columns Pearson's χ² statistic of homogeneity on the 2 × K table of counts
(without smoothing). Asked for (``p_values``), the p-values of χ² and of Kolmogorov–Smirnov come from
SciPy (:mod:`divcli.numerics.p_values`; None without it); asked for (``bootstrap``), every measure
gets a percentile interval from resamples of both sides' rows (:mod:`.bootstrap`), binned at the
bins of the whole reference (so the interval leaves out how the bins themselves would move).

An empty bin where the other side has mass makes PSI and a KL +inf (a warning says where), unless
a smoothing is given (:class:`~.drift_bins.Smoothing`); the measures without it are kept beside
(``unsmoothed``), so its effect is in the report. The verdict reads PSI against two thresholds:
below the first "stable", up to the second "moderate", above "major" (0.1 and 0.25 by default,
the industry's rule of thumb).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import DataError, option, show_value
from ..numerics.accurate import prob_rows
from ..numerics.binning import BinRule
from ..numerics.p_values import homogeneity, ks_p_value
from ..numerics.smoothing import floor_warning
from ..numerics.two_sample import distances, sorted_finite
from ..readers.columns import UnknownColumn
from ..readers.sample_records import Samples
from .bootstrap import Interval, Resampling, bootstrap_intervals
from .drift_bins import NUMERIC, Binning, Smoothing, bin_codes, category_binning, counts, numeric_binning

#: The measures of each column, in the order the report lists them (the keys of JSON and CSV).
BINNED = ("psi", "kl_ref_cur", "kl_cur_ref", "js_distance", "hellinger")
MEASURE_KEYS = BINNED + ("wasserstein_1", "ks", "chi2")
#: PSI's thresholds of the verdict when --thresholds is not given: the industry's rule of thumb.
THRESHOLDS = (0.1, 0.25)
VERDICTS = ("stable", "moderate", "major")


@dataclass(frozen=True)
class DriftSettings:
    """What ``divcli drift`` is asked: the binning rule, the categorical columns, ``--min-share``,
    the smoothing and the verdict's thresholds."""

    bins: BinRule = BinRule("quantile", 10)
    categorical: tuple[str, ...] = ()
    min_share: float = 0.0
    pseudocount: float | None = None
    epsilon: float | None = None
    thresholds: tuple[float, float] = THRESHOLDS
    #: χ²'s and Kolmogorov–Smirnov's p-values (SciPy), and the bootstrap's settings (None: no intervals)
    p_values: bool = False
    bootstrap: Resampling | None = None

    @property
    def smoothing(self) -> Smoothing:
        return Smoothing(self.pseudocount, self.epsilon)


@dataclass
class ColumnDrift:
    """One column's bins, counts, measures and verdict."""

    column: str
    kind: str
    binning: Binning
    reference_counts: np.ndarray
    current_counts: np.ndarray
    #: the shares the measures read (after smoothing)
    reference_shares: np.ndarray
    current_shares: np.ndarray
    measures: dict[str, float | None]
    unsmoothed: dict[str, float]
    verdict: str
    #: p-values (χ² for categorical columns, KS for numeric ones): None until they are computed
    p_values: dict[str, float | None] = field(default_factory=dict)
    #: each measure's bootstrap interval (none without a bootstrap, nor for a measure the column has not)
    intervals: dict[str, Interval] = field(default_factory=dict)

    @property
    def n_reference(self) -> int:
        return int(self.reference_counts.sum())

    @property
    def n_current(self) -> int:
        return int(self.current_counts.sum())

    @property
    def bins(self) -> int:
        return len(self.reference_counts)

    def psi_terms(self) -> np.ndarray:
        """(c − r)·ln(c/r) per bin, from the shares the measures read: 0 where r = c, +inf where
        exactly one of them is 0."""
        r, c = self.reference_shares, self.current_shares
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = (c - r) * (np.log(c) - np.log(r))
        terms[r == c] = 0.0
        terms[(r == 0) != (c == 0)] = np.inf
        return terms


@dataclass
class DriftReport:
    """Every column's drift, and what was asked."""

    reference: str
    current: str
    reference_rows: int
    current_rows: int
    settings: DriftSettings
    columns: list[ColumnDrift]
    #: the column whose bins the report shows (``--column``), or None
    focus: str | None = None
    #: ``--binned``: two histograms, their own bins matched by name (no binning rule applied)
    binned: bool = False

    def column(self, name: str) -> ColumnDrift:
        """The column ``name``; a DataError listing the columns when there is none."""
        for found in self.columns:
            if found.column == name:
                return found
        raise DataError("", f"{option('column')}: no column {show_value(name)}",
                        f"the columns are {', '.join(show_value(c.column) for c in self.columns)}")

    def above(self, measure: str, limit: float) -> list[ColumnDrift]:
        """The columns whose ``measure`` is above ``limit`` (+inf is; a measure a column has not, as
        W1 of a categorical column, is never above)."""
        return [found for found in self.columns
                if found.measures.get(measure) is not None and found.measures[measure] > limit]


def drift(reference: Samples, current: Samples, settings: DriftSettings, warn=lambda message: None) -> DriftReport:
    """The drift of every column the two samples share (the same names on both sides, checked)."""
    names = shared_columns(reference, current, settings.categorical)
    found = [column_drift(name, reference, current, settings, warn) for name in names]
    warn_floor(found, settings, warn)
    return DriftReport(reference.name, current.name, reference.rows, current.rows, settings, found)


def shared_columns(reference: Samples, current: Samples, categorical: tuple[str, ...]) -> list[str]:
    """The columns of the reference, in its order, when the current sample has the same ones; else
    a DataError naming those one side lacks. Every ``--categorical`` name must be one of them."""
    names = reference.names
    lacking = [name for name in names if name not in current.names]
    extra = [name for name in current.names if name not in names]
    for side, missing, other in ((current.name, lacking, reference.name), (reference.name, extra, current.name)):
        if missing:
            listed = ", ".join(show_value(name) for name in missing)
            raise DataError(side, f"no column {listed}, which {other} has",
                            f"give both samples the same columns, or leave it out with {option('drop', ','.join(missing))}")
    unknown = [name for name in categorical if name not in names]
    if unknown:
        raise UnknownColumn(reference.name, f"{option('categorical')}: no column {show_value(unknown[0])}",
                            f"the columns are {', '.join(show_value(name) for name in names)}", unknown[0], names)
    return names


def column_drift(name: str, reference: Samples, current: Samples, settings: DriftSettings, warn) -> ColumnDrift:
    """One column: read as numbers or categories (those ``--categorical`` names, and text with no
    number on either side), binned from the reference, measured."""
    ref_column, cur_column = reference.column(name), current.column(name)
    if name in settings.categorical or (reference.textual(ref_column) and current.textual(cur_column)):
        ref_values, cur_values = reference.categories(ref_column), current.categories(cur_column)
        binning = category_binning(ref_values, cur_values, settings.min_share)
        if name not in settings.categorical:
            warn_delimiter(name, ref_values, warn)
    else:
        ref_values, cur_values = reference.numbers(ref_column), current.numbers(cur_column)
        binning = numeric_binning(settings.bins, ref_values, cur_values, name)
    result = measured(name, binning, ref_values, cur_values, settings)
    warn_infinite(result, settings, warn)
    if settings.bootstrap is not None:
        result.intervals = column_intervals(name, binning, ref_values, cur_values, settings)
    return result


def column_intervals(name: str, binning: Binning, reference: np.ndarray, current: np.ndarray,
                     settings: DriftSettings) -> dict[str, Interval]:
    """Each measure's percentile interval over resamples of both sides' values, in the same bins (a
    categorical column's values resampled as the indices of their bins, counted by ``bincount``)."""
    plain = replace(settings, p_values=False, bootstrap=None)
    asked = settings.bootstrap
    if binning.kind == NUMERIC:
        def statistic(ref_resample: np.ndarray, cur_resample: np.ndarray) -> dict[str, float | None]:
            return measured(name, binning, ref_resample, cur_resample, plain).measures
    else:
        reference, current = bin_codes(binning, reference), bin_codes(binning, current)
        size = len(binning.labels())

        def statistic(ref_resample: np.ndarray, cur_resample: np.ndarray) -> dict[str, float | None]:
            both = [np.bincount(codes, minlength=size).astype(np.float64) for codes in (ref_resample, cur_resample)]
            return measured(name, binning, ref_resample, cur_resample, plain, counted=both).measures

    return bootstrap_intervals(reference, current, statistic, asked.resamples, asked.seed, asked.confidence,
                               asked.threads)


def measured(name: str, binning: Binning, reference: np.ndarray, current: np.ndarray,
             settings: DriftSettings, counted: list[np.ndarray] | None = None) -> ColumnDrift:
    """The measures of one column's values in a binning made already (a resample's too); ``counted``:
    the two sides' counts in its bins where the caller has them already (a categorical column's)."""
    counted_r, counted_c = counted if counted is not None else (counts(binning, reference), counts(binning, current))
    smoothing = settings.smoothing
    weights_r, weights_c = smoothing.apply(counted_r), smoothing.apply(counted_c)
    smoothed = binned_measures(weights_r, weights_c)
    unsmoothed = smoothed if smoothing.text is None else binned_measures(counted_r, counted_c)
    values: dict[str, float | None] = dict(smoothed)
    if binning.kind == NUMERIC:
        ref_sorted, cur_sorted = sorted_finite(reference), sorted_finite(current)
        w1, ks = distances(ref_sorted, cur_sorted)
        values.update(wasserstein_1=_defined(w1), ks=_defined(ks), chi2=None)
        asked = settings.p_values and values["ks"] is not None
        p_values = {"ks": ks_p_value(values["ks"], ref_sorted.size, cur_sorted.size) if asked else None}
    else:
        test = homogeneity(np.vstack([counted_r, counted_c]), p_value=settings.p_values)
        values.update(wasserstein_1=None, ks=None, chi2=test.statistic)
        p_values = {"chi2": test.p_value}
    return ColumnDrift(name, binning.kind, binning, counted_r, counted_c, weights_r / weights_r.sum(),
                       weights_c / weights_c.sum(), values, unsmoothed, verdict(smoothed["psi"], settings.thresholds),
                       p_values)


def from_counts(name: str, binning: Binning, reference: np.ndarray, current: np.ndarray, settings: DriftSettings,
                warn) -> ColumnDrift:
    """One column's drift from its counts alone (samples read a piece at a time): W₁ and KS, which
    need the values, are None."""
    empty = np.empty(0)
    result = measured(name, binning, empty, empty, settings, counted=[reference, current])
    warn_infinite(result, settings, warn)
    return result


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else value


def binned_measures(reference: np.ndarray, current: np.ndarray) -> dict[str, float]:
    """PSI, both KLs, the JS distance (base 2) and Hellinger of two vectors of bin weights (counts or
    shares; each divided by its exact sum), by the accurate kernels of :mod:`divcli.measures`."""
    from ..measures.catalogue import named
    from ..measures.kernels import evaluate
    from ..measures.pair import Pair

    if _proportional(reference, current):  # one distribution: 0 exactly (the kernels' scaling leaves ~1e-33)
        return dict.fromkeys(BINNED, 0.0)
    r, c = prob_rows(reference[None, :]), prob_rows(current[None, :])
    pair = Pair(r.p, r.log_p, c.p, c.log_p, exact_p=r, exact_q=c)
    keys = ("kl_pq", "kl_qp", "js_divergence", "hellinger")
    found = {key: float(value[0]) for key, value in evaluate([named(key) for key in keys], pair, 1.0).items()}
    return {"psi": found["kl_pq"] + found["kl_qp"], "kl_ref_cur": found["kl_pq"], "kl_cur_ref": found["kl_qp"],
            "js_distance": math.sqrt(max(found["js_divergence"], 0.0) / math.log(2)), "hellinger": found["hellinger"]}


def _proportional(reference: np.ndarray, current: np.ndarray) -> bool:
    """Whether two vectors of bin weights are the same distribution exactly (r_i·Σc = c_i·Σr in
    rationals): an all-missing column on both sides, one category, or counts of one shape."""
    if not np.array_equal(reference / reference.sum(), current / current.sum()):
        return False
    from fractions import Fraction

    r, c = [Fraction(float(value)) for value in reference], [Fraction(float(value)) for value in current]
    total_r, total_c = sum(r), sum(c)
    return all(a * total_c == b * total_r for a, b in zip(r, c))


def chi2_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """Pearson's χ² of homogeneity of the 2 × K table of counts (bins empty on both sides left out):
    Σ (O − E)² / E with E = row total × column total / N (:func:`divcli.numerics.p_values.homogeneity`)."""
    return homogeneity(np.vstack([reference, current]), p_value=False).statistic


def verdict(psi: float, thresholds: tuple[float, float]) -> str:
    """"stable" below the first threshold, "moderate" up to the second, "major" above (+inf is)."""
    low, high = thresholds
    return VERDICTS[0] if psi < low else VERDICTS[1] if psi <= high else VERDICTS[2]


#: Delimiters a text column's name and values may hold when the file was split at another one.
DELIMITER_SIGNS = (";", ",", "\t", "|")
#: A column of text with this many values or more, each its own category, is likely no category.
DISTINCT_ROWS = 20


def warn_delimiter(name: str, values: np.ndarray, warn) -> None:
    """A warning for a column of text that looks like a file split at the wrong delimiter: its name
    and most of its values hold a delimiter, or every value is a category of its own."""
    present = [value for value in values if value is not None]
    sign = next((sign for sign in DELIMITER_SIGNS
                 if sign in name and 2 * sum(sign in value for value in present) >= len(present)), None)
    if sign is not None:
        shown = "tab" if sign == "\t" else sign
        warn(f"column {show_value(name)}: its name and values hold {shown!r}, as if the file were split at "
             f"another delimiter; pass {option('delimiter', shown, cli=shown if shown == 'tab' else repr(shown))} "
             f"if {shown!r} separates the columns")
    elif len(present) >= DISTINCT_ROWS and len(set(present)) == len(present):
        warn(f"column {show_value(name)}: each of its {len(present):,} values is a category of its own, as in "
             f"a file split at the wrong delimiter; pass {option('delimiter')} if another one separates the columns")


def warn_floor(columns: list[ColumnDrift], settings: DriftSettings, warn) -> None:
    """One warning when ``--epsilon`` E is at least 1/K of a column's K bins: the floor outweighs the
    data there (:func:`divcli.numerics.smoothing.floor_warning`), naming the columns."""
    over = [found for found in columns if floor_warning(settings.epsilon, found.bins) is not None]
    if over:
        fewest = min(over, key=lambda found: found.bins)
        names = ", ".join(show_value(found.column) for found in over)
        warn(f"column {names}: {floor_warning(settings.epsilon, fewest.bins, 'bins')}")


def warn_infinite(found: ColumnDrift, settings: DriftSettings, warn) -> None:
    """A warning when PSI is +inf: the first bin one side leaves empty, and the fix."""
    if not math.isinf(found.measures["psi"]):
        return
    r, c = found.reference_shares, found.current_shares
    empty = np.flatnonzero((r == 0) != (c == 0))
    labels = found.binning.labels()
    first = int(empty[0])
    more = f" (and {len(empty) - 1} more bins)" if len(empty) > 1 else ""
    warn(f"PSI is +inf: column {show_value(found.column)}, bin {labels[first]}: reference share "
         f"{float(r[first])!r} but current share {float(c[first])!r}{more}; pass {option('pseudocount', 0.5)} or "
         f"{option('epsilon', 0.0001)} to smooth the empty bins")
