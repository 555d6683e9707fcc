"""``divcli drift --binned``: two histograms people already have (a ``bin,count`` file each, as pandas'
``value_counts().to_csv()`` writes them) instead of raw samples. The bins are matched by name: the
reference's in its order, then those only the current has; a bin one side lacks counts 0 there,
with a warning that names it. The measures are those of a categorical column (W₁ and KS need the
raw values: none); χ² and its p-value only where the counts are whole numbers (shares are no counts).
"""

from __future__ import annotations

import numpy as np

from ..engine.by_name import is_histogram, listing
from ..errors import DataError, option, show_value
from ..readers.operand import Operand
from .drift import DriftReport, DriftSettings, measured, warn_floor, warn_infinite
from .drift_bins import CATEGORICAL, Binning


def binned_drift(reference: Operand, current: Operand, settings: DriftSettings, warn) -> DriftReport:
    """The drift of one histogram from another, bins matched by name."""
    names_r, counts_r = histogram(reference)
    names_c, counts_c = histogram(current)
    known = set(names_r)
    union = names_r + [name for name in names_c if name not in known]
    for side, names, role in ((reference, names_r, "the reference"), (current, names_c, "the current")):
        lacking = [name for name in union if name not in set(names)]
        if lacking:
            warn(f"{side.name} ({role}) has no bin {listing(lacking)}: counted as 0 there")
    ref = _aligned(names_r, counts_r, union)
    cur = _aligned(names_c, counts_c, union)
    empty = np.empty(0)
    column = measured(_column_name(reference), Binning(CATEGORICAL, categories=tuple(union)), empty, empty, settings,
                      counted=[ref, cur])
    if not (_whole(ref) and _whole(cur)):  # shares, not counts: a χ² of them would be no test
        column.measures["chi2"] = None
        column.p_values = {"chi2": None}
    warn_infinite(column, settings, warn)
    warn_floor([column], settings, warn)
    return DriftReport(reference.name, current.name, _total(ref), _total(cur), settings, [column], binned=True)


def read_error(error: DataError) -> DataError:
    """A reader's error about a histogram file, in a histogram's words: a row of one value where the
    header has two is a bin whose count is missing (``b,``: its cell empty)."""
    if error.what.startswith("this row has 1 value, ") and error.what.endswith(" has 2"):
        return DataError(f"{error.where}:2", "this bin's count is missing (its cell is empty)",
                         "give each bin's count, 0 for a bin that is empty")
    return error


def histogram(operand: Operand) -> tuple[list[str], np.ndarray]:
    """A histogram's bin names and counts; a DataError for a file of another shape, a bin named
    twice, or a count that is negative or not finite."""
    if not is_histogram(operand):
        raise DataError(operand.name, f"not a histogram: {option('binned')} reads a column of bin names beside a column "
                        "of counts (bin,count)", f"give raw samples without {option('binned')}, or write each histogram "
                        "as bin,count")
    names, counts = [str(name) for name in operand.row_names], operand.values[:, 0]
    seen: dict[str, int] = {}
    for row, name in enumerate(names):
        if name in seen:
            raise DataError(operand.where(row), f"bin {show_value(name)} is named twice (also {operand.where(seen[name])})",
                            "give each bin once (add up its counts)")
        seen[name] = row
    bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0))
    if bad.size:
        row = int(bad[0])
        raise DataError(operand.where(row, 0), f"count {operand.text(row, 0)} of bin {show_value(names[row])} is not "
                        "a number ≥ 0", "give each bin's count (or share) as a number ≥ 0")
    if counts.sum() <= 0:
        raise DataError(operand.name, "every bin is empty", "give at least one count above 0")
    return names, counts


def _aligned(names: list[str], counts: np.ndarray, union: list[str]) -> np.ndarray:
    place = {name: index for index, name in enumerate(names)}
    return np.array([counts[place[name]] if name in place else 0.0 for name in union])


def _whole(counts: np.ndarray) -> bool:
    return bool(np.all(counts == np.round(counts)))


def _total(counts: np.ndarray) -> int:
    """The observations a histogram counts (the number of bins for shares, which count none)."""
    return int(round(float(counts.sum()))) if _whole(counts) else counts.size


def _column_name(operand: Operand) -> str:
    return operand.classes[0] if operand.classes else "histogram"
