"""The fused kernel's pass for the measures of ``compare`` and ``js`` beyond KL and the entropies
(:mod:`divcli.numerics.fused` computes those): per row pair, in one pass over both rows after their
maxima and normalisers, the JS divergence, the total variation, the Bhattacharyya coefficient, the
squared Hellinger distance, χ² both ways, and log Σ p^α·q^(1−α) for each order α asked for (the
Rényi divergences, and at α = ½ the Bhattacharyya distance), with no temporary of the block's size.

Every element's terms come from x = log(p/q), exact to a few ulps, as the other fused kernels make
it (fused_rows' head and tail for two logit rows, fused_probs' elements otherwise; the rows read as
stored, float16 and bfloat16 decoded in the loops), every case of the zero conventions a select, so
that the loops are SIMD code:

- JS: Σ ½(p + q)·F(x/2) with F(y) = y·tanh y − log cosh y, which is ½·G(d) of accurate.js_rows at
  d = tanh(x/2) (G(d) = (1 + d)·log(1 + d) + (1 − d)·log(1 − d) = 2·F(y)): never negative, from its
  series in y² where |x| ≤ 1 (no cancellation for near rows), and elsewhere from u = e^−|x| as
  log 2 − log1p(u) − |x|·u/(1 + u) (a cancellation of a factor 6.3 at most, as φ's in KL);
- TV: ½ Σ |p − q| with |p − q| = q·|e^x − 1| where |x| ≤ 1 (accurate.total_variation_rows);
- Hellinger²: ½ Σ (√p − √q)² with (√p − √q)² = q·(e^(x/2) − 1)² where |x| ≤ 2; e^(x/2) − 1 from its
  series, and e^x − 1 = h·(h + 2) from it;
- χ²: Σ (p − q)²/q as q·(e^x − 1)² where |x| ≤ 1, q·(1 − e^x)² below, (p − q)·((p − q)/q) above, and
  from the logs where p or q underflowed to 0 (measures.kernels' convention); the other way with −x;
- Rényi: log Σ e^(α·log p + (1 − α)·log q) over the classes with p > 0 (or underflowed), a chunk's
  terms shifted by the chunk's largest exponent, the chunks' sums rescaled to the largest so far;
  BC is Σ √p·√q as numpy's.

The sums of the terms are fused_rows' (a chunk summed plainly, the chunks' sums compensated), in an
order set by C alone: a row's numbers do not depend on the block, the thread or the rows beside it.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .fused_log import log1p_of
from .fused_probs import element_row, logit_element, prob_element, prob_ratio
from .fused_rows import CHUNK, chunk_sum, compensated, exp_nonpositive, head_tail, two_add
from .fused_values import decoded, inlined, jit

#: The columns of a row of :func:`mixture_rows`' output; log Σ p^α·q^(1−α) of the orders from RENYI on.
JS, TV, BC, HELLINGER2, CHI2_PEARSON, CHI2_NEYMAN, RENYI = range(7)
_LN2 = math.log(2.0)
_LARGEST_EXP = 709.782712893384  # log of the largest float64
#: The buffers of a chunk: x, p, q, log p, log q; then the terms of JS … χ² Neyman (RENYI of them).
_X, _P, _Q, _LP, _LQ, _TERMS = 0, 1, 2, 3, 4, 5
_BUFFERS = _TERMS + RENYI
#: e^y − 1 = y·Σ_j y^j/(j + 1)!, 20 terms: 2^-60 relative at |y| ≤ 1
_EXPM1 = np.array([1.0 / math.factorial(j + 1) for j in range(20)])


def _half_js_series(terms: int = 20) -> np.ndarray:
    """F(y) = y·tanh y − log cosh y = Σ_n a_n·y^(2n) (n ≥ 1), the a_n: F′(y) = y·sech² y = y·tanh′(y),
    and tanh's series has the Bernoulli numbers, so a_n = 2^(2n)·(2^(2n) − 1)·B_2n·(2n − 1)/((2n)!·2n).
    20 terms: the first left out is 2^-65 of F at |y| ≤ ½ (the series converges for |y| < π/2)."""
    bernoulli = [Fraction(1)]
    for m in range(1, 2 * terms + 1):
        bernoulli.append(-sum(math.comb(m + 1, k) * bernoulli[k] for k in range(m)) / (m + 1))
    return np.array([float(Fraction(4 ** n * (4 ** n - 1)) * bernoulli[2 * n] * (2 * n - 1)
                           / (math.factorial(2 * n) * 2 * n)) for n in range(1, terms + 1)])


_F = _half_js_series()


# ---------------------------------------------------------------- one element's terms


@inlined
def _expm1_half(x):
    """e^(x/2) − 1 from its series: within a few ulps where |x| ≤ 2 (elsewhere not used)."""
    y = 0.5 * x
    series = _EXPM1[19]
    for j in range(18, -1, -1):
        series = series * y + _EXPM1[j]
    return y * series


@inlined
def _exp(y):
    """e^y for any y (+inf above the largest float64's log), from :func:`exp_nonpositive` (1/e^−y above
    0: a rounding more)."""
    e = exp_nonpositive(-abs(y))
    return e if y <= 0.0 else 1.0 / e if y <= _LARGEST_EXP else math.inf


@inlined
def _js_term(x, p, q, u):
    """½(p + q)·F(x/2), never negative; u = e^−|x|."""
    s = 0.25 * x * x
    series = _F[19]
    for k in range(18, -1, -1):
        series = series * s + _F[k]
    slope = abs(x) * u / (1.0 + u) if u > 0.0 else 0.0  # x = ±inf: u = 0
    far = (_LN2 - log1p_of(u)) - slope
    return 0.5 * (p + q) * (s * series if abs(x) <= 1.0 else far)


@inlined
def _chi2_term(o, e, x, lo, le, em1, u, r):
    """(o − e)²/e, x = log(o/e) (with the zero conventions), em1 = e^x − 1 (where |x| ≤ 1), u = e^−|x|,
    r = e^−|log o − log e|: 0 where both are 0 exactly, +inf where only e is; where o or e underflowed
    to 0 (their logs finite), e·(o/e − 1)² from the logs, as exp(2·log o − log e)·(1 − e/o)² where
    o > e, else exp(log e)·(1 − o/e)²."""
    gap = o - e
    term = e * em1 * em1 if abs(x) <= 1.0 else e * (1.0 - u) * (1.0 - u) if x < 0.0 else gap * (gap / e)
    from_logs = _exp(2.0 * lo - le if lo > le else le) * (1.0 - r) * (1.0 - r)
    term = from_logs if o == 0.0 or e == 0.0 else term
    term = math.inf if le == -math.inf else term
    return e if lo == -math.inf else term  # o = 0 exactly: e (0 where e is 0 too)


@jit(fma=True)
def _terms(out, count):
    """Each element's JS, TV, BC, Hellinger² and χ² terms of a chunk (its x, p, q, log p, log q in
    ``out``) into ``out[_TERMS …]``: one loop for every kind of row (SIMD code), compiled once."""
    for j in range(count):
        _element_terms(out[_X, j], out[_P, j], out[_Q, j], out[_LP, j], out[_LQ, j], out, j)


@inlined
def _element_terms(x, p, q, lp, lq, out, j):
    """One element's terms into ``out[_TERMS …, j]``."""
    u = exp_nonpositive(-abs(x))
    h = _expm1_half(x)
    em1 = h * (h + 2.0)  # e^x − 1, where |x| ≤ 1
    root_p, root_q = math.sqrt(p), math.sqrt(q)
    out[_TERMS + JS, j] = _js_term(x, p, q, u)
    out[_TERMS + TV, j] = 0.5 * (q * abs(em1) if abs(x) <= 1.0 else abs(p - q))
    out[_TERMS + BC, j] = root_p * root_q
    gap = root_p - root_q
    out[_TERMS + HELLINGER2, j] = 0.5 * (q * h * h if abs(x) <= 2.0 else gap * gap)
    r = exp_nonpositive(-abs(lp - lq))
    out[_TERMS + CHI2_PEARSON, j] = _chi2_term(p, q, x, lp, lq, em1, u, r)
    out[_TERMS + CHI2_NEYMAN, j] = _chi2_term(q, p, -x, lq, lp, -em1 / (1.0 + em1), u, r)


# ---------------------------------------------------------------- the loops over a chunk


@jit(fma=True)
def _logit_pair(pv, p_encoding, qv, q_encoding, start, stop, p_row, q_row, out):
    """x, p, q, log p, log q of two logit rows at ``start:stop`` into ``out`` from index 0, as
    fused_rows.pair_terms makes them."""
    top_p, per_p, lt_p = p_row
    top_q, per_q, lt_q = q_row
    difference = lt_p - lt_q
    for i in range(start, stop):
        zp, zq = decoded(pv, i, p_encoding), decoded(qv, i, q_encoding)
        hp, tp = head_tail(zp, top_p)
        hq, tq = head_tail(zq, top_q)
        p = exp_nonpositive(hp) * (1.0 + tp) * per_p
        q = exp_nonpositive(hq) * (1.0 + tq) * per_q
        null_p, null_q = zp == -math.inf, zq == -math.inf
        x = ((hp - hq) - difference) + (tp - tq)
        x = math.inf if null_q and not null_p else -math.inf if null_p or p == 0.0 else x
        j = i - start
        lp, lq = (hp - lt_p) + tp, (hq - lt_q) + tq
        out[_X, j], out[_P, j], out[_Q, j], out[_LP, j], out[_LQ, j] = x, p, q, lp, lq


@jit(fma=True)
def _prob_pair(pv, p_encoding, qv, q_encoding, start, stop, p_row, q_row, out):
    """As :func:`_logit_pair` for two probability rows (fused_probs' elements and log-ratios);
    ``p_row``, ``q_row``: fused_probs.element_row's."""
    ratio = q_row[5] / p_row[5]
    pv, qv = pv[start:stop], qv[start:stop]
    for j in range(stop - start):
        p, lp, hp, null_p = prob_element(decoded(pv, j, p_encoding), p_row[:5])
        q, lq, hq, null_q = prob_element(decoded(qv, j, q_encoding), q_row[:5])
        x = prob_ratio(hp, hq, lp, lq, ratio)
        x = math.inf if null_q and not null_p else -math.inf if null_p or p == 0.0 else x
        out[_X, j], out[_P, j], out[_Q, j], out[_LP, j], out[_LQ, j] = x, p, q, lp, lq


@jit(fma=True)
def _mixed_pair(zv, z_encoding, xv, x_encoding, start, stop, z_row, x_row, p_logits, out):
    """As :func:`_logit_pair` for a logit row ``zv`` and a probability row ``xv``: P is ``zv`` where
    ``p_logits``, else ``xv``; log(p/q) = log p − log q."""
    zv, xv = zv[start:stop], xv[start:stop]
    for j in range(stop - start):
        a, la, null_a = logit_element(decoded(zv, j, z_encoding), z_row)
        b, lb, _, null_b = prob_element(decoded(xv, j, x_encoding), x_row[:5])
        p, lp, null_p = (a, la, null_a) if p_logits else (b, lb, null_b)
        q, lq, null_q = (b, lb, null_b) if p_logits else (a, la, null_a)
        x = math.inf if null_q and not null_p else -math.inf if null_p or p == 0.0 else lp - lq
        out[_X, j], out[_P, j], out[_Q, j], out[_LP, j], out[_LQ, j] = x, p, q, lp, lq


@jit
def _element_chunk(pv, p_encoding, qv, q_encoding, start, stop, p_logits, q_logits, p_rows, q_rows, out):
    """One chunk of a row pair not both logits into ``out``, by the loop for its kinds."""
    p_z, p_x = p_rows
    q_z, q_x = q_rows
    if p_logits:
        _mixed_pair(pv, p_encoding, qv, q_encoding, start, stop, p_z, q_x, True, out)
    elif q_logits:
        _mixed_pair(qv, q_encoding, pv, p_encoding, start, stop, q_z, p_x, False, out)
    else:
        _prob_pair(pv, p_encoding, qv, q_encoding, start, stop, p_x, q_x, out)


@jit
def _exponents_top(out, count, alpha, exponents):
    """α·log p + (1 − α)·log q of a chunk into ``exponents`` (−inf where p = 0 exactly), and the
    largest of them."""
    top = -math.inf
    for j in range(count):
        lp = out[_LP, j]
        e = -math.inf if lp == -math.inf else alpha * lp + (1.0 - alpha) * out[_LQ, j]
        exponents[j] = e
        top = e if e > top else top
    return top


@jit(reorder=True)
def _shifted_sum(exponents, count, top):
    """Σ e^(exponent − top) of a chunk (every term in [0, 1]: SIMD code)."""
    total = 0.0
    for j in range(count):
        total += exp_nonpositive(exponents[j] - top)
    return total


@jit
def _renyi_chunk(out, count, alpha, exponents, top, total):
    """The running (largest exponent, Σ e^(exponent − it)) of a row's Rényi sum of order α, with one
    more chunk: +inf once an exponent is (q = 0 < p at α > 1)."""
    chunk_top = _exponents_top(out, count, alpha, exponents)
    if chunk_top == -math.inf or top == math.inf:
        return top, total
    if chunk_top == math.inf:
        return math.inf, math.inf
    chunk = _shifted_sum(exponents, count, chunk_top)
    if chunk_top > top:
        return chunk_top, total * exp_nonpositive(top - chunk_top) + chunk
    return top, total + chunk * exp_nonpositive(chunk_top - top)


# ---------------------------------------------------------------- the rows


@jit
def _add_chunk(out, count, alphas, sums, tops):
    """A chunk's terms (x … log q in ``out``) added to a row's running sums: ``sums`` (the compensated
    sums of the columns before RENYI, as [sum, low]) and ``tops`` (each order's running Rényi sum)."""
    _terms(out, count)
    for k in range(RENYI):
        sums[0, k], sums[1, k] = two_add(sums[0, k], sums[1, k], chunk_sum(out[_TERMS + k], count))
    for a in range(alphas.shape[0]):
        tops[0, a], tops[1, a] = _renyi_chunk(out, count, alphas[a], out[_TERMS + RENYI], tops[0, a], tops[1, a])


@jit
def _finish(sums, tops, result):
    """A row's numbers (the columns of :func:`mixture_rows`) from its running sums, into ``result``."""
    for k in range(RENYI):
        result[k] = compensated(sums[0, k], sums[1, k])
    for a in range(tops.shape[1]):
        top, total = tops[0, a], tops[1, a]
        result[RENYI + a] = top + math.log(total) if math.isfinite(top) else top


@jit
def _start(sums, tops):
    sums[:] = 0.0
    tops[0] = -math.inf
    tops[1] = 0.0


@jit
def _logit_rows(p_values, p_encoding, p_rows, q_values, q_encoding, q_rows, alphas, out_rows, result):
    """:func:`mixture_rows` of two logit operands (the common case: a kernel of its own, so that it
    costs no compiling of the others)."""
    out = np.empty((_BUFFERS + 1, CHUNK))
    sums, tops = np.zeros((2, RENYI)), np.zeros((2, alphas.shape[0]))
    for r in range(p_rows.shape[0]):
        pv, qv = p_values[p_rows[r]], q_values[q_rows[r]]
        p_z, _ = element_row(pv, p_encoding, True, out[0])
        q_z, _ = element_row(qv, q_encoding, True, out[0])
        _start(sums, tops)
        for start in range(0, pv.shape[0], CHUNK):
            stop = min(start + CHUNK, pv.shape[0])
            _logit_pair(pv, p_encoding, qv, q_encoding, start, stop, p_z, q_z, out)
            _add_chunk(out, stop - start, alphas, sums, tops)
        _finish(sums, tops, result[out_rows[r]])


@jit
def _element_rows(p_values, p_encoding, p_rows, p_logits, q_values, q_encoding, q_rows, q_logits, alphas, out_rows,
                  result):
    """:func:`mixture_rows` of operands not both logits."""
    out = np.empty((_BUFFERS + 1, CHUNK))
    sums, tops = np.zeros((2, RENYI)), np.zeros((2, alphas.shape[0]))
    for r in range(p_rows.shape[0]):
        pv, qv = p_values[p_rows[r]], q_values[q_rows[r]]
        p_kinds = element_row(pv, p_encoding, p_logits, out[0])
        q_kinds = element_row(qv, q_encoding, q_logits, out[0])
        _start(sums, tops)
        for start in range(0, pv.shape[0], CHUNK):
            stop = min(start + CHUNK, pv.shape[0])
            _element_chunk(pv, p_encoding, qv, q_encoding, start, stop, p_logits, q_logits, p_kinds, q_kinds, out)
            _add_chunk(out, stop - start, alphas, sums, tops)
        _finish(sums, tops, result[out_rows[r]])


def mixture_rows(p_values, p_encoding, p_rows, p_logits, q_values, q_encoding, q_rows, q_logits, alphas, out_rows,
                 result):
    """The row pairs ``p_values[p_rows[r]]``, ``q_values[q_rows[r]]`` into ``result[out_rows[r]]``: JS (nats),
    TV, BC, ½ Σ (√p − √q)², χ² Pearson and Neyman, then log Σ p^α·q^(1−α) for each of ``alphas`` (the
    columns from RENYI on). The operands as fused.divergence_rows takes them, logits or probabilities."""
    if p_logits and q_logits:
        _logit_rows(p_values, p_encoding, p_rows, q_values, q_encoding, q_rows, alphas, out_rows, result)
    else:
        _element_rows(p_values, p_encoding, p_rows, p_logits, q_values, q_encoding, q_rows, q_logits, alphas, out_rows,
                      result)
