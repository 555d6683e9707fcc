"""The measures' formulas: rows of P and Q → one value per row, in pure numpy (the catalogue that
names them is :mod:`divcli.measures.catalogue`, which imports this module only when a measure is computed).

Zero conventions, as for KL: a term with ``p_i = 0`` contributes 0; a term that needs ``p_i / 0``
is ``+inf`` (KL, χ², Rényi of order > 1), never ``nan``.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable

import numpy as np

from ..numerics import accurate, fast_path
from ..numerics.distributions import Distribution
from ..numerics.plain import cross_entropy_terms, entropy_terms, kl_terms
from .pair import BC, CHI2_NEYMAN, CHI2_PEARSON, HELLINGER2, JS, TV, Fused, Pair


def shared(kernel: Callable[[Pair], np.ndarray]) -> Callable[[Pair], np.ndarray]:
    """``kernel`` computed once per :class:`Pair`: the measures that build on it (Jeffreys on both KLs,
    the JS distance on the divergence, a perplexity on its entropy) take the same values. The array
    returned is the one kept: callers do not write into it."""
    @wraps(kernel)
    def once(pair: Pair) -> np.ndarray:
        known = pair.known
        if kernel.__name__ not in known:
            known[kernel.__name__] = kernel(pair)
        return known[kernel.__name__]
    return once


def _sum(terms: np.ndarray) -> np.ndarray:
    return terms.sum(axis=1)


@shared
def kl(pair: Pair) -> np.ndarray:
    if pair.fused is not None:
        return pair.divergence[0]
    if pair.exact:
        return accurate.kl_rows(pair.exact_p, pair.exact_q, pair.ratio)
    return _sum(kl_terms(pair.p, pair.log_p, pair.log_q))


@shared
def js_divergence(pair: Pair) -> np.ndarray:
    """½ D(P‖M) + ½ D(Q‖M) with M = ½(P + Q): finite always, at most log 2.

    Per class, with m = ½(p + q) and d = (p − q)/(p + q), the term is
    ½·m·[(1 + d)·log(1 + d) + (1 − d)·log(1 − d)]: never negative, about m·d²/2 for near rows, so
    nothing cancels between classes (the textbook sum loses half the digits for near-identical rows).
    """
    if pair.fused is not None:
        return pair.mixture.column(JS)
    if pair.exact:
        return accurate.js_rows(pair.exact_p, pair.exact_q, pair.ratio)
    p, q = pair.p, pair.q
    total = p + q
    d = np.zeros(total.shape)
    np.divide(p - q, total, out=d, where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plus = np.where(d > -1, (1 + d) * np.log1p(d), 0.0)
        minus = np.where(d < 1, (1 - d) * np.log1p(-d), 0.0)
    return np.maximum(_sum(0.25 * total * (plus + minus)), 0.0)


def total_variation(pair: Pair) -> np.ndarray:
    if pair.fused is not None:
        return pair.mixture.column(TV)
    if pair.exact:
        return accurate.total_variation_rows(pair.exact_p, pair.exact_q, pair.ratio)
    return 0.5 * _sum(np.abs(pair.p - pair.q))


def bhattacharyya_coefficient(pair: Pair) -> np.ndarray:
    if pair.fused is not None:
        return pair.mixture.column(BC)
    product = pair.p * pair.q
    return _sum(np.sqrt(product, out=product))


def _hellinger_squared(pair: Pair) -> np.ndarray:
    # ½ Σ (√p − √q)², equal to 1 − BC for rows that sum to 1, without its cancellation near 0.
    if pair.fused is not None:
        return pair.mixture.column(HELLINGER2)
    gaps = np.sqrt(pair.p)
    gaps -= np.sqrt(pair.q)
    return 0.5 * _sum(np.square(gaps, out=gaps))


def hellinger(pair: Pair) -> np.ndarray:
    return np.sqrt(_hellinger_squared(pair))


def bhattacharyya_distance(pair: Pair) -> np.ndarray:
    """−log BC from the logs, log BC = logsumexp(½(log p + log q)), so a coefficient that underflows
    float64 (rows far apart, from logits) still gives a finite distance; never below 0."""
    if pair.fused is not None:
        return np.maximum(-pair.mixture.log_sum(0.5), 0.0) + 0.0
    half = pair.log_p + pair.log_q
    half *= 0.5
    shift = np.max(half, axis=1, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    half -= shift
    log_bc = np.log(np.sum(np.exp(half, out=half), axis=1)) + shift[:, 0]
    return np.maximum(-log_bc, 0.0) + 0.0


def _log_abs_expm1(x: np.ndarray) -> np.ndarray:
    """log|e^x − 1| without overflow: x + log1p(−e^−x) for x > 0, log(−expm1(x)) for x < 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(x > 0, x + np.log1p(-np.exp(-np.abs(x))), np.log(-np.expm1(np.minimum(x, 0.0))))


def _chi2(observed: np.ndarray, log_observed: np.ndarray, expected: np.ndarray,
          log_expected: np.ndarray, pair: Pair) -> np.ndarray:
    """Σ (o − e)² / e: 0 where both are 0, +inf where only e is. Where a probability underflowed to
    0 but its log is finite (logits far apart) the term is e·(o/e − 1)², taken from the logs
    (``pair``: o and e, either way round)."""
    difference = pair.squared_difference
    if pair.inside:  # no 0 on either side: the terms as they are
        return _sum(np.divide(difference, expected))
    terms = np.zeros(observed.shape)
    np.divide(difference, expected, out=terms, where=expected > 0)
    terms[(log_expected == -np.inf) & (log_observed > -np.inf)] = np.inf
    underflow = ((expected == 0) | (observed == 0)) & np.isfinite(log_expected) & np.isfinite(log_observed)
    if np.any(underflow):
        with np.errstate(over="ignore"):
            from_logs = np.exp(log_expected + 2 * _log_abs_expm1(log_observed - log_expected))
        terms = np.where(underflow, from_logs, terms)
    return _sum(terms)


def chi2_pearson(pair: Pair) -> np.ndarray:
    if pair.fused is not None:
        return pair.mixture.column(CHI2_PEARSON)
    return _chi2(pair.p, pair.log_p, pair.q, pair.log_q, pair)


def chi2_neyman(pair: Pair) -> np.ndarray:
    if pair.fused is not None:
        return pair.mixture.column(CHI2_NEYMAN)
    return _chi2(pair.q, pair.log_q, pair.p, pair.log_p, pair)


def renyi(alpha: float) -> Callable[[Pair], np.ndarray]:
    """D_α(P‖Q) = log(Σ pᵢ^α qᵢ^(1−α)) / (α − 1), over the classes where pᵢ > 0; α = 1 is KL."""
    if alpha == 1:
        return kl

    def compute(pair: Pair) -> np.ndarray:
        log_sum = None if pair.fused is None else pair.mixture.log_sum(alpha)
        if log_sum is not None:
            return np.maximum(log_sum / (alpha - 1), 0.0) + 0.0
        # Where q = 0 < p the exponent is +inf for α > 1 (D = ∞) and −inf for α < 1 (no term). The
        # classes are those with log p > −inf: a p that underflowed float64 still counts.
        with np.errstate(invalid="ignore"):
            exponent = alpha * pair.log_p
            exponent += (1 - alpha) * pair.log_q
        if not pair.inside:
            exponent = np.where(pair.log_p > -np.inf, exponent, -np.inf)
        shift = np.max(exponent, axis=1, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0.0)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            exponent -= shift
            log_sum = np.log(np.sum(np.exp(exponent, out=exponent), axis=1)) + shift[:, 0]
            return np.maximum(log_sum / (alpha - 1), 0.0) + 0.0  # ≥ 0; rounding of equal rows is cut

    return compute


def cross_entropy(pair: Pair) -> np.ndarray:
    if pair.fused is not None:
        return pair.divergence[2]
    if pair.exact:
        return accurate.cross_entropy_rows(pair.exact_p, pair.exact_q)
    return _sum(cross_entropy_terms(pair.p, pair.log_q))


@shared
def entropy_p(pair: Pair) -> np.ndarray:
    if pair.fused is not None:
        return pair.divergence[1]
    if pair.exact:
        return accurate.entropy_rows(pair.exact_p)
    return _sum(entropy_terms(pair.p, pair.log_p))


def entropy_q(pair: Pair) -> np.ndarray:
    return entropy_p(pair.swapped)


def wasserstein_1(pair: Pair) -> np.ndarray:
    """Σ |F_P − F_Q| over consecutive classes one unit apart (SciPy's ``wasserstein_distance`` with
    the class indices as positions and P, Q as weights)."""
    return _sum(np.abs(np.cumsum(pair.p - pair.q, axis=1)[:, :-1]))


def kl_qp(pair: Pair) -> np.ndarray:
    return kl(pair.swapped)


def jeffreys(pair: Pair) -> np.ndarray:
    return kl(pair) + kl(pair.swapped)


def js_distance(pair: Pair) -> np.ndarray:
    return np.sqrt(js_divergence(pair))


def perplexity_p(pair: Pair) -> np.ndarray:
    return np.exp(entropy_p(pair))


def perplexity_q(pair: Pair) -> np.ndarray:
    return np.exp(entropy_q(pair))


def evaluate(measures: list, pair: Pair, scale: float) -> dict[str, np.ndarray]:
    """Each measure's per-row values, log measures divided by ``scale`` (the log of the base); the
    ``pair`` is released after them (:meth:`Pair.release`): its arrays go when the caller drops it."""
    values = {}
    pair.orders = renyi_orders(measures)
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for measure in measures:
                value = measure.compute(pair)
                if measure.log_power and scale != 1.0:
                    value = value / scale ** measure.log_power
                values[measure.key] = value
    finally:
        pair.release()
    return values


def renyi_orders(measures: list) -> tuple[float, ...]:
    """½ (the Bhattacharyya distance) and the orders α ≠ 1 of the Rényi divergences among ``measures``
    (keys ``renyi_α``): what the fused kernel's :attr:`Pair.mixture` computes in its pass."""
    orders = [0.5]
    for measure in measures:
        if measure.key.startswith("renyi_"):
            try:
                alpha = float(measure.key[len("renyi_"):])
            except ValueError:
                continue
            if alpha != 1.0 and alpha not in orders:
                orders.append(alpha)
    return tuple(orders)


def pairwise(p: np.ndarray, log_p: np.ndarray, measure, scale: float,
             exact: accurate.Rows | None = None, distribution: Distribution | None = None) -> np.ndarray:
    """The N × N matrix of ``measure`` between every pair of rows: entry (i, j) is the measure with
    row i as P and row j as Q (``exact``: the same rows for the accurate kernels; ``distribution``:
    the same rows for the fused kernel, where it takes them). The rows' pieces (their exact rows,
    their logs) are computed once; each pair's own (its log-ratios) once per row i."""
    rows = p.shape[0]
    out = np.empty((rows, rows))
    every = np.arange(rows)
    fused = distribution is not None and not distribution.tempered and fast_path.takes(distribution)  # as Fused.of
    for i in range(rows):
        pair = Pair(np.broadcast_to(p[i], p.shape), np.broadcast_to(log_p[i], p.shape), p, log_p,
                    None if exact is None else accurate.broadcast(exact, rows, i), exact,
                    Fused(distribution, distribution, np.full(rows, i), every) if fused else None)
        out[i] = evaluate([measure], pair, scale)[measure.key]
    return out
