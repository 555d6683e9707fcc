"""The fused kernel's rows of logits softened by a temperature T ≠ 1 (``-T``): D(P‖Q), H(P), H(P,Q) and
the element terms of two logit rows, and H(P) of one, straight from the logits as stored, as
:mod:`divcli.numerics.fused` computes them at T = 1 (the same passes, the same sums), with
accurate.py's arithmetic for softened rows:

- z/T is formed in the passes as a head and a tail (:func:`~divcli.numerics.fused_rows.quotient`: the
  division's remainder from an exact product), and z/T − max/T kept as a head and a tail whose sum is
  exact to a few ε² (:func:`~divcli.numerics.fused_rows.shifted`): the rounding of the division
  stands neither against the log-ratios of near-identical rows nor against logits far from 0;
- where P and Q mask the same classes and s = (d − μ)/T is within [−1, 1] for every class (d =
  z_q − z_p, exact as a head and a tail, μ = Σ p·d), log(p/q) = D − s with D = log1p(Σ p·(e^s − 1 −
  s)), which is D(P‖Q) itself (accurate._tempered_ratio): no normaliser is taken, whose rounding
  would stand against a KL of order Var(d)/T² (all its digits by T ≈ 1e16). Q's softmax is then never
  computed: log q = log p − log(p/q), and H(P,Q) = H(P) + D(P‖Q). μ is taken about d at P's largest
  logit (exactly: d − d_ref for d near d_ref), so that a constant added to one side's logits costs μ
  no digits: an error η in μ moves D by a relative η/T + η²/Var_P(d).
- elsewhere log(p/q) = (head_p − head_q) − (log Σe_p − log Σe_q) + (tail_p − tail_q), φ's series
  near p = q, as at T = 1 (fused_rows.pair_terms).

A row's numbers depend on that row and T alone, in an order set by C (which form a row takes, too).
"""

from __future__ import annotations

import math

import numpy as np

from .fused import CE_TERMS, ENTROPY_TERMS, KL_TERMS
from .fused_rows import (BUFFERS, CHUNK, chunk_sum, compensated, exp_nonpositive, head_tail, kl_terms, normaliser,
                         pair_terms, peak, phi_total, shifted, tempered, two_add)
from .fused_values import decoded, jit, row_top

#: e^s − 1 − s = s²·Σ_j s^j/(j + 2)!, enough terms for 1e-17 relative at |s| ≤ 1 (accurate._EXP2).
_EXP2 = np.array([1.0 / math.factorial(j + 2) for j in range(18)])


# ---------------------------------------------------------------- the loops over a chunk


@jit(fma=True)
def _p_element(zp, p_row):
    """(p, log p) of a logit ``zp`` of P's row at T: ``p_row`` (top as :func:`shifted` takes it, 1/Σe,
    log Σe: :func:`_per_element`)."""
    top, inverse, log_total = p_row
    head, tail = shifted(zp, top)
    return exp_nonpositive(head) * (1.0 + tail) * inverse, (head - log_total) + tail


@jit
def _u(zp, zq, reference):
    """(z_q − z_p) − ``reference``, from z_q − z_p's exact head and tail; 0 where a logit is −inf, +inf
    where only one is (the rows do not mask the same classes)."""
    head, tail = head_tail(zq, zp)
    u = (head - reference) + tail
    u = u if zp > -math.inf and zq > -math.inf else 0.0
    return u if (zp > -math.inf) == (zq > -math.inf) else math.inf


@jit(fma=True)
def _centre_chunk(pv, p_encoding, qv, q_encoding, start, stop, top, reference, buffers):
    """P's normaliser and the centre of the s-form in one loop: for the elements ``start:stop``, into
    ``buffers`` from index 0, e = exp(z/T − top/T) (0 at a maximum, as fused_rows' normaliser counts
    it), e·u, u, −u (u of :func:`_u`; e·u 0 where u is +inf: no s-form then), and 1 at a maximum."""
    peak_p = peak(top)
    for i in range(start, stop):
        zp, zq = decoded(pv, i, p_encoding), decoded(qv, i, q_encoding)
        head, tail = shifted(zp, top)
        tie = zp == peak_p
        e = 1.0 if tie else exp_nonpositive(head) * (1.0 + tail)
        u = _u(zp, zq, reference)
        j = i - start
        buffers[0, j] = 0.0 if tie else e
        buffers[1, j] = e * u if u < math.inf else 0.0
        buffers[2, j], buffers[3, j] = u, -u if u < math.inf else u
        buffers[4, j] = 1.0 if tie else 0.0


@jit(fma=True)
def _series_chunk(pv, p_encoding, qv, q_encoding, start, stop, p_row, reference, centre, inverse, buffers):
    """For the elements ``start:stop``, into ``buffers`` from index 0: p·(e^s − 1 − s) (from its
    series), −p·log p and p; s = (u − μ)/T (u of :func:`_u`, ``centre`` μ, ``inverse`` 1/T)."""
    for i in range(start, stop):
        zp, zq = decoded(pv, i, p_encoding), decoded(qv, i, q_encoding)
        p, log_p = _p_element(zp, p_row)
        s = (_u(zp, zq, reference) - centre) * inverse
        series = _EXP2[17]
        for k in range(16, -1, -1):
            series = series * s + _EXP2[k]
        j = i - start
        buffers[0, j] = p * (s * s * series)
        buffers[1, j] = p * -log_p + 0.0 if p > 0.0 else 0.0
        buffers[2, j] = p


@jit
def _near_kl_terms(pv, p_encoding, qv, q_encoding, start, stop, reference, centre, inverse, kl, out):
    """p·log(p/q) of a row pair in the s-form at ``start:stop``, in place of p in ``out`` (from index
    0; :func:`_series_chunk` wrote it): log(p/q) = D − s, ``kl`` D, nothing exponentiated again."""
    for i in range(start, stop):
        zp, zq = decoded(pv, i, p_encoding), decoded(qv, i, q_encoding)
        p = out[i - start]
        x = kl - (_u(zp, zq, reference) - centre) * inverse
        out[i - start] = p * x if p > 0.0 else 0.0


@jit(fma=True)
def _near_cross_terms(pv, p_encoding, qv, q_encoding, start, stop, p_row, reference, centre, inverse, kl, weight,
                      out):
    """−w·p·log q of a row pair in the s-form at ``start:stop`` into ``out`` (from index 0): log q =
    log p − log(p/q), log(p/q) = D − s (``kl`` D); 0 where w·p is (the same classes are masked)."""
    for i in range(start, stop):
        zp, zq = decoded(pv, i, p_encoding), decoded(qv, i, q_encoding)
        p, log_p = _p_element(zp, p_row)
        x = kl - (_u(zp, zq, reference) - centre) * inverse
        wp = p * weight[i]
        out[i - start] = wp * -(log_p - x) + 0.0 if wp > 0.0 and zp > -math.inf else 0.0


@jit
def _largest(values, count):
    """The largest of ``values[:count]``, as a float64 (SIMD code: fused_values.row_top)."""
    return row_top(values[:count], 0)


@jit
def _weighted_cross(buffers, count, weight, out):
    """−w·p·log q of a chunk of :func:`~divcli.numerics.fused_rows.pair_terms` into ``out``: 0 where
    w = 0 (even where q = 0), as accurate.cross_entropy_terms."""
    for j in range(count):
        w = weight[j]
        out[j] = w * buffers[4, j] if w > 0.0 else 0.0


@jit(fma=True)
def _entropy_chunk(values, encoding, start, stop, row, out):
    """−p·log p of one row's elements at ``start:stop`` into ``out``, from index 0."""
    for i in range(start, stop):
        z = decoded(values, i, encoding)
        p, log_p = _p_element(z, row)
        out[i - start] = p * -log_p + 0.0 if p > 0.0 and z > -math.inf else 0.0


# ---------------------------------------------------------------- the rows


@jit
def _softened(values, encoding, temperature):
    """One logit row at T: (its maximum as :func:`shifted` takes it, Σe, log Σe), as
    fused_rows.pair_terms takes it."""
    top = tempered(row_top(values, encoding), temperature)
    norm, log_total = normaliser(values, encoding, top)
    return top, norm, log_total


@jit
def _per_element(row):
    """A row of :func:`_softened` as the element loops take it: 1/Σe for Σe (a multiplication each)."""
    return row[0], 1.0 / row[1], row[2]


@jit
def _reference(pv, p_encoding, qv, q_encoding, top):
    """z_q − z_p at P's first largest logit (rounded), where μ is taken about; 0 where z_q is −inf there."""
    for i in range(pv.shape[0]):
        zp = decoded(pv, i, p_encoding)
        if zp == top:
            zq = decoded(qv, i, q_encoding)
            return zq - zp if zq > -math.inf else 0.0
    return 0.0


@jit
def _centred(pv, p_encoding, qv, q_encoding, temperature, buffers):
    """P's row at T as :func:`_softened` gives it, and (whether the row pair takes the s-form, the
    reference d_ref, μ − d_ref): the same classes masked and |d − μ| ≤ T for every class, with
    μ − d_ref = Σ p·(d − d_ref). One pass over both rows (:func:`_centre_chunk`), P's normaliser
    summed as fused_rows' normaliser sums it."""
    top = tempered(row_top(pv, p_encoding), temperature)
    reference = _reference(pv, p_encoding, qv, q_encoding, peak(top))
    total, low, moment, moment_low, ties, high, below = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    for start in range(0, pv.shape[0], CHUNK):
        count = min(start + CHUNK, pv.shape[0]) - start
        _centre_chunk(pv, p_encoding, qv, q_encoding, start, start + count, top, reference, buffers)
        total, low = two_add(total, low, chunk_sum(buffers[0], count))
        moment, moment_low = two_add(moment, moment_low, chunk_sum(buffers[1], count))
        ties += chunk_sum(buffers[4], count)
        high, below = max(high, _largest(buffers[2], count)), max(below, _largest(buffers[3], count))
    total, low = two_add(total, low, ties - 1.0)
    others = compensated(total, low)
    centre = compensated(moment, moment_low) / (1.0 + others)
    near = high - centre <= temperature and below + centre <= temperature
    return (top, 1.0 + others, math.log1p(others)), near, reference, centre


@jit
def _near_rows(pv, p_encoding, qv, q_encoding, p_row, reference, centre, temperature, weight, want, terms, row,
               buffers):
    """D(P‖Q), H(P), H(P,Q) of a row pair in the s-form (and the terms of ``want``): D from its
    series, H(P,Q) = H(P) + D."""
    inverse = 1.0 / temperature
    total, low, h, h_low = 0.0, 0.0, 0.0, 0.0
    for start in range(0, pv.shape[0], CHUNK):
        count = min(start + CHUNK, pv.shape[0]) - start
        _series_chunk(pv, p_encoding, qv, q_encoding, start, start + count, p_row, reference, centre, inverse,
                      buffers)
        total, low = two_add(total, low, chunk_sum(buffers[0], count))
        h, h_low = two_add(h, h_low, chunk_sum(buffers[1], count))
        if want == KL_TERMS:
            terms[row, start:start + count] = buffers[2, :count]  # p, for _near_kl_terms
    kl, entropy = math.log1p(compensated(total, low)), compensated(h, h_low)
    for start in range(0, pv.shape[0], CHUNK):
        stop = min(start + CHUNK, pv.shape[0])
        if want == KL_TERMS:
            _near_kl_terms(pv, p_encoding, qv, q_encoding, start, stop, reference, centre, inverse, kl,
                           terms[row, start:stop])
        elif want == CE_TERMS:
            _near_cross_terms(pv, p_encoding, qv, q_encoding, start, stop, p_row, reference, centre, inverse, kl,
                              weight, terms[row, start:stop])
    return kl, entropy, entropy + kl


@jit
def _far_rows(pv, p_encoding, qv, q_encoding, p_row, q_temperature, weight, want, terms, row, buffers):
    """D(P‖Q), H(P), H(P,Q) of a row pair from both softmaxes (fused_rows.pair_terms, as at T = 1; Q's
    at ``q_temperature``), and the terms of ``want``."""
    q_row = _softened(qv, q_encoding, q_temperature)
    k, k_low, h, h_low, c, c_low = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    for start in range(0, pv.shape[0], CHUNK):
        stop = min(start + CHUNK, pv.shape[0])
        pair_terms(pv, p_encoding, qv, q_encoding, start, stop, p_row, q_row, buffers)
        k, k_low = two_add(k, k_low, phi_total(buffers, stop - start))
        h, h_low = two_add(h, h_low, chunk_sum(buffers[3], stop - start))
        c, c_low = two_add(c, c_low, chunk_sum(buffers[4], stop - start))
        if want == KL_TERMS:
            kl_terms(buffers, stop - start, terms[row, start:stop])
        elif want == CE_TERMS:
            _weighted_cross(buffers, stop - start, weight[start:stop], terms[row, start:stop])
    return compensated(k, k_low), compensated(h, h_low), compensated(c, c_low)


@jit
def divergence_rows(p_values, p_encoding, p_rows, p_temperature, q_values, q_encoding, q_rows, q_temperature, weight,
                    want, out_rows, kl, entropy, cross, terms):
    """fused.divergence_rows of two logit operands, P's softened by ``p_temperature`` and Q's by
    ``q_temperature`` (1.0: not softened): D(P‖Q), H(P) and H(P,Q) of softmax(z_p/T_p) against
    softmax(z_q/T_q), row pair r into ``out_rows[r]``; the element terms of ``want`` (KL_TERMS,
    CE_TERMS weighted by ``weight``) into ``terms[out_rows[r]]``. The s-form only at one temperature."""
    buffers = np.empty((BUFFERS, CHUNK))
    for r in range(p_rows.shape[0]):
        pv, qv, row = p_values[p_rows[r]], q_values[q_rows[r]], out_rows[r]
        p_row, near, reference, centre = _centred(pv, p_encoding, qv, q_encoding, p_temperature, buffers)
        if near and p_temperature == q_temperature:
            kl[row], entropy[row], cross[row] = _near_rows(pv, p_encoding, qv, q_encoding, _per_element(p_row),
                                                           reference, centre, p_temperature, weight, want, terms, row,
                                                           buffers)
        else:
            kl[row], entropy[row], cross[row] = _far_rows(pv, p_encoding, qv, q_encoding, p_row, q_temperature, weight,
                                                          want, terms, row, buffers)


@jit
def entropy_rows(p_values, p_encoding, p_rows, temperature, want, out_rows, entropy, terms):
    """fused_probs.entropy_rows of logit rows softened by ``temperature``: H(softmax(z/T)) of row
    ``p_rows[r]`` into ``entropy[out_rows[r]]``; with ENTROPY_TERMS, −p·log p into ``terms[out_rows[r]]``."""
    out = np.empty(CHUNK)
    for r in range(p_rows.shape[0]):
        pv, row = p_values[p_rows[r]], out_rows[r]
        p_row = _per_element(_softened(pv, p_encoding, temperature))
        h, h_low = 0.0, 0.0
        for start in range(0, pv.shape[0], CHUNK):
            stop = min(start + CHUNK, pv.shape[0])
            _entropy_chunk(pv, p_encoding, start, stop, p_row, out)
            h, h_low = two_add(h, h_low, chunk_sum(out, stop - start))
            if want == ENTROPY_TERMS:
                terms[row, start:stop] = out[:stop - start]
        entropy[row] = compensated(h, h_low)
