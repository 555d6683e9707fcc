"""The entropies, mutual information and NMI of many joint tables of counts at once (the bootstrap's
resamples of one table: :mod:`divcli.computations.mi_intervals`), in nats: an array a value, one
entry a table.

Each table's values are those :func:`divcli.numerics.information.information` (the plug-in) or
:func:`divcli.numerics.information_estimators.estimated_information` (an estimator) give that table
alone, to rounding: the classes of each side are the table's own classes seen (a class a resample
never drew is left out, as ``divcli mi`` leaves out a row of zeros), and

- H(X), H(Y), H(X,Y) by the estimator (:mod:`.estimators`), on the rows' sums, the columns' sums
  and the cells; ``shrink``'s K counts the classes seen and, for H(X,Y), every pair of them;
- H(X|Y) = H(X,Y) − H(Y), H(Y|X) = H(X,Y) − H(X) and I = H(X) − H(X|Y) (the smaller conditional
  subtracted); for the plug-in, kept within the bounds it satisfies (0 ≤ I ≤ min(H(X), H(Y)),
  conditionals ≥ 0), which a difference may leave by a unit of rounding.

Here I is a difference of entropies, not the sum of non-negative terms :mod:`.information` forms:
exact to a few units in the last place of the entropies (1e-16 nats), far below the spread of a
bootstrap's resamples, though not to the full relative accuracy of a tiny I.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .estimators import estimate, shrink
from .information_estimators import rounded_into_bounds


@dataclass(frozen=True)
class Informations:
    """Per table (one entry each): the entropies and I in nats, and the classes seen of each side."""

    h_x: np.ndarray
    h_y: np.ndarray
    h_xy: np.ndarray
    h_x_given_y: np.ndarray
    h_y_given_x: np.ndarray
    mi: np.ndarray
    x_classes: np.ndarray
    y_classes: np.ndarray
    estimator: str = "plugin"

    def normalised(self, average: str) -> np.ndarray:
        """I ÷ ``average`` of H(X) and H(Y) per table, with the conventions of
        :meth:`.information.Information.normalised`: 1 where both sides have one class, 0 where I is
        0; the plug-in's at most 1 and 0 where the mean is 0, an estimator's as computed (nan where
        the mean is not positive)."""
        h_x, h_y = self.h_x, self.h_y
        with np.errstate(invalid="ignore"):
            mean = {"arithmetic": (h_x + h_y) / 2,
                    "geometric": np.sqrt(np.maximum(h_x, 0.0)) * np.sqrt(np.maximum(h_y, 0.0)),
                    "min": np.minimum(h_x, h_y), "max": np.maximum(h_x, h_y)}[average]
        positive = mean > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.mi / np.where(positive, mean, 1.0)
        if self.estimator == "plugin":
            ratio = np.where(positive, np.minimum(ratio, 1.0), 0.0)
        else:
            ratio = np.where(positive, ratio, np.nan)
        ratio = np.where(self.mi == 0, 0.0, ratio)
        return np.where((self.x_classes == 1) & (self.y_classes == 1), 1.0, ratio)


def batch_information(tables: np.ndarray, estimator: str = "plugin") -> Informations:
    """The values of each of ``tables`` (tables × X's classes × Y's classes, whole counts ≥ 0, each
    table's total N > 0) by ``estimator`` (a name of :data:`.estimators.ESTIMATORS`)."""
    tables = np.asarray(tables, dtype=np.float64)
    rows, columns = tables.sum(axis=2), tables.sum(axis=1)
    row_seen, column_seen = rows > 0, columns > 0
    cells = tables.reshape(len(tables), -1)
    if estimator == "shrink":  # K: the classes seen, and every pair of them
        h_x, h_y = shrink(rows, row_seen), shrink(columns, column_seen)
        h_xy = shrink(cells, (row_seen[:, :, None] & column_seen[:, None, :]).reshape(len(tables), -1))
    else:  # zeros change none of the others
        h_x, h_y, h_xy = estimate(estimator, rows), estimate(estimator, columns), estimate(estimator, cells)
    h_x_given_y, h_y_given_x = h_xy - h_y, h_xy - h_x
    mi = np.where(np.abs(h_x_given_y) <= np.abs(h_y_given_x), h_x - h_x_given_y, h_y - h_y_given_x)
    if estimator == "plugin":  # the bounds the plug-in satisfies, left by rounding alone
        h_x_given_y, h_y_given_x = np.maximum(h_x_given_y, 0.0), np.maximum(h_y_given_x, 0.0)
        mi = np.clip(mi, 0.0, np.minimum(h_x, h_y))
    else:
        mi = rounded_into_bounds(mi, h_x, h_y, h_xy)
    return Informations(h_x, h_y, h_xy, h_x_given_y, h_y_given_x, mi, row_seen.sum(axis=1), column_seen.sum(axis=1),
                        estimator)
