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


def shrinkage_intensity(counts) -> np.ndarray:
    """λ of the James–Stein shrinkage towards the uniform 1/K (Hausser & Strimmer 2009):
    Σ p̂(1 − p̂)/(N − 1) ÷ Σ (1/K − p̂)², clipped to [0, 1]; 1 when N ≤ 1 or p̂ is uniform."""
    counts = _rows(counts)
    n = counts.sum(axis=1)
    u = counts / n[:, None]
    target = 1.0 / counts.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.sum(u * (1 - u), axis=1) / (n - 1)
        misfit = np.sum((u - target) ** 2, axis=1)
        lam = np.where(misfit == 0, 1.0, variance / np.where(misfit == 0, 1.0, misfit))
    lam = np.where(n <= 1, 1.0, lam)
    return np.clip(lam, 0.0, 1.0)


def shrink(counts) -> np.ndarray:
    """The plug-in entropy of λ/K + (1 − λ)·p̂, λ :func:`shrinkage_intensity`."""
    counts = _rows(counts)
    lam = shrinkage_intensity(counts)[:, None]
    p = lam / counts.shape[1] + (1 - lam) * counts / counts.sum(axis=1)[:, None]
    return -_xlogx(p).sum(axis=1)


def jackknife(counts) -> np.ndarray:
    """The delete-one jackknife of the plug-in: N·Ĥ − (N − 1)/N · Σᵢ Ĥ₋ᵢ over the N samples, where
    deleting a sample of class k leaves counts n − e_k, so Σᵢ Ĥ₋ᵢ = Σₖ nₖ·Ĥ₋ₖ; the plug-in when N = 1
    (no sample is left to delete one from)."""
    counts = _rows(counts)
    n = counts.sum(axis=1)
    whole = _xlogx(counts).sum(axis=1)[:, None]
    rest = np.maximum(n - 1, 1.0)[:, None]
    # Ĥ₋ₖ = log(N − 1) − Σⱼ n′ⱼ log n′ⱼ / (N − 1), n′ = n − e_k: only class k's term changes
    deleted = np.log(rest) - (whole - _xlogx(counts) + _xlogx(np.maximum(counts - 1, 0.0))) / rest
    mean_deleted = np.sum(np.where(counts > 0, counts * deleted, 0.0), axis=1) / n
    h = plugin(counts)
    one_class = np.count_nonzero(counts, axis=1) <= 1  # every deletion leaves one class: 0, not its rounding
    return np.where(one_class, 0.0, np.where(n > 1, n * h - (n - 1) * mean_deleted, h))


#: Each estimator by its name.
BY_NAME = {"plugin": plugin, "miller-madow": miller_madow, "chao-shen": chao_shen, "shrink": shrink,
           "jackknife": jackknife}


def estimate(name: str, counts) -> np.ndarray:
    """The entropy of each row of ``counts`` in nats by the estimator ``name`` (:data:`ESTIMATORS`)."""
    return BY_NAME[name](counts)
