"""The entropies and mutual information of a joint table of counts by an entropy estimator other than
the plug-in (Miller–Madow, Chao–Shen, shrinkage, jackknife: :mod:`divcli.numerics.estimators`), in
nats.

As R's ``infotheo`` does with ``method = "mm"`` or ``"shrink"``, the estimator is applied to the three
entropies that can be counted, H(X) (the row sums), H(Y) (the column sums) and H(X,Y) (every cell),
and the rest is derived from them: H(X|Y) = H(X,Y) − H(Y), H(Y|X) = H(X,Y) − H(X), and
I = H(X) − H(X|Y) = H(Y) − H(Y|X) (= H(X) + H(Y) − H(X,Y)). The classes of each side are those seen
(rows and columns that are not all 0); the joint's cells are every pair of them, pairs never seen
included (they matter to the shrinkage estimator alone, whose K counts them, as R's ``entropy``
package's ``freqs.shrink`` of a 2-D table does; the others read only the cells counted).

Unlike the plug-in, the corrected values need not satisfy 0 ≤ I ≤ min(H(X), H(Y)) (equivalently
I ≥ 0, H(X|Y) ≥ 0, H(Y|X) ≥ 0): each entropy is corrected on its own, by amounts that grow with its
classes, so with few samples a corrected I can fall below 0 (``infotheo`` clips it to 0 without a
word; divcli keeps the value and says so: :func:`bounds_failed`).
"""

from __future__ import annotations

import numpy as np

from .estimators import estimate
from .information import Information, seen

#: The bounds a plug-in I satisfies, as the output names them.
AT_LEAST_ZERO = "I ≥ 0"
AT_MOST_ENTROPIES = "I ≤ min(H(X), H(Y))"


def _entropy(name: str, counts: np.ndarray) -> float:
    """The estimate of one set of counts, in nats. The counts seen are sorted first (the shrinkage
    estimator keeps the zeros, for its K), so that two sets holding the same counts in another order
    (a Y that determines X: the joint's cells are Y's counts) give the same float, and I = H(X)
    exactly where it should."""
    counts = np.asarray(counts, dtype=np.float64).ravel()
    ordered = np.sort(counts)[::-1] if name == "shrink" else np.sort(counts[counts > 0])[::-1]
    return float(estimate(name, ordered)[0])


def estimated_information(table, name: str) -> Information:
    """H(X), H(Y), H(X,Y) of ``table`` (counts: whole numbers ≥ 0, not all 0; rows X's classes,
    columns Y's) by the estimator ``name``, and H(X|Y), H(Y|X), I derived from them."""
    table = seen(table)
    h_x = _entropy(name, table.sum(axis=1))
    h_y = _entropy(name, table.sum(axis=0))
    h_xy = _entropy(name, table)
    h_x_given_y, h_y_given_x = h_xy - h_y, h_xy - h_x
    # subtract the smaller conditional: a side that determines the other (its conditional 0) gives
    # I = that side's entropy exactly, not H(X) + H(Y) − H(X,Y) rounded
    mi = float(rounded_into_bounds(h_x - h_x_given_y if abs(h_x_given_y) <= abs(h_y_given_x) else h_y - h_y_given_x,
                                   h_x, h_y, h_xy))
    return Information(h_x, h_y, h_xy, h_x_given_y, h_y_given_x, mi, table.shape[0], table.shape[1],
                       estimator=name)


def rounded_into_bounds(mi, h_x, h_y, h_xy):
    """``mi`` put back into [0, min(H(X), H(Y))] where it left it by rounding alone (a few units in
    the last place of the entropies: ln 2 + ln 3 − ln 6 is −2e-17 in float64, not a broken bound);
    a larger miss is kept. Numbers or arrays (one entry a table: the bootstrap's resamples)."""
    rounding = 8 * np.finfo(np.float64).eps * np.maximum(np.maximum(np.abs(h_x), np.abs(h_y)), np.abs(h_xy))
    upper = np.minimum(h_x, h_y)
    mi = np.where((mi < 0) & (mi >= -rounding), 0.0, mi)
    return np.where((mi > upper) & (mi <= upper + rounding), upper, mi)


def bounds_failed(found: Information) -> tuple[str, ...]:
    """The bounds of I that ``found`` breaks: :data:`AT_LEAST_ZERO`, :data:`AT_MOST_ENTROPIES`
    (none for the plug-in, which satisfies both exactly)."""
    failed = []
    if found.mi < 0:
        failed.append(AT_LEAST_ZERO)
    if found.mi > min(found.h_x, found.h_y):
        failed.append(AT_MOST_ENTROPIES)
    return tuple(failed)
