"""The fused kernel's rows where an operand is given as probabilities (or counts): D(P‖Q), H(P),
H(P,Q) and the element terms of two probability rows or of a probability row and a logit row, and
H(P) of one row of either kind, in SIMD loops (:mod:`divcli.numerics.fused` keeps two logit rows).

The arithmetic is accurate.py's (accurate.prob_rows, log_ratio, phi_terms, cross_entropy_terms),
element for element, every case a select: a probability row scaled by a power of two so that its
sum is in [0.75, 1.5) (exactly: by one multiplication where it scales down, by two where it scales
up, which never rounds), the log of an entry that this takes out of the normal range from before it,
log(p/q) of two probability rows from the exact product of p's head and the ratio of the sums
(``two_product``), φ(e^x) from its series where |x| ≤ 1. The logs are :mod:`divcli.numerics.fused_log`'s
(within 1 ulp, vectorised); the sums are compensated in four lanes (fused_rows.accumulate), in an
order set by C alone.
"""

from __future__ import annotations

import math

import numpy as np

from .fused import CE_TERMS, ENTROPY_TERMS, KL_TERMS
from .fused_log import inlined, log_of, log_plus
from .fused_rows import CHUNK, accumulate, exp_nonpositive, head_tail, jit, lanes_total

_TINY = 2.2250738585072014e-308  # the smallest normal float64
_LOG2 = math.log(2.0)
_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's constant for float64
_SPLIT_LIMIT = 2.0 ** 995
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI), all 20 terms: a SIMD lane takes them all
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])


# ---------------------------------------------------------------- one operand's row


@jit
def _lanes_pair(lanes):
    """The value of fused_rows.accumulate's four compensated sums as (high, low), high + low exact to
    a few ε (accurate.row_sums' pair)."""
    total, low = 0.0, 0.0
    for lane in range(8):
        new = total + lanes[lane]
        v = new - total
        total, low = new, low + ((total - (new - v)) + (lanes[lane] - v))
    high = total + low
    if not math.isfinite(high):
        return high, 0.0
    v = high - total
    return high, (total - (high - v)) + (low - v)


@jit
def _sum_into(lanes, values, start, stop, scale_1, scale_2, chunk):
    """Add ``values[start:stop]`` × scale_1 × scale_2 (widened to float64) to fused_rows.accumulate's lanes."""
    values = values[start:stop]  # indices from 0: no wrap-around of a negative index, no gather
    for j in range(stop - start):
        chunk[j] = np.float64(values[j]) * scale_1 * scale_2
    accumulate(chunk, stop - start, lanes)


@jit
def prob_row(x, chunk):
    """One probability row (accurate.prob_rows): (the two powers of two it is multiplied by, exponent ×
    log 2, log of its scaled sum, that sum as high and low). The sums are compensated; a row whose sum
    is in [0.75, 1.5) already is summed once."""
    lanes = np.zeros(8)
    for start in range(0, x.shape[0], CHUNK):
        _sum_into(lanes, x, start, min(start + CHUNK, x.shape[0]), 1.0, 1.0, chunk)
    exponent = math.frexp(lanes_total(lanes) / 0.75)[1] - 1
    if exponent >= 0:  # scaling down: one multiplication, rounded once (as ldexp)
        scale_1, scale_2 = 2.0 ** -exponent, 1.0
    else:  # scaling up: two factors, each exact
        scale_1, scale_2 = 2.0 ** (-exponent // 2), 2.0 ** (-exponent - (-exponent // 2))
    if exponent != 0:
        lanes[:] = 0.0
        for start in range(0, x.shape[0], CHUNK):
            _sum_into(lanes, x, start, min(start + CHUNK, x.shape[0]), scale_1, scale_2, chunk)
    high, low = _lanes_pair(lanes)
    return scale_1, scale_2, exponent * _LOG2, math.log(high) + low / high, high, low


@jit(fma=True)
def _exps(z, start, stop, top, chunk):
    z = z[start:stop]
    for j in range(stop - start):
        head, tail = head_tail(np.float64(z[j]), top)
        chunk[j] = exp_nonpositive(head) * (1.0 + tail)


@jit
def _maximum(z):
    """The largest of ``z`` (no nan in it), in eight lanes (a loop of selects is not vectorised)."""
    lanes = np.full(8, -math.inf)
    whole = z.shape[0] // 8 * 8
    for i in range(0, whole, 8):
        for k in range(8):
            value = np.float64(z[i + k])
            lanes[k] = value if value > lanes[k] else lanes[k]
    top = -math.inf
    for k in range(8):
        top = lanes[k] if lanes[k] > top else top
    for i in range(whole, z.shape[0]):
        top = np.float64(z[i]) if z[i] > top else top
    return top


@jit
def logit_row(z, chunk):
    """One logit row's normaliser (accurate.logit_rows, as fused_rows.softmax_row, whose sum has the
    same order): (the maximum, 1 + others = Σ e^(z − max), log1p(others)), the others' sum compensated,
    a chunk at a time."""
    top = _maximum(z)
    first = 0
    while np.float64(z[first]) != top:
        first += 1
    lanes = np.zeros(8)
    for start in range(0, z.shape[0], CHUNK):
        stop = min(start + CHUNK, z.shape[0])
        _exps(z, start, stop, top, chunk)
        if start <= first < stop:
            chunk[first - start] = 0.0
        accumulate(chunk, stop - start, lanes)
    others = lanes_total(lanes)
    return top, 1.0 + others, math.log1p(others)


# ---------------------------------------------------------------- one element


@jit
def two_product(a, b):
    """``p + e == a·b`` exactly (Dekker; accurate.two_product), e = 0 beyond the splitter's range.
    Never compiled with fused multiply-adds: they would break the splitting."""
    p = a * b
    safe = abs(a) < _SPLIT_LIMIT and abs(b) < _SPLIT_LIMIT and math.isfinite(p)
    a, b = a if safe else 0.0, b if safe else 0.0
    c = _SPLITTER * a
    a_high = c - (c - a)
    a_low = a - a_high
    c = _SPLITTER * b
    b_high = c - (c - b)
    b_low = b - b_high
    e = ((a_high * b_high - (p if safe else 0.0)) + a_high * b_low + a_low * b_high) + a_low * b_low
    return p, e if safe else 0.0


@inlined
def prob_element(v, row):
    """(p, log p, head, null) of a probability row's entry ``v`` (accurate.prob_rows, p = head × 1/Σ:
    a rounding more than head/Σ); ``row``: what :func:`prob_row` gave, 1/(high + low) for the two."""
    scale_1, scale_2, shift, log_total, inverse = row
    value = np.float64(v)
    head = value * scale_1 * scale_2
    lost = head < _TINY and value > 0.0  # out of the normal range by the scaling: the log from before it
    log_p = (log_of(value if lost else head) - (shift if lost else 0.0)) - log_total
    return head * inverse, log_p, head, value == 0.0


@inlined
def logit_element(v, row):
    """(p, log p, null) of a logit row's entry ``v`` (accurate.logit_rows; p = e × 1/Σe); ``row``:
    :func:`logit_row`'s, 1/Σe for Σe."""
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
def _prob_pair(pv, qv, start, stop, p_row, q_row, weight, out):
    """The element terms of two probability rows at ``start:stop`` into ``out`` (five rows of
    :func:`element_terms`, from index 0); ``p_row``, ``q_row``: :func:`element_row`'s."""
    ratio = q_row[5] / p_row[5]  # the sums' ratio: its rounding is a constant factor, harmless
    pv, qv, weight = pv[start:stop], qv[start:stop], weight[start:stop]
    for j in range(stop - start):
        p, lp, hp, null_p = prob_element(pv[j], p_row[:5])
        q, lq, hq, null_q = prob_element(qv[j], q_row[:5])
        x = prob_ratio(hp, hq, lp, lq, ratio)
        out[0, j], out[1, j], out[2, j], out[3, j], out[4, j] = element_terms(p, lp, null_p, q, lq, null_q, x,
                                                                              weight[j])


@jit(fma=True)
def _mixed_pair(zv, xv, start, stop, z_row, x_row, p_logits, weight, out):
    """As :func:`_prob_pair` for a logit row ``zv`` and a probability row ``xv``: P is ``zv`` where
    ``p_logits``, else ``xv``; log(p/q) = log p − log q."""
    zv, xv, weight = zv[start:stop], xv[start:stop], weight[start:stop]
    for j in range(stop - start):
        a, la, null_a = logit_element(zv[j], z_row)
        b, lb, _, null_b = prob_element(xv[j], x_row[:5])
        p, lp, null_p = (a, la, null_a) if p_logits else (b, lb, null_b)
        q, lq, null_q = (b, lb, null_b) if p_logits else (a, la, null_a)
        out[0, j], out[1, j], out[2, j], out[3, j], out[4, j] = element_terms(p, lp, null_p, q, lq, null_q, lp - lq,
                                                                              weight[j])


@jit(fma=True)
def _entropy_chunk(values, start, stop, logits, z_row, x_row, out):
    """−p·log p of one row's elements at ``start:stop`` into ``out[0]``, from index 0."""
    values = values[start:stop]
    if logits:
        for j in range(stop - start):
            p, lp, null = logit_element(values[j], z_row)
            out[0, j] = p * -lp + 0.0 if p > 0.0 and not null else 0.0
    else:
        for j in range(stop - start):
            p, lp, _, null = prob_element(values[j], x_row[:5])
            out[0, j] = p * -lp + 0.0 if p > 0.0 and not null else 0.0


# ---------------------------------------------------------------- the rows


@jit
def element_row(values, logits, chunk):
    """What the element loops need of one operand's row: :func:`logit_row`'s three numbers with 1/Σe
    for Σe (then 0s), or :func:`prob_row`'s with 1/(high + low) in the fifth place and high in the sixth."""
    if logits:
        top, norm, log_total = logit_row(values, chunk)
        return (top, 1.0 / norm, log_total), (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    scale_1, scale_2, shift, log_total, high, low = prob_row(values, chunk)
    return (0.0, 0.0, 0.0), (scale_1, scale_2, shift, log_total, 1.0 / (high + low), high)


@jit
def _pair_row(pv, qv, p_logits, q_logits, weight, want, terms, row, out):
    """D(P‖Q), H(P), H(P,Q) of one row pair (not both logits), a chunk at a time, and its terms."""
    p_z, p_x = element_row(pv, p_logits, out[0])
    q_z, q_x = element_row(qv, q_logits, out[0])
    lanes = np.zeros((3, 8))
    for start in range(0, pv.shape[0], CHUNK):
        stop = min(start + CHUNK, pv.shape[0])
        if p_logits:
            _mixed_pair(pv, qv, start, stop, p_z, q_x, True, weight, out)
        elif q_logits:
            _mixed_pair(qv, pv, start, stop, q_z, p_x, False, weight, out)
        else:
            _prob_pair(pv, qv, start, stop, p_x, q_x, weight, out)
        for which in range(3):
            accumulate(out[which], stop - start, lanes[which])
        if want == KL_TERMS:
            terms[row, start:stop] = out[3, :stop - start]
        elif want == CE_TERMS:
            terms[row, start:stop] = out[4, :stop - start]
    return lanes_total(lanes[0]), lanes_total(lanes[1]), lanes_total(lanes[2])


@jit
def divergence_rows(p_values, p_rows, p_logits, q_values, q_rows, q_logits, weight, want, out_rows,
                    kl, entropy, cross, terms):
    """fused.divergence_rows (the same arguments and results) for operands not both logits."""
    out = np.empty((5, CHUNK))
    for r in range(p_rows.shape[0]):
        row = out_rows[r]
        kl[row], entropy[row], cross[row] = _pair_row(p_values[p_rows[r]], q_values[q_rows[r]], p_logits,
                                                      q_logits, weight, want, terms, row, out)


@jit
def entropy_rows(p_values, p_rows, p_logits, want, out_rows, entropy, terms):
    """fused.entropy_rows (the same arguments and results): H(P) of logit or probability rows."""
    out = np.empty((1, CHUNK))
    for r in range(p_rows.shape[0]):
        pv, row = p_values[p_rows[r]], out_rows[r]
        z_row, x_row = element_row(pv, p_logits, out[0])
        lanes = np.zeros(8)
        for start in range(0, pv.shape[0], CHUNK):
            stop = min(start + CHUNK, pv.shape[0])
            _entropy_chunk(pv, start, stop, p_logits, z_row, x_row, out)
            accumulate(out[0], stop - start, lanes)
            if want == ENTROPY_TERMS:
                terms[row, start:stop] = out[0, :stop - start]
        entropy[row] = lanes_total(lanes)
