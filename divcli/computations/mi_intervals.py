"""Bootstrap intervals of ``divcli mi``'s values (``--bootstrap N --ci C --seed S``) from a joint
table of counts: the label pairs counted, or a table of whole numbers.

**What is resampled.** The N pairs: a resample draws N pairs from the table's shares n / N, one
multinomial draw of N over its cells (the classes seen, cells read row by row). All resamples are one
(resamples, cells) draw, cut into batches of at most :data:`ELEMENTS` cells; each resample's H(X),
H(Y), H(X,Y), conditionals, I and NMI come from the same estimator (``--estimator``) as the table's,
computed on the batch (:func:`divcli.numerics.information_batches.batch_information`), a class the
resample never drew left out as the command leaves out a row of zeros.

**The same seed gives the same interval.** The draws come from numpy's PCG64 seeded with
``SeedSequence(seed, spawn_key=(0, 0))``, as the first row of counts of ``--bootstrap`` on entropy:
the table's cells are one row of counts, and ``divcli entropy`` of them, with the same seed, draws
the same resamples (H(X,Y)'s interval is that entropy's).

**The interval.** The plug-in I is biased upwards (by about (|X| − 1)(|Y| − 1)/2N nats), and its
resamples, drawn from the table it measured, are biased upwards again: their percentile interval sits
about two biases above the true I, and never holds an I of 0 (no resample is exactly independent).
So, as for the plug-in entropy, every plug-in value's percentile interval is *shifted* by twice the
bias the resamples show, 2·(value − their mean), and clipped to the quantity's range (I and the
entropies ≥ 0 and at most the log of their classes, NMI at most 1). The coverage measured is on the
how-to page of intervals from counts; the estimators keep the plain percentile interval of their own
values, as they do for entropy.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..errors import DataError, option
from ..numerics.information import AVERAGES, Information, seen
from ..numerics.information_batches import Informations, batch_information
from ..vocabulary import Intervals
from .count_intervals import row_generators, row_intervals

#: The cells of resampled tables held at once (resamples × cells).
ELEMENTS = 1 << 21
#: The most pairs a resample can draw (numpy's multinomial counts in 64-bit integers).
MOST_PAIRS = 2 ** 63 - 1
#: The quantities that have an interval, in the order the document lists them.
KEYS = ("h_x", "h_y", "h_xy", "h_x_given_y", "h_y_given_x", "mi", *(f"nmi_{average}" for average in AVERAGES))


def resampled_values(table, estimator: str, resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Per key of :data:`KEYS`, its value on each of ``resamples`` resamples of ``table`` (counts,
    rows X's classes, columns Y's), in the order drawn: entropies and I in nats, NMI unitless."""
    table = seen(table)
    total = float(table.sum())
    shares = table.ravel() / total
    drawing, = row_generators(seed, 0, 1)  # the draws of --bootstrap on counts' first row
    per_batch = max(1, ELEMENTS // table.size)
    found = {key: np.empty(resamples) for key in KEYS}
    for begin in range(0, resamples, per_batch):
        end = min(begin + per_batch, resamples)
        drawn = drawing.multinomial(int(total), shares, size=end - begin).reshape(end - begin, *table.shape)
        for key, values in _values(batch_information(drawn, estimator)).items():
            found[key][begin:end] = values
    return found


def _values(found: Informations | Information) -> dict:
    """The values of :data:`KEYS` of a batch's (arrays) or of one table's (floats)."""
    values = {key: getattr(found, key) for key in KEYS[:6]}
    values.update({f"nmi_{average}": found.normalised(average) for average in AVERAGES})
    return values


def information_intervals(table, found: Information, estimator: str, intervals: Intervals,
                          name: str = "") -> tuple[Intervals, dict[str, tuple[float, float]]]:
    """The intervals of the table's values ``found`` (by ``estimator``), in nats (NMI unitless), per
    key of :data:`KEYS`, and ``intervals`` with the method that made them; a table of more pairs than
    a resample can draw is refused (``name``: where it came from)."""
    total = float(np.sum(table))
    if total > MOST_PAIRS:
        raise DataError(name, f"its counts sum to {total:.6g} pairs, more than the {MOST_PAIRS:.3g} a resample "
                        "can draw", f"give the counts themselves (not scaled up), or leave out {option('bootstrap')}")
    plugin = estimator == "plugin"
    intervals = replace(intervals, method="shifted percentile" if plugin else "percentile")
    resampled = resampled_values(table, estimator, intervals.resamples, intervals.seed)
    estimates = _values(found)
    ceilings = _ceilings(found.x_classes, found.y_classes)
    bounds = {}
    for key, values in resampled.items():  # the plug-in's values and resamples are never nan
        low, high = row_intervals(values[None, :], np.array([estimates[key]], dtype=np.float64), intervals,
                                  ceilings[key])
        bounds[key] = (float(low[0]), float(high[0]))
    return intervals, bounds


def _ceilings(x_classes: int, y_classes: int) -> dict[str, float]:
    """The largest value of each key on a table of these classes seen: log of the classes (nats)."""
    log_x, log_y = math.log(x_classes), math.log(y_classes)
    ceilings = {"h_x": log_x, "h_y": log_y, "h_xy": log_x + log_y, "h_x_given_y": log_x, "h_y_given_x": log_y,
                "mi": min(log_x, log_y)}
    ceilings.update({f"nmi_{average}": 1.0 for average in AVERAGES})
    return ceilings


def with_intervals(document: dict, bounds: dict[str, tuple[float, float]], intervals: Intervals,
                   scale: float) -> dict:
    """``document`` with each key of ``bounds`` followed by ``<key>_low`` and ``<key>_high`` (in the
    units of ``scale``, the log of the base; NMI unitless; None where no resample has a value, as an
    estimator's NMI of a mean ≤ 0) and ``intervals`` (method, confidence,
    resamples, seed) after the values."""
    shown = {}
    for key, value in document.items():
        shown[key] = value
        if key in bounds:
            divisor = 1.0 if key.startswith("nmi_") else scale
            shown[f"{key}_low"], shown[f"{key}_high"] = (None if math.isnan(end) else end / divisor
                                                         for end in bounds[key])  # nan: every resample's
    shown["intervals"] = intervals.document()
    return shown
