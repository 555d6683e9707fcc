"""The fused kernel (:mod:`divcli.numerics.fused`) on narrow rows of two logit operands: D(P‖Q), H(P),
H(P,Q) and the element terms p·log(p/q), :data:`TILE` rows at a time, in SIMD code across the rows.

fused_rows' passes run along a row, a vector of its elements at a time: on a row of 16 they never fill
a vector loop (the compiler takes 16 or 32 elements an iteration), so a row is computed by their scalar
remainders, six passes of loop set-up each, some 600 ns for 16 elements, twice numpy's time. Here a
tile of rows is first copied transposed (element j of the tile's rows side by side, decoded to
float64), and every loop runs over the tile's rows: a vector holds one element of several rows, and
a row's sums are added element after element, j = 0, 1, …, C − 1, in its own lane. A tile always holds
:data:`TILE` rows (the last one of a call padded with copies of its last row, whose results are not
written): every row is computed by the same vector code, whatever the block, the thread, or the rows
beside it, so its numbers depend on C alone.

The arithmetic is fused_rows' (:func:`~divcli.numerics.fused_rows.pair_terms`), element for element:
each row's maximum, e = exp(z − max)·(1 + the rounding error of z − max) and the normaliser
1 + (the others) with log1p of the others (:func:`~divcli.numerics.fused_log.log1p_of`, within
1 ulp), the exact log-ratio from the heads and tails, φ(e^x) from its series where |x| ≤ 1 (all 20
terms, as a SIMD lane takes them), the same zero conventions. A row's sums are plain sums of
C ≤ :data:`NARROW_CLASSES` terms ≥ 0, within (C − 1)·ε (relative) of the exact ones at worst, as
fused_rows' chunks are; a row's exponentials are computed once, kept in the tile.
"""

from __future__ import annotations

import math

import numpy as np

from .fused_log import log1p_of
from .fused_rows import exp_nonpositive, head_tail
from .fused_values import bits_of_float, decoded, float_of_bits, jit

#: Rows of at most this many classes take this kernel (fused.py's passes along a row are faster beyond).
NARROW_CLASSES = 64
#: Rows computed at once: a loop over them fills the widest vectors (8 float64) four times over, and a
#: tile of 64 classes (the largest) stays in the second-level cache.
TILE = 64
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI), all 20 terms: a SIMD lane takes them all
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])
_SIGN = 0x7FFFFFFFFFFFFFFF  # every bit of a float64 but the sign
#: The per-row numbers of a tile (:func:`narrow_pairs`' ``rows``): each operand's maximum, 1/Σe and
#: log Σe, then D(P‖Q), H(P) and H(P,Q) as they are summed, and an operand's Σe and maxima as they are.
TOP_P, TOP_Q, PER_P, PER_Q, LOG_P, LOG_Q, KL, ENTROPY, CROSS, OTHERS, TIES = range(11)


@jit
def narrow_pairs(p_values, p_encoding, p_rows, q_values, q_encoding, q_rows, want_terms, out_rows, kl, entropy,
                 cross, terms):
    """fused.divergence_rows of two logit operands whose rows have at most :data:`NARROW_CLASSES`
    classes: D(P‖Q), H(P), H(P,Q) of the row pairs ``p_values[p_rows[r]]``, ``q_values[q_rows[r]]``
    into ``kl``, ``entropy``, ``cross`` at ``out_rows[r]``, and with ``want_terms`` p·log(p/q) into
    ``terms[out_rows[r]]``; a tile of rows at a time."""
    classes = p_values.shape[1]
    zp, zq, ep, eq = (np.empty((classes, TILE)), np.empty((classes, TILE)), np.empty((classes, TILE)),
                      np.empty((classes, TILE)))
    out = np.empty((classes, TILE))
    rows, keys = np.empty((11, TILE)), np.empty(TILE, dtype=np.int64)
    for base in range(0, p_rows.shape[0], TILE):
        count = min(TILE, p_rows.shape[0] - base)
        _transposed(p_values, p_encoding, p_rows, base, count, zp)
        _transposed(q_values, q_encoding, q_rows, base, count, zq)
        _softmax(zp, ep, keys, rows[TOP_P], rows[PER_P], rows[LOG_P], rows[OTHERS], rows[TIES])
        _softmax(zq, eq, keys, rows[TOP_Q], rows[PER_Q], rows[LOG_Q], rows[OTHERS], rows[TIES])
        _pair(zp, zq, ep, eq, rows, out)
        for t in range(count):
            row = out_rows[base + t]
            kl[row], entropy[row], cross[row] = rows[KL, t], rows[ENTROPY, t], rows[CROSS, t]
            if want_terms:
                for j in range(classes):
                    terms[row, j] = out[j, t]


@jit
def _transposed(values, encoding, rows, base, count, z):
    """The rows ``values[rows[base:base + count]]`` decoded into the columns of ``z`` (element j of
    tile row t at ``z[j, t]``), the columns past ``count`` holding the last of them again."""
    for t in range(TILE):
        row = values[rows[base + min(t, count - 1)]]
        for j in range(z.shape[0]):
            z[j, t] = decoded(row, j, encoding)


@jit
def _softmax(z, e, keys, top, per, log_total, others, ties):
    """Each tile row's maximum into ``top``, e = exp(z − max)·(1 + its rounding error) into ``e`` (1 at
    a maximum, exactly), 1/Σe into ``per`` and log Σe = log1p(the others) into ``log_total``, as
    fused_rows' normaliser (the maxima after the first count 1 each); ``keys``, ``others`` and
    ``ties``: scratch."""
    _tops(z, keys, top)
    others[:] = 0.0
    ties[:] = 0.0
    _exps(z, e, top, others, ties)
    _normalisers(others, ties, per, log_total)


@jit
def _tops(z, keys, top):
    """The maximum of each column of ``z``: a float's bits, their magnitude part flipped where it is
    negative, order as integers do (fused_values.row_top: +0 above −0)."""
    keys[:] = -(1 << 63)
    for j in range(z.shape[0]):
        for t in range(TILE):
            bits = bits_of_float(z[j, t])
            flipped = bits ^ ((bits >> 63) & _SIGN)
            keys[t] = flipped if flipped > keys[t] else keys[t]
    for t in range(TILE):
        key = keys[t]
        top[t] = float_of_bits(key ^ ((key >> 63) & _SIGN))


@jit(fma=True)
def _exps(z, e, top, others, ties):
    """e of every element into ``e``; the sum of those that are not a maximum into ``others`` and how
    many are into ``ties``, element after element."""
    for j in range(z.shape[0]):
        for t in range(TILE):
            value = z[j, t]
            head, tail = head_tail(value, top[t])
            tie = value == top[t]
            exp = exp_nonpositive(head) * (1.0 + tail)
            e[j, t] = exp
            others[t] += 0.0 if tie else exp
            ties[t] += 1.0 if tie else 0.0


@jit
def _normalisers(others, ties, per, log_total):
    """1/Σe into ``per`` and log Σe into ``log_total``, Σe being 1 + ``others`` + the maxima after the
    first (``ties`` of them in all)."""
    for t in range(TILE):
        rest = others[t] + (ties[t] - 1.0)
        per[t] = 1.0 / (1.0 + rest)
        log_total[t] = log1p_of(rest)


@jit(fma=True)
def _pair(zp, zq, ep, eq, rows, out):
    """D(P‖Q), H(P), H(P,Q) of the tile's row pairs into ``rows`` (KL, ENTROPY, CROSS), and p·log(p/q)
    into ``out`` (0 where p = 0): fused_rows.pair_terms and phi_total, element after element."""
    top_p, top_q, per_p, per_q = rows[TOP_P], rows[TOP_Q], rows[PER_P], rows[PER_Q]
    log_p, log_q = rows[LOG_P], rows[LOG_Q]
    kl, entropy, cross = rows[KL], rows[ENTROPY], rows[CROSS]
    kl[:] = 0.0
    entropy[:] = 0.0
    cross[:] = 0.0
    for j in range(zp.shape[0]):
        for t in range(TILE):
            z_p, z_q = zp[j, t], zq[j, t]
            hp, tp = head_tail(z_p, top_p[t])
            hq, tq = head_tail(z_q, top_q[t])
            p, q = ep[j, t] * per_p[t], eq[j, t] * per_q[t]
            null_p, null_q = z_p == -math.inf, z_q == -math.inf
            x = ((hp - hq) - (log_p[t] - log_q[t])) + (tp - tq)
            x = math.inf if null_q and not null_p else -math.inf if null_p or p == 0.0 else x
            h = p * -((hp - log_p[t]) + tp) + 0.0 if p > 0.0 else 0.0
            c = p * -((hq - log_q[t]) + tq) + 0.0 if p > 0.0 else 0.0
            entropy[t] += h
            cross[t] += 0.0 if null_p else math.inf if null_q else c
            kl[t] += _phi(x, p, q)
            out[j, t] = p * x if p > 0.0 else 0.0


@jit(fma=True)
def _phi(x, p, q):
    """q·φ(p/q), never negative; x = log(p/q): φ(e^x) from its series (20 terms) where |x| ≤ 1."""
    series = _PHI[19]
    for k in range(18, -1, -1):
        series = series * x + _PHI[k]
    phi = q * (x * x * series) if abs(x) <= 1.0 else p * x - (p - q)
    return math.inf if x == math.inf else q if p == 0.0 else phi
