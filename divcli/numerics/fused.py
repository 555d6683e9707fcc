"""The accurate kernels of :mod:`divcli.numerics.accurate`, fused with numba: per row, a pass over
each operand's row for its normaliser, then one pass over both rows for D(P‖Q), H(P), H(P,Q) and
(when asked for) the element terms, without a temporary of the block's size.

The arithmetic is accurate.py's, element for element: softmax rows kept as a head and a tail
(``two_sum``), the normaliser 1 + (the others) as log1p of the others, probability rows scaled by a
power of two, exact log-ratios (``two_product`` for probabilities), φ(e^x) from its series where
|x| ≤ 1, the same zero conventions. Two things differ, both within the same bounds: every row sum is
compensated (Knuth's two_sum carries each addition's error: a few ε for any C, where numpy's pairwise
sum has O(ε·log C)), and the series of φ takes as many terms as |x| needs for 2^-57 (numpy's takes
20 everywhere). A row's numbers depend on that row alone, in an order set by C: not on the block,
the thread or the rows beside it.

This module imports numba: :mod:`divcli.numerics.fast_path` imports it only where numba is
installed and the rows are wide enough to pay for it. ``cache=True`` keeps the compiled kernels in
numba's cache (``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``); where that cannot be
written, numba compiles them in memory, for this process.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's constant for float64
_SPLIT_LIMIT = 2.0 ** 995
_TINY = float(np.finfo(np.float64).tiny)
_LOG2 = math.log(2.0)
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI)
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])

#: What the kernels write into ``terms``: nothing, p·log(p/q) (kl), −w·p·log q (ce), −p·log p (entropy).
NO_TERMS, KL_TERMS, CE_TERMS, ENTROPY_TERMS = 0, 1, 2, 3



def _jit(function):
    """``function`` compiled by numba: without the GIL (the engine's threads compute blocks at once),
    numpy's float semantics (x/0 is inf, no exception), kept in numba's cache where it finds a folder
    it can write, else compiled in memory for this process, silently."""
    options = {"nogil": True, "error_model": "numpy"}
    try:
        return njit(cache=True, **options)(function)
    except RuntimeError:  # "cannot cache function …: no locator available": no writable cache folder
        return njit(**options)(function)



@_jit
def _add(total, low, value):
    """``total + low + value`` kept as (a rounded total, the sum of the rounding errors): Knuth's
    two_sum on each addition, its error carried in ``low``."""
    new = total + value
    v = new - total
    return new, low + ((total - (new - v)) + (value - v))


@_jit
def _result(total, low):
    """A compensated sum's value: ``total + low``, or ``total`` itself where it is not finite (an
    infinite term leaves nan in ``low``)."""
    return total + low if math.isfinite(total) else total


@_jit
def _two_sum_error(a, b, s):
    """The error of ``s = fl(a + b)`` (0 where ``s`` is not finite), as accurate.two_sum."""
    if not math.isfinite(s):
        return 0.0
    v = s - a
    return (a - (s - v)) + (b - v)


@_jit
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


@_jit
def _phi_series(x):
    """φ(e^x)/x² for |x| ≤ 1, with the terms |x| needs for a relative 2^-57."""
    size = abs(x)
    count = 5 if size <= 2.0 ** -10 else 8 if size <= 2.0 ** -6 else 11 if size <= 2.0 ** -3 else 20
    total = _PHI[count - 1]
    for j in range(count - 2, -1, -1):
        total = total * x + _PHI[j]
    return total


@_jit
def _phi_term(p, q, x):
    """q·φ(p/q), never negative (accurate.phi_terms); x = log(p/q)."""
    if x == math.inf:
        return math.inf
    if p == 0.0:
        return q
    if abs(x) <= 1.0:
        return q * (x * x * _phi_series(x))
    return p * x - (p - q)


@_jit
def _logit_row(z, e):
    """One logit row's softmax (accurate.logit_rows): e = exp(head)·(1 + tail) into ``e``; returns
    (the maximum, the normaliser's others 1 + others = Σe, log1p(others))."""
    top = -math.inf
    first = 0
    for i in range(z.shape[0]):
        if z[i] > top:
            top, first = z[i], i
    total, low = 0.0, 0.0
    for i in range(z.shape[0]):
        value = np.float64(z[i])
        head = value - top
        e[i] = math.exp(head) * (1.0 + _two_sum_error(value, -top, head))
        if i != first:
            total, low = _add(total, low, e[i])
    others = _result(total, low)
    return top, others, math.log1p(others)


@_jit
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


@_jit
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


@_jit
def _operand_row(values, logits, e):
    """The per-row numbers of one operand's row that :func:`_element` needs."""
    if logits:
        top, others, log_total = _logit_row(values, e)
        return top, 1.0 + others, log_total, 0, 0.0, 0.0
    exponent, high, low, log_total = _prob_row(values)
    return 0.0, 0.0, log_total, exponent, high, low


@_jit
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


@_jit
def _cross_term(p, log_q, null_p, null_q, w):
    """−w·p·log q (accurate.cross_entropy_terms): 0 where p = 0 or w = 0, +inf where q = 0 < w·p."""
    if null_p or not w > 0.0:
        return 0.0
    if null_q:
        return math.inf
    wp = p * w
    return wp * -log_q + 0.0 if wp > 0.0 else 0.0


@_jit
def divergence_rows(p_values, p_rows, p_logits, q_values, q_rows, q_logits, weight, want, out_rows,
                    kl, entropy, cross, terms):
    """D(P‖Q), H(P) and H(P,Q) (unweighted) of the row pairs ``p_values[p_rows[r]]``,
    ``q_values[q_rows[r]]`` into ``kl``, ``entropy``, ``cross`` at ``out_rows[r]``, in nats; with
    ``want`` KL_TERMS or CE_TERMS, the element terms (ce's weighted by ``weight``) into
    ``terms[out_rows[r]]``. ``p_logits``/``q_logits``: the rows are logits (or log-probabilities),
    else probabilities (or counts)."""
    classes = p_values.shape[1]
    e_p, e_q = np.empty(classes), np.empty(classes)
    both = p_logits == q_logits
    for r in range(p_rows.shape[0]):
        pv, qv, row = p_values[p_rows[r]], q_values[q_rows[r]], out_rows[r]
        top_p, norm_p, lt_p, exp_p, high_p, low_p = _operand_row(pv, p_logits, e_p)
        top_q, norm_q, lt_q, exp_q, high_q, low_q = _operand_row(qv, q_logits, e_q)
        difference = lt_p - lt_q
        k, k_low, h, h_low, c, c_low = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        for i in range(classes):
            p, lp, hp, tp, null_p = _element(pv, i, p_logits, e_p, top_p, norm_p, lt_p, exp_p, high_p, low_p)
            q, lq, hq, tq, null_q = _element(qv, i, q_logits, e_q, top_q, norm_q, lt_q, exp_q, high_q, low_q)
            x = _log_ratio(p, lp, hp, tp, null_p, q, lq, hq, tq, null_q, both, p_logits, high_p, high_q,
                           difference)
            k, k_low = _add(k, k_low, _phi_term(p, q, x))
            h, h_low = _add(h, h_low, _cross_term(p, lp, null_p, null_p, 1.0))
            c, c_low = _add(c, c_low, _cross_term(p, lq, null_p, null_q, 1.0))
            if want == KL_TERMS:
                terms[row, i] = p * x if p > 0.0 else 0.0
            elif want == CE_TERMS:
                terms[row, i] = _cross_term(p, lq, null_p, null_q, weight[i])
        kl[row], entropy[row], cross[row] = _result(k, k_low), _result(h, h_low), _result(c, c_low)


@_jit
def entropy_rows(p_values, p_rows, p_logits, want, out_rows, entropy, terms):
    """H(P) of the rows ``p_values[p_rows[r]]`` into ``entropy[out_rows[r]]``, in nats; with ``want``
    ENTROPY_TERMS, the element terms −p·log p into ``terms[out_rows[r]]``."""
    classes = p_values.shape[1]
    e_p = np.empty(classes)
    for r in range(p_rows.shape[0]):
        pv, row = p_values[p_rows[r]], out_rows[r]
        top, norm, lt, exponent, high, low = _operand_row(pv, p_logits, e_p)
        h, h_low = 0.0, 0.0
        for i in range(classes):
            p, lp, _, _, null = _element(pv, i, p_logits, e_p, top, norm, lt, exponent, high, low)
            term = _cross_term(p, lp, null, null, 1.0)
            h, h_low = _add(h, h_low, term)
            if want == ENTROPY_TERMS:
                terms[row, i] = term
        entropy[row] = _result(h, h_low)
