"""The fused kernel's rows where an operand is given as probabilities (or counts): D(P‖Q), H(P),
H(P,Q) and the element terms of two probability rows or of a probability row and a logit row, and
H(P) of one row of either kind, in SIMD loops (:mod:`divcli.numerics.fused` keeps two logit rows).

The arithmetic is accurate.py's (accurate.prob_rows, log_ratio, phi_terms, cross_entropy_terms),
element for element, every case a select: a probability row scaled by a power of two so that its
sum is in [0.75, 1.5) (exactly: by one multiplication where it scales down, by two where it scales
up, which never rounds), the log of an entry that this takes out of the normal range from before it,
log(p/q) of two probability rows from the exact product of p's head and the ratio of the sums
(``two_product``), φ(e^x) from its series where |x| ≤ 1. The logs are :mod:`divcli.numerics.fused_log`'s
(within 1 ulp, vectorised); the sums are fused_rows' (a chunk's summed plainly, the chunks' sums
compensated), in an order set by C alone. The rows are read as they were stored (float16, bfloat16
and float32 decoded in the loops: :mod:`divcli.numerics.fused_values`); a logit row's maximum and
normaliser are fused_rows' (:func:`~divcli.numerics.fused_rows.normaliser`), as for two logit rows.
"""

from __future__ import annotations

import math

import numpy as np

from .fused import CE_TERMS, ENTROPY_TERMS, KL_TERMS
from .fused_log import log_of, log_plus
from .fused_rows import CHUNK, chunk_sum, compensated, exp_nonpositive, head_tail, normaliser, two_add
from .fused_values import decoded, inlined, jit, row_top, two_product

_TINY = 2.2250738585072014e-308  # the smallest normal float64
_LOG2 = math.log(2.0)
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI), all 20 terms: a SIMD lane takes them all
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])


# ---------------------------------------------------------------- one operand's row


@jit
def _scaled_sum(x, encoding, scale_1, scale_2, chunk):
    """Σ x × scale_1 × scale_2 of a row ``x`` as stored, as (high, low) with high + low exact to a few ε
    (accurate.row_sums' pair): every addition compensated, the chunks' too. A plain sum would lose
    what a row sum of about 1 leaves below its last bit: log p of a p near 1 is made of it."""
    total, low = 0.0, 0.0
    for start in range(0, x.shape[0], CHUNK):
        stop = min(start + CHUNK, x.shape[0])
        _scaled(x[start:stop], encoding, scale_1, scale_2, chunk)
        chunk_total, chunk_low = _lanes_sum(chunk, stop - start)
        total, low = two_add(total, low + chunk_low, chunk_total)
    high = compensated(total, low)
    if not math.isfinite(high):
        return high, 0.0
    v = high - total
    return high, (total - (high - v)) + (low - v)


@jit
def _scaled(values, encoding, scale_1, scale_2, chunk):
    """``values`` × scale_1 × scale_2, decoded to float64, into ``chunk``: indices from 0 (no wrap-around
    of a negative index, no gather)."""
    for j in range(values.shape[0]):
        chunk[j] = decoded(values, j, encoding) * scale_1 * scale_2


@jit
def _lanes_sum(values, count):
    """Σ ``values[:count]`` as (total, the sum of the rounding errors): four compensated sums (Knuth's
    two_sum), element i in lane i mod 4 (independent chains: SIMD code), added compensated at the end."""
    s0, s1, s2, s3, c0, c1, c2, c3 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    whole = count // 4 * 4
    for i in range(0, whole, 4):
        s0, c0 = two_add(s0, c0, values[i])
        s1, c1 = two_add(s1, c1, values[i + 1])
        s2, c2 = two_add(s2, c2, values[i + 2])
        s3, c3 = two_add(s3, c3, values[i + 3])
    for i in range(whole, count):
        s0, c0 = two_add(s0, c0, values[i])
    total, low = two_add(s0, (c0 + c1) + (c2 + c3), s1)
    total, low = two_add(total, low, s2)
    return two_add(total, low, s3)


@jit
def prob_row(x, encoding, chunk):
    """One probability row (accurate.prob_rows): (the two powers of two it is multiplied by, exponent ×
    log 2, log of its scaled sum, that sum as high and low). The sums are compensated; a row whose sum
    is in [0.75, 1.5) already is summed once."""
    high, low = _scaled_sum(x, encoding, 1.0, 1.0, chunk)
    exponent = math.frexp(high / 0.75)[1] - 1
    if exponent >= 0:  # scaling down: one multiplication, rounded once (as ldexp)
        scale_1, scale_2 = 2.0 ** -exponent, 1.0
    else:  # scaling up: two factors, each exact
        scale_1, scale_2 = 2.0 ** (-exponent // 2), 2.0 ** (-exponent - (-exponent // 2))
    if exponent != 0:
        high, low = _scaled_sum(x, encoding, scale_1, scale_2, chunk)
    return scale_1, scale_2, exponent * _LOG2, math.log(high) + low / high, high, low


@jit
def logit_row(z, encoding):
    """One logit row's normaliser (accurate.logit_rows; fused_rows.normaliser, as for two logit rows):
    (the maximum, 1 + others = Σ e^(z − max), log1p(others))."""
    top = row_top(z, encoding)
    return (top, *normaliser(z, encoding, top))


# ---------------------------------------------------------------- one element


@inlined
def prob_element(v, row):
    """(p, log p, head, null) of a probability row's entry ``v``, decoded (accurate.prob_rows, p = head ×
    1/Σ: a rounding more than head/Σ); ``row``: what :func:`prob_row` gave, 1/(high + low) for the two."""
    scale_1, scale_2, shift, log_total, inverse = row
    value = np.float64(v)
    head = value * scale_1 * scale_2
    lost = head < _TINY and value > 0.0  # out of the normal range by the scaling: the log from before it
    log_p = (log_of(value if lost else head) - (shift if lost else 0.0)) - log_total
    return head * inverse, log_p, head, value == 0.0


@inlined
def logit_element(v, row):
    """(p, log p, null) of a logit row's entry ``v``, decoded (accurate.logit_rows; p = e × 1/Σe);
    ``row``: :func:`logit_row`'s, 1/Σe for Σe."""
    top, inverse, log_total = row
    z = np.float64(v)
    head, tail = head_tail(z, top)
    return exp_nonpositive(head) * (1.0 + tail) * inverse, (head - log_total) + tail, z == -math.inf


@inlined
def prob_ratio(hp, hq, lp, lq, ratio):
    """log(p/q) of two probability rows' heads (accurate.log_ratio): log1p of the exact relative gap
    where it is below ½, else log(p/q); log p − log q where that over- or underflows. One division
    (1/q's head) where accurate.py has two: a rounding more in t and p/q."""
    scaled, error = two_product(hp, ratio)
    inverse = 1.0 / hq
    t = ((scaled - hq) + error) * inverse
    near = abs(t) < 0.5
    u = 1.0 + t if near else scaled * inverse
    # log1p(t) = log u + (t − (u − 1))/u: the rounding of 1 + t, divided by u = 1 + t to first order
    # (its error, t²·(t − (u − 1)), is below 2^-55 of log1p(t))
    rounding = t - (u - 1.0)
    x = log_plus(u, rounding - rounding * t if near else 0.0)
    return lp - lq if not math.isfinite(x) and hp > 0.0 and hq > 0.0 else x


@inlined
def element_terms(p, lp, null_p, q, lq, null_q, x, w):
    """One element's q·φ(p/q), −p·log p, −p·log q, p·log(p/q) and −w·p·log q (accurate.py's
    phi_terms, cross_entropy_terms, kl_terms), every case a select; x = log(p/q) before its zero cases."""
    x = math.inf if null_q and not null_p else -math.inf if null_p or p == 0.0 else x
    series = _PHI[19]
    for j in range(18, -1, -1):
        series = series * x + _PHI[j]
    phi = q * (x * x * series) if abs(x) <= 1.0 else p * x - (p - q)
    phi = math.inf if x == math.inf else q if p == 0.0 else phi
    entropy = p * -lp + 0.0 if p > 0.0 and not null_p else 0.0
    cross = p * -lq + 0.0 if p > 0.0 else 0.0
    cross = 0.0 if null_p else math.inf if null_q else cross
    wp = p * w
    weighted = wp * -lq + 0.0 if wp > 0.0 else 0.0
    weighted = 0.0 if null_p or not w > 0.0 else math.inf if null_q else weighted
    return phi, entropy, cross, p * x if p > 0.0 else 0.0, weighted


# ---------------------------------------------------------------- the loops over a chunk


@jit(fma=True)
def _prob_pair(pv, p_encoding, qv, q_encoding, start, stop, p_row, q_row, weight, out):
    """The element terms of two probability rows at ``start:stop`` into ``out`` (five rows of
    :func:`element_terms`, from index 0); ``p_row``, ``q_row``: :func:`element_row`'s."""
    ratio = q_row[5] / p_row[5]  # the sums' ratio: its rounding is a constant factor, harmless
    pv, qv, weight = pv[start:stop], qv[start:stop], weight[start:stop]  # indices from 0: no gather
    for j in range(stop - start):
        p, lp, hp, null_p = prob_element(decoded(pv, j, p_encoding), p_row[:5])
        q, lq, hq, null_q = prob_element(decoded(qv, j, q_encoding), q_row[:5])
        x = prob_ratio(hp, hq, lp, lq, ratio)
        out[0, j], out[1, j], out[2, j], out[3, j], out[4, j] = element_terms(p, lp, null_p, q, lq, null_q, x,
                                                                              weight[j])


@jit(fma=True)
def _mixed_pair(zv, z_encoding, xv, x_encoding, start, stop, z_row, x_row, p_logits, weight, out):
    """As :func:`_prob_pair` for a logit row ``zv`` and a probability row ``xv``: P is ``zv`` where
    ``p_logits``, else ``xv``; log(p/q) = log p − log q."""
    zv, xv, weight = zv[start:stop], xv[start:stop], weight[start:stop]
    for j in range(stop - start):
        a, la, null_a = logit_element(decoded(zv, j, z_encoding), z_row)
        b, lb, _, null_b = prob_element(decoded(xv, j, x_encoding), x_row[:5])
        p, lp, null_p = (a, la, null_a) if p_logits else (b, lb, null_b)
        q, lq, null_q = (b, lb, null_b) if p_logits else (a, la, null_a)
        out[0, j], out[1, j], out[2, j], out[3, j], out[4, j] = element_terms(p, lp, null_p, q, lq, null_q, lp - lq,
                                                                              weight[j])


@jit(fma=True)
def _entropy_chunk(values, encoding, start, stop, logits, z_row, x_row, out):
    """−p·log p of one row's elements at ``start:stop`` into ``out[0]``, from index 0."""
    values = values[start:stop]
    if logits:
        for j in range(stop - start):
            p, lp, null = logit_element(decoded(values, j, encoding), z_row)
            out[0, j] = p * -lp + 0.0 if p > 0.0 and not null else 0.0
    else:
        for j in range(stop - start):
            p, lp, _, null = prob_element(decoded(values, j, encoding), x_row[:5])
            out[0, j] = p * -lp + 0.0 if p > 0.0 and not null else 0.0


# ---------------------------------------------------------------- the rows


@jit
def element_row(values, encoding, logits, chunk):
    """What the element loops need of one operand's row: :func:`logit_row`'s three numbers with 1/Σe
    for Σe (then 0s), or :func:`prob_row`'s with 1/(high + low) in the fifth place and high in the sixth."""
    if logits:
        top, norm, log_total = logit_row(values, encoding)
        return (top, 1.0 / norm, log_total), (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    scale_1, scale_2, shift, log_total, high, low = prob_row(values, encoding, chunk)
    return (0.0, 0.0, 0.0), (scale_1, scale_2, shift, log_total, 1.0 / (high + low), high)


@jit
def _pair_chunk(pv, p_encoding, qv, q_encoding, start, stop, p_logits, q_logits, p_rows, q_rows, weight, out):
    """The element terms of one chunk of a row pair into ``out``, by the loop for its kinds."""
    p_z, p_x = p_rows
    q_z, q_x = q_rows
    if p_logits:
        _mixed_pair(pv, p_encoding, qv, q_encoding, start, stop, p_z, q_x, True, weight, out)
    elif q_logits:
        _mixed_pair(qv, q_encoding, pv, p_encoding, start, stop, q_z, p_x, False, weight, out)
    else:
        _prob_pair(pv, p_encoding, qv, q_encoding, start, stop, p_x, q_x, weight, out)


@jit
def _pair_row(pv, p_encoding, qv, q_encoding, p_logits, q_logits, weight, want, terms, row, out):
    """D(P‖Q), H(P), H(P,Q) of one row pair (not both logits), a chunk at a time, each chunk's sums
    added compensated; and its terms."""
    p_rows = element_row(pv, p_encoding, p_logits, out[0])
    q_rows = element_row(qv, q_encoding, q_logits, out[0])
    k, k_low, h, h_low, c, c_low = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    for start in range(0, pv.shape[0], CHUNK):
        stop = min(start + CHUNK, pv.shape[0])
        _pair_chunk(pv, p_encoding, qv, q_encoding, start, stop, p_logits, q_logits, p_rows, q_rows, weight, out)
        k, k_low = two_add(k, k_low, chunk_sum(out[0], stop - start))
        h, h_low = two_add(h, h_low, chunk_sum(out[1], stop - start))
        c, c_low = two_add(c, c_low, chunk_sum(out[2], stop - start))
        if want == KL_TERMS:
            terms[row, start:stop] = out[3, :stop - start]
        elif want == CE_TERMS:
            terms[row, start:stop] = out[4, :stop - start]
    return compensated(k, k_low), compensated(h, h_low), compensated(c, c_low)


@jit
def divergence_rows(p_values, p_encoding, p_rows, p_logits, q_values, q_encoding, q_rows, q_logits, weight, want,
                    out_rows, kl, entropy, cross, terms):
    """fused.divergence_rows (the same arguments and results) for operands not both logits."""
    out = np.empty((5, CHUNK))
    for r in range(p_rows.shape[0]):
        row = out_rows[r]
        kl[row], entropy[row], cross[row] = _pair_row(p_values[p_rows[r]], p_encoding, q_values[q_rows[r]],
                                                      q_encoding, p_logits, q_logits, weight, want, terms, row, out)


@jit
def entropy_rows(p_values, p_encoding, p_rows, p_logits, want, out_rows, entropy, terms):
    """H(P) of logit or probability rows ``p_values[p_rows[r]]`` (``p_encoding``: what the array
    holds, fused_values.AS_IS, FLOAT16, BFLOAT16) into ``entropy[out_rows[r]]``, in nats; with
    ``want`` ENTROPY_TERMS, the element terms −p·log p into ``terms[out_rows[r]]``."""
    out = np.empty((1, CHUNK))
    for r in range(p_rows.shape[0]):
        pv, row = p_values[p_rows[r]], out_rows[r]
        z_row, x_row = element_row(pv, p_encoding, p_logits, out[0])
        h, h_low = 0.0, 0.0
        for start in range(0, pv.shape[0], CHUNK):
            stop = min(start + CHUNK, pv.shape[0])
            _entropy_chunk(pv, p_encoding, start, stop, p_logits, z_row, x_row, out)
            h, h_low = two_add(h, h_low, chunk_sum(out[0], stop - start))
            if want == ENTROPY_TERMS:
                terms[row, start:stop] = out[0, :stop - start]
        entropy[row] = compensated(h, h_low)
