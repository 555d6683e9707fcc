"""The accurate kernels of :mod:`divcli.numerics.accurate`, fused with numba: per row, passes over
each operand's row for its maximum and its normaliser, then one pass over both rows for D(P‖Q), H(P),
H(P,Q) and (when asked for) the element terms, without a temporary of the block's size. The rows are
read as they were stored (:mod:`divcli.numerics.fused_values`: float16 and bfloat16 decoded in the
loops), the arithmetic in float64.

The arithmetic is accurate.py's, element for element: softmax rows kept as a head and a tail
(``two_sum``), the normaliser 1 + (the others) as log1p of the others, probability rows scaled by a
power of two, exact log-ratios (``two_product`` for probabilities), φ(e^x) from its series where
|x| ≤ 1, the same zero conventions. What differs stays within the same bounds: every row sum is
compensated (Knuth's two_sum carries each addition's error: a few ε for any C, where numpy's pairwise
sum has O(ε·log C)); the passes over two logit rows, the common case, are SIMD code of their own
(:mod:`divcli.numerics.fused_rows`: its own exp, fused multiply-adds, chunks summed plainly, then
compensated, φ's series with the terms its chunk's largest |x| needs); elsewhere the series of φ
takes as many terms as |x| needs for 2^-57. A row's numbers depend on that row alone, in an order
set by C: not on the block, the thread or the rows beside it.

This module imports numba: :mod:`divcli.numerics.fast_path` imports it only where numba is
installed and the rows are wide enough to pay for it. The compiled kernels are kept in numba's cache
(``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``); where no cache folder can be written,
they are compiled in memory, for this process.
"""

from __future__ import annotations

import math

import numpy as np

from ..readers.floats import is_bfloat16
from .fused_rows import (BUFFERS, CHUNK, chunk_sum, compensated, kl_terms, normaliser, pair_terms, phi_total,
                         softmax_row, two_add)
from .fused_narrow import NARROW_CLASSES, narrow_pairs
from .fused_values import AS_IS, BFLOAT16, FLOAT16, jit, row_top, two_product, widened

_TINY = float(np.finfo(np.float64).tiny)
_LOG2 = math.log(2.0)
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI)
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])

#: What the kernels write into ``terms``: nothing, p·log(p/q) (kl), −w·p·log q (ce), −p·log p (entropy).
NO_TERMS, KL_TERMS, CE_TERMS, ENTROPY_TERMS = 0, 1, 2, 3


def encoded(values: np.ndarray) -> tuple[np.ndarray, int]:
    """``values`` (2-D) as the kernels read them, without a copy where they are C-ordered: float64 and
    float32 as they are, float16 and bfloat16 as their bits (uint16) and the encoding
    (fused_values.AS_IS, FLOAT16, BFLOAT16); any other dtype widened to float64."""
    values = np.ascontiguousarray(values)
    if values.dtype == np.float16:
        return _read_only(values.view(np.uint16)), FLOAT16
    if is_bfloat16(values.dtype):  # its bits as a reader keeps them, or ml_dtypes' dtype (numpy has none)
        return _read_only(values.view(np.uint16)), BFLOAT16
    if values.dtype in (np.float32, np.float64):
        return _read_only(values), AS_IS
    return _read_only(values.astype(np.float64)), AS_IS


def _read_only(values: np.ndarray) -> np.ndarray:
    """A read-only view of ``values``: numba compiles a kernel once per array type, and a writable
    array is another type than a read-only one (a block of a .npy file is read-only, one parsed from
    text is not); every operand the same way, one compile per dtype."""
    view = values.view()
    view.flags.writeable = False
    return view


@jit
def _add(total, low, value):
    """``total + low + value`` kept as (a rounded total, the sum of the rounding errors): Knuth's
    two_sum on each addition, its error carried in ``low``."""
    new = total + value
    v = new - total
    return new, low + ((total - (new - v)) + (value - v))


@jit
def _result(total, low):
    """A compensated sum's value: ``total + low``, or ``total`` itself where it is not finite (an
    infinite term leaves nan in ``low``)."""
    return total + low if math.isfinite(total) else total


@jit
def _two_sum_error(a, b, s):
    """The error of ``s = fl(a + b)`` (0 where ``s`` is not finite), as accurate.two_sum."""
    if not math.isfinite(s):
        return 0.0
    v = s - a
    return (a - (s - v)) + (b - v)


@jit
def _phi_series(x):
    """φ(e^x)/x² for |x| ≤ 1, with the terms |x| needs for a relative 2^-57."""
    size = abs(x)
    count = 5 if size <= 2.0 ** -10 else 8 if size <= 2.0 ** -6 else 11 if size <= 2.0 ** -3 else 20
    total = _PHI[count - 1]
    for j in range(count - 2, -1, -1):
        total = total * x + _PHI[j]
    return total


@jit
def _phi_term(p, q, x):
    """q·φ(p/q), never negative (accurate.phi_terms); x = log(p/q)."""
    if x == math.inf:
        return math.inf
    if p == 0.0:
        return q
    if abs(x) <= 1.0:
        return q * (x * x * _phi_series(x))
    return p * x - (p - q)


@jit
def _prob_row(x):
    """One probability row (accurate.prob_rows): returns (the power of two it is divided by, its
    scaled sum as high + low, log of that sum). Every sum is compensated."""
    total, low = 0.0, 0.0
    for i in range(x.shape[0]):
        total, low = _add(total, low, np.float64(x[i]))
    exponent = math.frexp(_result(total, low) / 0.75)[1] - 1
    total, low = 0.0, 0.0
    for i in range(x.shape[0]):
        total, low = _add(total, low, math.ldexp(np.float64(x[i]), -exponent))
    high = total + low
    low = _two_sum_error(total, low, high)
    return exponent, high, low, math.log(high) + low / high


@jit
def _element(values, i, logits, e, top, normaliser, log_total, exponent, high, low):
    """Element i of an operand's row: (p, log p, head, tail, null) as accurate.Rows holds them."""
    value = np.float64(values[i])
    if logits:
        head = value - top
        tail = _two_sum_error(value, -top, head)
        return e[i] / normaliser, (head - log_total) + tail, head, tail, value == -math.inf
    head = math.ldexp(value, -exponent)
    if head < _TINY and value > 0.0:  # out of the normal range by the scaling: the log from before it
        log_p = (math.log(value) - exponent * _LOG2) - log_total
    else:
        log_p = math.log(head) - log_total
    return head / (high + low), log_p, head, 0.0, value == 0.0


@jit
def _operand_row(values, logits, e):
    """The per-row numbers of one operand's float64 row that :func:`_element` needs."""
    if logits:
        top, normaliser, log_total = softmax_row(values, e)
        return top, normaliser, log_total, 0, 0.0, 0.0
    exponent, high, low, log_total = _prob_row(values)
    return 0.0, 0.0, log_total, exponent, high, low


@jit
def _log_ratio(p, lp, hp, tp, null_p, q, lq, hq, tq, null_q, both, p_logits, p_total, q_total,
               lt_difference):
    """x = log(p/q) of one element (accurate.log_ratio)."""
    if null_q and not null_p:
        return math.inf
    if null_p or p == 0.0:
        return -math.inf
    if both and p_logits:
        return ((hp - hq) - lt_difference) + (tp - tq)
    if both:
        scaled, error = two_product(hp, q_total / p_total)
        t = ((scaled - hq) + error) / hq
        x = math.log1p(t) if abs(t) < 0.5 else math.log(scaled / hq)
        if not math.isfinite(x) and hp > 0.0 and hq > 0.0:
            x = lp - lq
        return x
    return lp - lq


@jit
def _cross_term(p, log_q, null_p, null_q, w):
    """−w·p·log q (accurate.cross_entropy_terms): 0 where p = 0 or w = 0, +inf where q = 0 < w·p."""
    if null_p or not w > 0.0:
        return 0.0
    if null_q:
        return math.inf
    wp = p * w
    return wp * -log_q + 0.0 if wp > 0.0 else 0.0


@jit
def _element_rows(pv, qv, p_logits, q_logits, p_row, q_row, e_p, e_q, weight, want, terms, row):
    """D(P‖Q), H(P), H(P,Q) of one row pair of any kinds, element by element (and the terms)."""
    top_p, norm_p, lt_p, exp_p, high_p, low_p = p_row
    top_q, norm_q, lt_q, exp_q, high_q, low_q = q_row
    both, difference = p_logits == q_logits, lt_p - lt_q
    k, k_low, h, h_low, c, c_low = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    for i in range(pv.shape[0]):
        p, lp, hp, tp, null_p = _element(pv, i, p_logits, e_p, top_p, norm_p, lt_p, exp_p, high_p, low_p)
        q, lq, hq, tq, null_q = _element(qv, i, q_logits, e_q, top_q, norm_q, lt_q, exp_q, high_q, low_q)
        x = _log_ratio(p, lp, hp, tp, null_p, q, lq, hq, tq, null_q, both, p_logits, high_p, high_q, difference)
        k, k_low = _add(k, k_low, _phi_term(p, q, x))
        h, h_low = _add(h, h_low, _cross_term(p, lp, null_p, null_p, 1.0))
        c, c_low = _add(c, c_low, _cross_term(p, lq, null_p, null_q, 1.0))
        if want == KL_TERMS:
            terms[row, i] = p * x if p > 0.0 else 0.0
        elif want == CE_TERMS:
            terms[row, i] = _cross_term(p, lq, null_p, null_q, weight[i])
    return _result(k, k_low), _result(h, h_low), _result(c, c_low)


@jit
def _logit_rows(pv, p_encoding, qv, q_encoding, want, terms, row, buffers):
    """D(P‖Q), H(P), H(P,Q) of two logit rows as stored, in three passes over each (its maximum, its
    normaliser, the pair's terms: fused_rows.pair_terms), a chunk at a time through ``buffers``, each
    chunk's sums added compensated; and p·log(p/q) with ``want``."""
    top_p, top_q = row_top(pv, p_encoding), row_top(qv, q_encoding)
    p_row = (top_p, *normaliser(pv, p_encoding, top_p))
    q_row = (top_q, *normaliser(qv, q_encoding, top_q))
    return logit_row_sums(pv, p_encoding, qv, q_encoding, p_row, q_row, want, terms, row, buffers)


@jit
def logit_row_sums(pv, p_encoding, qv, q_encoding, p_row, q_row, want, terms, row, buffers):
    """:func:`_logit_rows`' last pass: ``p_row``, ``q_row`` the rows' (maximum, 1 + others,
    log1p(others)) of fused_rows.normaliser, which a caller that wants them too (divcli lm's log
    p(label): fused_lm) computes itself."""
    classes = pv.shape[0]
    k, k_low, h, h_low, c, c_low = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    for start in range(0, classes, CHUNK):
        stop = min(start + CHUNK, classes)
        pair_terms(pv, p_encoding, qv, q_encoding, start, stop, p_row, q_row, buffers)
        k, k_low = two_add(k, k_low, phi_total(buffers, stop - start))
        h, h_low = two_add(h, h_low, chunk_sum(buffers[3], stop - start))
        c, c_low = two_add(c, c_low, chunk_sum(buffers[4], stop - start))
        if want == KL_TERMS:
            kl_terms(buffers, stop - start, terms[row, start:stop])
    return compensated(k, k_low), compensated(h, h_low), compensated(c, c_low)


def divergence_rows(p_values, p_encoding, p_rows, p_logits, q_values, q_encoding, q_rows, q_logits, weight, want,
                    out_rows, kl, entropy, cross, terms):
    """D(P‖Q), H(P) and H(P,Q) (unweighted) of the row pairs ``p_values[p_rows[r]]``,
    ``q_values[q_rows[r]]`` into ``kl``, ``entropy``, ``cross`` at ``out_rows[r]``, in nats; with
    ``want`` KL_TERMS or CE_TERMS, the element terms (ce's weighted by ``weight``) into
    ``terms[out_rows[r]]``. ``p_encoding``/``q_encoding``: what the arrays hold (fused_values.AS_IS,
    FLOAT16, BFLOAT16); ``p_logits``/``q_logits``: the rows are logits (or log-probabilities), else
    probabilities (or counts). Each case is a kernel of its own, compiled the first time it is
    needed: the common one, two logit rows, costs no compiling of the others."""
    if p_logits and q_logits and want != CE_TERMS and p_values.shape[1] <= NARROW_CLASSES:
        narrow_pairs(p_values, p_encoding, p_rows, q_values, q_encoding, q_rows, want == KL_TERMS, out_rows, kl,
                     entropy, cross, terms)
    elif p_logits and q_logits and want != CE_TERMS:
        _logit_pairs(p_values, p_encoding, p_rows, q_values, q_encoding, q_rows, want, out_rows, kl, entropy, cross,
                     terms)
    else:
        _element_pairs(p_values, p_encoding, p_rows, p_logits, q_values, q_encoding, q_rows, q_logits, weight, want,
                       out_rows, kl, entropy, cross, terms)


@jit
def _logit_pairs(p_values, p_encoding, p_rows, q_values, q_encoding, q_rows, want, out_rows, kl, entropy, cross, terms):
    """:func:`divergence_rows` of two logit operands, row by row through :func:`_logit_rows`."""
    buffers = np.empty((BUFFERS, CHUNK))
    for r in range(p_rows.shape[0]):
        row = out_rows[r]
        pv, qv = p_values[p_rows[r]], q_values[q_rows[r]]
        kl[row], entropy[row], cross[row] = _logit_rows(pv, p_encoding, qv, q_encoding, want, terms, row, buffers)


@jit
def _element_pairs(p_values, p_encoding, p_rows, p_logits, q_values, q_encoding, q_rows, q_logits, weight, want,
                   out_rows, kl, entropy, cross, terms):
    """:func:`divergence_rows` of any other operands, element by element (:func:`_element_rows`), each
    row widened to float64 first."""
    classes = p_values.shape[1]
    e_p, e_q, wide_p, wide_q = np.empty(classes), np.empty(classes), np.empty(classes), np.empty(classes)
    for r in range(p_rows.shape[0]):
        pv, qv = widened(p_values[p_rows[r]], p_encoding, wide_p), widened(q_values[q_rows[r]], q_encoding, wide_q)
        row = out_rows[r]
        p_row, q_row = _operand_row(pv, p_logits, e_p), _operand_row(qv, q_logits, e_q)
        kl[row], entropy[row], cross[row] = _element_rows(pv, qv, p_logits, q_logits, p_row, q_row, e_p, e_q,
                                                          weight, want, terms, row)

