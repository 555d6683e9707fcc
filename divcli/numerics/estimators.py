"""Entropy estimators on counts: rows × classes arrays of non-negative whole numbers → the entropy of
each row's distribution, in nats.

The plug-in value −Σ p̂·log p̂ (p̂ = n / N) is biased downwards, the more so the fewer samples there are
per class; the others correct it, each after its source (the formulas and edge cases of R's
``entropy`` package, version 1.3.2, by Hausser and Strimmer):

================  =============================================================================
estimator         formula
================  =============================================================================
``plugin``        −Σ p̂·log p̂ (``entropy.empirical``)
``miller-madow``  plug-in + (m − 1) / (2N), m the classes counted at least once (Miller 1955;
                  ``entropy.MillerMadow``)
``chao-shen``     −Σ p̃·log p̃ / (1 − (1 − p̃)^N), p̃ = C·p̂, C = 1 − f₁/N, f₁ the singletons, N − 1
                  in their place when every count is 1 (Chao & Shen 2003; ``entropy.ChaoShen``)
``shrink``        the plug-in of λ/K + (1 − λ)·p̂, λ = Σ p̂(1 − p̂)/(N − 1) ÷ Σ (1/K − p̂)² clipped to
                  [0, 1] (1 when N ≤ 1 or p̂ is uniform), K the classes, zeros included
                  (Hausser & Strimmer 2009; ``entropy.shrink``)
``jackknife``     N·Ĥ − (N − 1)/N · Σᵢ Ĥ₋ᵢ, the delete-one jackknife of the plug-in, computed
                  once per class counted (deleting any one of class k's samples gives the same
                  Ĥ₋ₖ); 0 when one class holds every sample (Zahl 1977)
================  =============================================================================

Every function takes the counts as a float or integer array (a row is one sample's counts), checked by
the caller: whole numbers ≥ 0, each row's sum N > 0. A value in another base is the value in nats
divided by log(base), the corrections included.
"""

from __future__ import annotations

import numpy as np

from ..vocabulary import ESTIMATORS as NAMES

#: The estimators' names, the plug-in first.
ESTIMATORS = tuple(NAMES)


def _rows(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    return counts[None, :] if counts.ndim == 1 else counts


def _xlogx(x: np.ndarray) -> np.ndarray:
    """x·log x, 0 where x = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0)), 0.0)


def plugin(counts) -> np.ndarray:
    """−Σ p̂·log p̂ per row, p̂ = n / N: the entropy of the empirical distribution."""
    counts = _rows(counts)
    return -_xlogx(counts / counts.sum(axis=1)[:, None]).sum(axis=1)


def miller_madow(counts) -> np.ndarray:
    """The plug-in + (m − 1) / (2N), m the classes counted at least once (in nats: in another base
    the correction is divided by log(base) with the rest)."""
    counts = _rows(counts)
    n = counts.sum(axis=1)
    m = np.count_nonzero(counts, axis=1)
    return plugin(counts) + (m - 1) / (2 * n)


def chao_shen(counts) -> np.ndarray:
    """The coverage-adjusted Horvitz–Thompson estimator of Chao & Shen (2003):
    −Σ p̃·log p̃ / (1 − (1 − p̃)^N), p̃ = C·p̂, C = 1 − f₁/N (f₁ the classes counted once; N − 1 in
    their place when every sample is a singleton, so that C > 0, as R's ``entropy.ChaoShen``)."""
    counts = _rows(counts)
    n = counts.sum(axis=1)
    f1 = np.count_nonzero(counts == 1, axis=1).astype(np.float64)
    f1 = np.where(f1 == n, n - 1, f1)
    coverage = 1 - f1 / n
    pa = coverage[:, None] * counts / n[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # p̃ = 1 (one class, C = 1): log1p(−1) = −inf, seen 1
        seen = -np.expm1(n[:, None] * np.log1p(-np.where(counts > 0, pa, 0.0)))  # 1 − (1 − p̃)^N
        terms = np.where(counts > 0, _xlogx(pa) / np.where(counts > 0, seen, 1.0), 0.0)
    return -terms.sum(axis=1)


def _classes(counts: np.ndarray, included) -> np.ndarray:
    """Which classes of each row count towards K: ``included`` (rows × classes, booleans), or all."""
    return np.ones(counts.shape, dtype=bool) if included is None else np.broadcast_to(included, counts.shape)


def shrinkage_intensity(counts, included=None) -> np.ndarray:
    """λ of the James–Stein shrinkage towards the uniform 1/K (Hausser & Strimmer 2009):
    Σ p̂(1 − p̂)/(N − 1) ÷ Σ (1/K − p̂)², clipped to [0, 1]; 1 when N ≤ 1 or p̂ is uniform. K is
    the row's classes, or those ``included`` marks (every count outside them 0): the bootstrap's
    resamples of a joint table keep the classes each resample saw."""
    counts = _rows(counts)
    classes = _classes(counts, included)
    n = counts.sum(axis=1)
    u = counts / n[:, None]
    target = (1.0 / classes.sum(axis=1))[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.sum(u * (1 - u), axis=1) / (n - 1)
        misfit = np.sum(np.where(classes, (u - target) ** 2, 0.0), axis=1)
        lam = np.where(misfit == 0, 1.0, variance / np.where(misfit == 0, 1.0, misfit))
    lam = np.where(n <= 1, 1.0, lam)
    return np.clip(lam, 0.0, 1.0)


def shrink(counts, included=None) -> np.ndarray:
    """The plug-in entropy of λ/K + (1 − λ)·p̂ over the K classes (or those ``included`` marks),
    λ :func:`shrinkage_intensity`."""
    counts = _rows(counts)
    classes = _classes(counts, included)
    lam = shrinkage_intensity(counts, classes)[:, None]
    shrunk = lam / classes.sum(axis=1)[:, None] + (1 - lam) * counts / counts.sum(axis=1)[:, None]
    return -_xlogx(np.where(classes, shrunk, 0.0)).sum(axis=1)


def jackknife(counts) -> np.ndarray:
    """The delete-one jackknife of the plug-in: N·Ĥ − (N − 1)/N · Σᵢ Ĥ₋ᵢ over the N samples; the
    plug-in when N = 1 (no sample is left to delete one from), 0 when one class holds every sample.

    Deleting a sample of class k leaves the counts n − e_k, so Σᵢ Ĥ₋ᵢ = Σₖ nₖ·Ĥ₋ₖ, and the sum
    reduces to Ĥ + Σₖ (nₖ/N)·b(nₖ) − b(N) with b(n) = 1 − (n − 1)·log(n / (n − 1)) (b(1) = 1): a
    correction ≥ 0 of the size of (m − 1)/(2N), added to the plug-in taken as Σ p̂·log1p((N − n)/n)
    (terms ≥ 0). Formed as N·Ĥ − (N − 1)·mean, two numbers of the size of N·Ĥ, it lost every digit
    for large N (a negative entropy at N = 10¹²)."""
    counts = _rows(counts)
    n = counts.sum(axis=1)
    shares = counts / n[:, None]
    correction = np.sum(np.where(counts > 0, shares * _jackknife_tail(counts), 0.0), axis=1) - _jackknife_tail(n)
    one_class = np.count_nonzero(counts, axis=1) <= 1  # every deletion leaves one class: 0, not its rounding
    return np.where(one_class, 0.0, _accurate_plugin(counts, n) + np.maximum(correction, 0.0))


def _accurate_plugin(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Σ p̂·log(N/n) as Σ p̂·log1p((N − n)/n): N − n exact for counts below 2⁵³, so a class holding
    nearly every sample keeps its small term to a few units in the last place."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = counts / n[:, None] * np.log1p((n[:, None] - counts) / counts)
    return np.sum(np.where(counts > 0, terms, 0.0), axis=1)


#: Terms of the series b(n) = Σⱼ (−1)^(j+1)·xʲ/(j + 1), x = 1/(n − 1), summed where x ≤ 1/8.
_SERIES_TERMS = 24


def _jackknife_tail(n) -> np.ndarray:
    """b(n) = 1 − (n − 1)·log1p(1/(n − 1)) for counts n ≥ 1 (b(1) = 1; 0 where n = 0): x/2 − x²/3 +
    x³/4 − … with x = 1/(n − 1), summed as a series where x ≤ 1/8 (the difference 1 − log1p(x)/x
    would lose the digits), directly for the few n below 10."""
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = 1.0 / (n - 1)
        direct = 1.0 - np.log1p(x) / x
    small = np.where(x <= 0.125, x, 0.0)
    series = np.zeros_like(small)
    for j in range(_SERIES_TERMS, 0, -1):  # Horner: x·(1/2 − x·(1/3 − x·(1/4 − …)))
        series = 1.0 / (j + 1) - small * series
    series = small * series
    return np.where(n <= 0, 0.0, np.where(n == 1, 1.0, np.where(x <= 0.125, series, direct)))


#: Each estimator by its name.
BY_NAME = {"plugin": plugin, "miller-madow": miller_madow, "chao-shen": chao_shen, "shrink": shrink,
           "jackknife": jackknife}


def estimate(name: str, counts) -> np.ndarray:
    """The entropy of each row of ``counts`` in nats by the estimator ``name`` (:data:`ESTIMATORS`)."""
    return BY_NAME[name](counts)
