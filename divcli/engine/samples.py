"""Raw samples are never mistaken for a distribution.

``kl ref.csv cur.csv --columns --normalize`` on two columns of raw measurements (a feature, a
score) would take 4,000 observations for 4,000 classes and report a number that means nothing.
What a histogram holds is counts (whole numbers ≥ 0) or shares (summing to 1, or to 100 as
percentages), over a modest number of bins. With ``--columns`` and ``--normalize``, a column is
taken for raw samples when its values are neither counts nor shares (a value that is not a whole
number, in a column whose sum is neither 1 nor 100), or when it holds more than
:data:`MAX_BINS` values; then one warning says so, and points to ``divcli drift``, which bins
them. The run still happens as asked. (A negative value is refused as in any distribution.)
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, show_value
from ..readers.operand import Operand
from ..vocabulary import Kind, Options

#: More values than this in one column are more bins than a histogram has, and a common sample size.
MAX_BINS = 1000


def raw_samples_reason(first: Operand) -> str | None:
    """Why the columns of ``first`` (an operand turned around by ``--columns``) look like raw
    samples, or None when they may be counts or shares."""
    values = first.values
    if not values.size or not np.all(np.isfinite(values)) or np.any(values < 0):
        return None  # refused when converted, with its own message
    if values.shape[1] > MAX_BINS:
        return f"{values.shape[1]:,} values in a column, more bins than a histogram has"
    sums = values.sum(axis=1)
    shares = np.isclose(sums, 1.0, rtol=0, atol=1e-3) | np.isclose(sums, 100.0, rtol=0, atol=0.1)
    whole = np.all(values == np.round(values), axis=1)
    if np.any(~whole & ~shares):
        return "values that are neither counts (whole numbers) nor shares (summing to 1)"
    return None


def _refuse_negative(first: Operand) -> None:
    """A negative value in a column read as a distribution: raw samples, and said so (not "pass
    --p-as logits", the hint for a row of scores)."""
    with np.errstate(invalid="ignore"):
        negative = first.values < 0
    if np.any(negative):
        row, col = (int(i) for i in np.argwhere(negative)[0])
        raise DataError(first.where(row, col), f"negative value {show_value(first.text(row, col))}: these look like "
                                               "raw samples, not counts or shares",
                        "`divcli drift` bins raw samples; a distribution's values are ≥ 0")


def warn_raw_samples(firsts: list[Operand | None], kinds: list[Kind], options: Options) -> None:
    """With ``--columns --normalize``: one warning (with the first block of the first such
    operand) when columns look like raw samples (see the module's docstring)."""
    if not options.conversion.normalize:
        return
    for first, kind in zip(firsts, kinds):
        if first is not None and kind is Kind.PROBS and first.is_transposed:
            _refuse_negative(first)
    found = [(first, reason) for first, kind in zip(firsts, kinds)
             if first is not None and kind is Kind.PROBS and first.is_transposed
             and (reason := raw_samples_reason(first)) is not None]
    if found:
        names = ", ".join(dict.fromkeys(first.name for first, _ in found))
        found[0][0].warnings.append(f"{names}: these look like raw samples, not a histogram ({found[0][1]}): "
                                    "`divcli drift` bins them")
