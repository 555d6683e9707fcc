"""Mutual information and the entropies of a joint table (counts, or probabilities), to a few units
in the last place of the exact value for the table as given. Pure numpy, no I/O.

For a table T (rows = X's classes, columns = Y's) with total S, row sums r and column sums c,
p(x, y) = T/S, p(x) = r/S, p(y) = c/S and

- I(X;Y) = D(P(X,Y) ‖ P(X)P(Y)) = Σ q·φ(p/q) with q = p(x)p(y) and φ(t) = t·log t − t + 1 (as the
  accurate KL kernel writes it: :func:`~divcli.numerics.accurate.phi_terms`): a sum of non-negative
  terms, never the difference H(X) + H(Y) − H(X,Y), which near independence loses every digit. The
  log-ratio log(p/q) = log(T·S / (r·c)) is formed from exact products (:func:`two_product`) and
  log1p of their exact difference, so a table close to independence keeps I to full relative
  accuracy (tables of whole numbers whose products stay below 2^53 exactly so);
- H(X|Y) = Σ p(x, y)·(−log(T/c)), H(Y|X) likewise: non-negative terms, the log near 0 from log1p,
  so Y that determines X gives H(X|Y) = 0 exactly, not a difference that rounds;
- H(X), H(Y) from the accurate entropy kernel; H(X,Y) = H(Y) + H(X|Y) (two non-negative numbers).

The plug-in values satisfy 0 ≤ I ≤ min(H(X), H(Y)) exactly; I is kept within that range where a last
unit of rounding would leave it (I = H(X) when Y determines X).

Rows or columns of zeros (a class never seen) are left out: they change no value, and the G-test's
degrees of freedom count the classes seen. The G statistic of the test of independence is
G = 2·N·I (I in nats) for a table of counts (N samples); its p-value is P(χ²(dof) ≥ G) with
dof = (|X| − 1)(|Y| − 1), through SciPy (the ``stats`` extra), imported only when asked for.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from .accurate import entropy_rows, phi_terms, prob_rows, row_sums, two_product
from .p_values import p_value_of_chi2

#: What a table or CSV shows in place of the G-test's p-value when SciPy is not installed.
NO_SCIPY = "the p-value needs SciPy: pip install 'divcli[stats]'"

#: The averages of H(X) and H(Y) that normalise I, as scikit-learn's normalized_mutual_info_score
#: names them (``average_method``); arithmetic is its default.
AVERAGES = ("arithmetic", "geometric", "min", "max")

#: Below this a product of two marginals may have lost bits to underflow: its log-ratio is taken
#: from the logs instead of the exact products.
_TINY_PRODUCT = 2.0 ** -960


@dataclass(frozen=True)
class Information:
    """The entropies and the mutual information of a joint table, in nats; ``x_classes`` and
    ``y_classes`` count the classes seen (rows and columns that are not all 0); ``estimator`` names
    the entropy estimator of the values (:mod:`.information_estimators`), None for the plug-in."""

    h_x: float
    h_y: float
    h_xy: float
    h_x_given_y: float
    h_y_given_x: float
    mi: float
    x_classes: int
    y_classes: int
    estimator: str | None = None

    def normalised(self, average: str) -> float:
        """I / average(H(X), H(Y)), as scikit-learn's ``normalized_mutual_info_score`` gives it: 1
        where both sides have one class (nothing split, a perfect match), 0 where I = 0, unitless.
        The plug-in's ratio is at most 1 (a last
        unit of rounding is kept there); an estimator's is as computed, beyond 1 or below 0 where
        its I breaks the bounds, and nan where its mean is not positive."""
        if self.x_classes == self.y_classes == 1:
            return 1.0
        if self.mi == 0:
            return 0.0
        h_x, h_y = self.h_x, self.h_y
        normaliser = {"arithmetic": (h_x + h_y) / 2, "geometric": _geometric_mean(h_x, h_y),
                      "min": min(h_x, h_y), "max": max(h_x, h_y)}[average]
        if self.estimator is not None:
            return self.mi / normaliser if normaliser > 0 else math.nan
        return min(self.mi / normaliser, 1.0) if normaliser > 0 else 0.0

    @property
    def dof(self) -> int:
        """The degrees of freedom of the test of independence: (|X| − 1)(|Y| − 1)."""
        return (self.x_classes - 1) * (self.y_classes - 1)


def _geometric_mean(a: float, b: float) -> float:
    """√(a·b), as √a·√b where a·b would underflow (two entropies of 1e-297 have the mean 1e-297,
    not 0); 0 where either is ≤ 0."""
    if a <= 0 or b <= 0:
        return 0.0
    product = a * b
    return math.sqrt(product) if product >= sys.float_info.min else math.sqrt(a) * math.sqrt(b)


def seen(table: np.ndarray) -> np.ndarray:
    """``table`` without its rows and columns of zeros (classes never seen)."""
    table = np.asarray(table, dtype=np.float64)
    return table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]


def _scaled(table: np.ndarray) -> np.ndarray:
    """``table`` times a power of two (exact) that brings its total into [0.5, 1): every product of
    two marginals below is then at most 1."""
    high, _ = row_sums(table.reshape(1, -1))
    _, exponent = np.frexp(high[0])
    return np.ldexp(table, -int(exponent))


def _log_ratio(numerator: tuple, denominator: tuple) -> np.ndarray:
    """log((a + a_low) / (b + b_low)) elementwise, each side a head and its tail, with log1p of the
    exact difference where the two are within a factor 1.5 (−inf where a = 0)."""
    a, a_low = numerator
    b, b_low = denominator
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((a - b) + (a_low - b_low)) / b  # a − b is exact where they are close (Sterbenz)
        far = np.log(a / b) + (a_low / np.where(a > 0, a, 1.0) - b_low / b)
        x = np.where(np.abs(t) < 0.5, np.log1p(t), far)
    return np.where(a > 0, x, -np.inf)


def mi_terms(table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p, q, terms)`` of a table of classes seen: p(x, y), p(x)p(y), and the non-negative terms
    q·φ(p/q) of I(X;Y) in nats, each the shape of the table."""
    t = _scaled(np.asarray(table, dtype=np.float64))
    s_high, s_low = row_sums(t.reshape(1, -1))
    r_high, r_low = row_sums(t)
    c_high, c_low = row_sums(np.ascontiguousarray(t.T))
    numerator, error = two_product(t, s_high[0])
    numerator_low = error + t * s_low[0]
    rows, columns = r_high[:, None], c_high[None, :]
    denominator, error = two_product(rows, columns)
    denominator_low = error + rows * c_low[None, :] + r_low[:, None] * columns
    x = _log_ratio((numerator, numerator_low), (denominator, denominator_low))
    tiny = denominator < _TINY_PRODUCT
    if np.any(tiny):  # r·c near underflow: the logs, each to a few ε
        with np.errstate(divide="ignore"):
            logs = np.log(t) + np.log(s_high[0]) - np.log(rows) - np.log(columns)
        x = np.where(tiny, logs, x)
    total = s_high[0] + s_low[0]
    p = t / total
    q = (rows / total) * (columns / total)
    return p, q, phi_terms(p, q, x)


def _conditional_entropy(t: np.ndarray, p: np.ndarray) -> float:
    """H(row | column) = Σ p·(−log(t / c)) of a scaled table ``t`` and its probabilities ``p``."""
    c_high, c_low = row_sums(np.ascontiguousarray(t.T))
    columns = np.broadcast_to(c_high[None, :], t.shape)
    x = _log_ratio((t, np.zeros_like(t)), (columns, np.broadcast_to(c_low[None, :], t.shape)))
    surprisal = np.where(t > 0, -np.minimum(x, 0.0), 0.0)  # log(t/c) ≤ 0: a rounding above 0 is 0
    return float((p * surprisal).sum())


def information(table) -> Information:
    """The entropies and mutual information of ``table`` (non-negative, finite, not all 0; rows =
    X's classes, columns = Y's), in nats."""
    table = seen(table)
    t = _scaled(table)
    p, _, terms = mi_terms(t)
    h_x = _marginal_entropy(t, axis=1)
    h_y = _marginal_entropy(t, axis=0)
    h_x_given_y = _conditional_entropy(t, p)
    h_y_given_x = _conditional_entropy(np.ascontiguousarray(t.T), np.ascontiguousarray(p.T))
    mi = min(float(terms.sum()), h_x, h_y)
    return Information(h_x, h_y, h_y + h_x_given_y, h_x_given_y, h_y_given_x, mi, t.shape[0], t.shape[1])


def _marginal_entropy(t: np.ndarray, axis: int) -> float:
    """H of the table's sums along ``axis`` (1: X's, 0: Y's), exact sums, the accurate kernel."""
    if t.shape[1 - axis] == 1:
        return 0.0
    sums = np.array([row_sums(np.ascontiguousarray(t if axis == 1 else t.T))[0]])
    return float(entropy_rows(prob_rows(sums))[0])


def g_test(mi_nats: float, samples: float, dof: int) -> tuple[float, float | None]:
    """The G-test of independence: ``(G, p-value)`` with G = 2·N·I and the p-value P(χ²(dof) ≥ G)
    (1 for 0 degrees of freedom, as SciPy's ``chi2_contingency`` gives; None without SciPy), by
    :func:`divcli.numerics.p_values.p_value_of_chi2`, as drift's χ² test."""
    statistic = 2.0 * samples * mi_nats
    return statistic, p_value_of_chi2(statistic, dof)
