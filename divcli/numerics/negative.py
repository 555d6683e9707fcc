"""A negative value where probabilities are read: what it most likely is, and what to do.

Probabilities, counts and histograms are never negative. Scores (logits, log-probabilities) are,
so a negative value usually means the kind was not given, and the message names ``--p-as logits``.
Counts with ``--normalize`` are the exception: whole numbers rescaled to sum to 1 are no scores, and
a negative one is a fault of the counts themselves (a difference of two histograms, a sentinel
such as -1 for "missing"), which no other kind would fix.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, option, show_value
from ..vocabulary import Conversion
from ..readers.operand import Operand


def looks_like_counts(values: np.ndarray) -> bool:
    """Every value a whole number (negative ones too): what a table of counts holds."""
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.isfinite(values) & (values == np.round(values))))


def negative_value(operand: Operand, role: str, conversion: Conversion, row: int, col: int) -> DataError:
    """The error for the negative value at ``(row, col)`` of ``operand`` read as probabilities."""
    where, text = operand.where(row, col), show_value(operand.text(row, col))
    if conversion.normalize and looks_like_counts(operand.values):
        return DataError(where, f"negative count {text}",
                         "counts are never negative: fix or drop this row (a difference of two histograms, or -1 "
                         "for a missing value?)")
    kind = f"{role.lower()}_as"
    return DataError(where, f"negative probability {text}",
                     f"pass {option(kind, 'logits')} or {option(kind, 'log-probs')} if these are scores")
