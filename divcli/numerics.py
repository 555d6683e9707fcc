"""Pure numpy numerics: log-softmax, entropy, cross-entropy, KL divergence and their reductions.

No I/O, no Click, no Rich. Every function works on float64 arrays of shape ``(N, C)``: N
distributions (rows) over C classes, P the reference ("true") distribution and Q the model.

Zero conventions (as ``scipy.special.rel_entr`` and torch's ``xlogy``): a term with ``p_i = 0`` is 0,
even where ``q_i = 0``; a term with ``p_i > 0`` and ``q_i = 0`` is ``+inf``.

Identities that hold row by row (and that the tests check)::

    cross_entropy(p, q) == entropy(p) + kl_divergence(p, q)
    kl_divergence(p, p) == 0,  kl_divergence(p, q) >= 0   (Gibbs' inequality)
"""

from __future__ import annotations

import math

import numpy as np

from .model import Reduction  # noqa: F401  (the reductions' meanings, used with these kernels)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log-softmax along ``axis``, stable for logits of any size (log-sum-exp).

    ``log_softmax(z)_i = z_i - max(z) - log(sum_j exp(z_j - max(z)))``. Entries of ``-inf`` are
    masked classes (probability 0); a row must hold at least one finite entry. One temporary of the
    input's size besides the result (the exponentials), whatever the number of rows.
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):  # z − max below −1.8e308: −inf, a probability of 0 in float64
        shifted = z - np.max(z, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    log_total = np.log(np.sum(exps, axis=axis, keepdims=True))
    del exps
    return np.subtract(shifted, log_total, out=shifted)


def softmax(z: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Softmax and log-softmax along ``axis`` from one ``exp`` per element: ``(e / Σe, z − max − log Σe)``
    with ``e = exp(z − max)``; ``-inf`` masks a class (probability 0)."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):  # z − max below −1.8e308: −inf, a probability of 0 in float64
        shifted = z - np.max(z, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    total = np.sum(exps, axis=axis, keepdims=True)
    log_p = np.subtract(shifted, np.log(total), out=shifted)
    return np.divide(exps, total, out=exps), log_p


def logsumexp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(z)))`` along ``axis`` without overflow; ``-inf`` for a row of ``-inf``."""
    z = np.asarray(z, dtype=np.float64)
    shift = np.max(z, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(z - shift), axis=axis, keepdims=True))
    return np.squeeze(total + shift, axis=axis)


def _where_positive(p: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``p * values`` where ``p > 0``, 0 elsewhere (never ``0 * inf = nan``)."""
    p, values = np.broadcast_arrays(p, values)
    out = np.zeros(p.shape, dtype=np.float64)
    np.multiply(p, values, out=out, where=p > 0)
    return out


def entropy_terms(p: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """Element terms of the entropy, ``-p_i log p_i`` (0 where ``p_i = 0``).

    Row sums are ``H(P) = -sum_i p_i log p_i``, as ``scipy.stats.entropy(p, axis=1)``.
    """
    return _where_positive(p, -log_p)


def cross_entropy_terms(p: np.ndarray, log_q: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Element terms of the cross-entropy, ``-w_i p_i log q_i`` (0 where ``w_i p_i = 0``).

    With class weights ``w`` and ``p`` a (possibly label-smoothed) target, the row sums are torch's
    per-row ``cross_entropy(..., weight=w, reduction="none")``; ``+inf`` where ``q_i = 0 < p_i``.
    """
    return _where_positive(p if weight is None else p * weight, -log_q)  # w = 0: no term, even where q = 0


def kl_terms(p: np.ndarray, log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """Element terms of the KL divergence, ``p_i (log p_i - log q_i)`` (0 where ``p_i = 0``).

    As ``torch.nn.functional.kl_div(log_q, p, reduction="none")`` and ``scipy.special.rel_entr``.
    A term is negative where ``q_i > p_i``; the row sums are ``>= 0`` all the same.
    """
    p, log_p, log_q = np.broadcast_arrays(p, log_p, log_q)
    difference = np.zeros(p.shape, dtype=np.float64)
    np.subtract(log_p, log_q, out=difference, where=p > 0)
    return _where_positive(p, difference)


def kl_parts(p: np.ndarray, log_p: np.ndarray, log_q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The element terms of D(P‖Q) with the row sums of H(P) and H(P,Q), in one pass over shared
    temporaries: ``(kl_terms(p, log_p, log_q), entropy_terms(p, log_p).sum(1),
    cross_entropy_terms(p, log_q).sum(1))`` to the last bit (the same operations on the same
    values, in the same order), with one scratch array instead of seven.

    ``p``, ``log_p`` and ``log_q`` may be broadcast views (one row against many).
    """
    p, log_p, log_q = np.broadcast_arrays(p, log_p, log_q)
    if not np.all(p > 0):  # zeros in P: the conventions need the masked forms
        return (kl_terms(p, log_p, log_q), entropy_terms(p, log_p).sum(axis=1),
                cross_entropy_terms(p, log_q).sum(axis=1))
    scratch = np.negative(log_p)
    entropy = np.multiply(p, scratch, out=scratch).sum(axis=1)
    np.negative(log_q, out=scratch)
    cross = np.multiply(p, scratch, out=scratch).sum(axis=1)
    terms = np.subtract(log_p, log_q, out=scratch)
    return np.multiply(p, terms, out=terms), entropy, cross


def smooth_labels(p: np.ndarray, epsilon: float, active: np.ndarray | None = None) -> np.ndarray:
    """torch's label smoothing: ``(1 - ε) p + ε / C`` on the rows that take part (``active``)."""
    if epsilon == 0:
        return p
    smoothed = (1.0 - epsilon) * p + epsilon / p.shape[-1]
    if active is not None:
        smoothed = np.where(active[:, None], smoothed, 0.0)
    return smoothed


def log_base(base: float) -> float:
    """The divisor that turns nats into units of ``base`` (1.0 for e, exactly)."""
    return 1.0 if base == math.e else math.log(base)
