"""Counts (``--p-as counts``): whole numbers ≥ 0, each row a sample of N = its sum, read as
``--normalize`` reads them (each row ÷ its sum), with N kept for what needs it: the entropy
estimators (:mod:`divcli.numerics.estimators`) and the header's sample sizes.

:class:`SampleSizes` gathers, per operand, the rows read as counts and their smallest, largest and
total N over blocks, threads and Dask shards, as :class:`divcli.numerics.deviations.Deviations`
gathers the renormalised rows."""

from __future__ import annotations

import numpy as np

from ..errors import DataError, option, show_value
from ..readers.operand import Operand
from ..vocabulary import ROLES, count_of


def check_counts(operand: Operand, role: str) -> np.ndarray:
    """Each row's sample size N (its sum), once every value is checked to be a whole number ≥ 0; a
    :class:`DataError` at the first that is not (its row and column)."""
    values = operand.values
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(values) & (values >= 0) & (values == np.round(values)))
    if np.any(bad):
        row, col = (int(i) for i in np.argwhere(bad)[0])
        shown = show_value(operand.text(row, col))
        what = f"negative count {shown}" if values[row, col] < 0 else f"{shown} is not a count"
        raise DataError(operand.where(row, col), what,
                        f"counts are whole numbers ≥ 0; for other weights pass {option(f'{role.lower()}_as', 'probs')} "
                        f"with {option('normalize', True)}")
    with np.errstate(over="ignore"):
        sizes = values.sum(axis=1)
    return sizes


class SampleSizes(dict):
    """Per operand (``P``, ``Q``, ``R``, …) read as counts, ``(rows, smallest N, largest N, total
    N)``. Two of them add up to the counts of both (blocks, threads and Dask shards add them as they
    add their sums)."""

    def __add__(self, other: dict) -> "SampleSizes":
        both = SampleSizes(self)
        for role, (rows, low, high, total) in other.items():
            if role in both:
                was = both[role]
                both[role] = (was[0] + rows, min(was[1], low), max(was[2], high), was[3] + total)
            else:
                both[role] = (rows, low, high, total)
        return both


def sample_sizes(distributions: list) -> SampleSizes:
    """:class:`SampleSizes` of the operands ``distributions`` (P, Q, R, … in the order given) that
    were read as counts."""
    return SampleSizes({ROLES[index]: (int(d.sizes.size), int(d.sizes.min()), int(d.sizes.max()),
                                       int(d.sizes.sum()))
                        for index, d in enumerate(distributions) if d.sizes is not None and d.sizes.size})


def sizes_text(role: str, sizes: tuple) -> str:
    """``P's counts: N = 12 (one row)``, ``P's counts: N = 4 … 12 per row, 16 samples in 2 rows``."""
    rows, low, high, total = sizes
    if rows == 1:
        return f"{role}'s counts: N = {count_of(low, 'sample', 'samples')}"
    spread = f"{low}" if low == high else f"{low} … {high}"
    return f"{role}'s counts: N = {spread} per row, {count_of(total, 'sample', 'samples')} in {rows} rows"


def sizes_document(sizes: tuple) -> dict:
    """One operand's sample sizes as JSON shows them."""
    rows, low, high, total = sizes
    return {"rows": rows, "smallest_n": low, "largest_n": high, "total_n": total}
