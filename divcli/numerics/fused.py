"""The accurate kernels of :mod:`divcli.numerics.accurate`, fused with numba: per row, a pass over
each operand's row for its normaliser, then one pass over both rows for D(P‖Q), H(P), H(P,Q) and
(when asked for) the element terms, without a temporary of the block's size.

The arithmetic is accurate.py's, element for element: softmax rows kept as a head and a tail
(``two_sum``), the normaliser 1 + (the others) as log1p of the others, probability rows scaled by a
power of two, exact log-ratios (``two_product`` for probabilities), φ(e^x) from its series where
|x| ≤ 1, the same zero conventions. What differs stays within the same bounds: every row sum is
compensated (Knuth's two_sum carries each addition's error: a few ε for any C, where numpy's pairwise
sum has O(ε·log C)); the element loop of two logit rows, the common case, is SIMD code of its own
(:mod:`divcli.numerics.fused_rows`: its own exp, fused multiply-adds); elsewhere the series of φ takes
as many terms as |x| needs for 2^-57. A row's numbers depend on that row alone, in an order set by C:
not on the block, the thread or the rows beside it.

This module imports numba: :mod:`divcli.numerics.fast_path` imports it only where numba is
installed and the rows are wide enough to pay for it. The compiled kernels are kept in numba's cache
(``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``); where no cache folder can be written,
they are compiled in memory, for this process.
"""

from __future__ import annotations

import math

import numpy as np

from .fused_rows import CHUNK, accumulate, jit, lanes_total, logit_pair, softmax_row

_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's constant for float64
_SPLIT_LIMIT = 2.0 ** 995
_TINY = float(np.finfo(np.float64).tiny)
_LOG2 = math.log(2.0)
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI)
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])

#: What the kernels write into ``terms``: nothing, p·log(p/q) (kl), −w·p·log q (ce), −p·log p (entropy).
NO_TERMS, KL_TERMS, CE_TERMS, ENTROPY_TERMS = 0, 1, 2, 3


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
def _two_product(a, b):
    """``p + e == a·b`` exactly (Dekker), as accurate.two_product."""
    p = a * b
    if not (abs(a) < _SPLIT_LIMIT and abs(b) < _SPLIT_LIMIT and math.isfinite(p)):
        return p, 0.0
    c = _SPLITTER * a
    a_high = c - (c - a)
    a_low = a - a_high
    c = _SPLITTER * b
    b_high = c - (c - b)
    b_low = b - b_high
    return p, ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low


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
    """The per-row numbers of one operand's row that :func:`_element` needs."""
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
        scaled, error = _two_product(hp, q_total / p_total)
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
def _logit_rows(pv, qv, p_row, q_row, e_p, e_q, want, terms, row, chunks):
    """D(P‖Q), H(P), H(P,Q) of two logit rows, a chunk at a time through the SIMD loop of
    fused_rows.logit_pair (``chunks``: its four buffers of CHUNK), and p·log(p/q) with ``want``."""
    lanes = np.zeros((3, 8))
    for start in range(0, pv.shape[0], CHUNK):
        stop = min(start + CHUNK, pv.shape[0])
        logit_pair(pv, qv, start, stop, p_row[:3], q_row[:3], e_p, e_q, chunks[0], chunks[1], chunks[2], chunks[3])
        for which in range(3):
            accumulate(chunks[which], stop - start, lanes[which])
        if want == KL_TERMS:
            terms[row, start:stop] = chunks[3, :stop - start]
    return lanes_total(lanes[0]), lanes_total(lanes[1]), lanes_total(lanes[2])


@jit
def divergence_rows(p_values, p_rows, p_logits, q_values, q_rows, q_logits, weight, want, out_rows,
                    kl, entropy, cross, terms):
    """D(P‖Q), H(P) and H(P,Q) (unweighted) of the row pairs ``p_values[p_rows[r]]``,
    ``q_values[q_rows[r]]`` into ``kl``, ``entropy``, ``cross`` at ``out_rows[r]``, in nats; with
    ``want`` KL_TERMS or CE_TERMS, the element terms (ce's weighted by ``weight``) into
    ``terms[out_rows[r]]``. ``p_logits``/``q_logits``: the rows are logits (or log-probabilities),
    else probabilities (or counts)."""
    classes = p_values.shape[1]
    e_p, e_q = np.empty(classes), np.empty(classes)
    chunks = np.empty((4, CHUNK))
    for r in range(p_rows.shape[0]):
        pv, qv, row = p_values[p_rows[r]], q_values[q_rows[r]], out_rows[r]
        p_row, q_row = _operand_row(pv, p_logits, e_p), _operand_row(qv, q_logits, e_q)
        if p_logits and q_logits and want != CE_TERMS:
            kl[row], entropy[row], cross[row] = _logit_rows(pv, qv, p_row, q_row, e_p, e_q, want, terms, row, chunks)
        else:
            kl[row], entropy[row], cross[row] = _element_rows(pv, qv, p_logits, q_logits, p_row, q_row, e_p, e_q,
                                                              weight, want, terms, row)
