"""The loops of the fused kernel (:mod:`divcli.numerics.fused`) that the compiler turns into SIMD code:
exp, a softmax row, the element terms of two logit rows, and row sums carried in four lanes.

A loop is vectorised only if it calls nothing and branches nowhere: here ``exp`` is computed in line
(Cody–Waite reduction, a degree-13 Taylor polynomial, the power of two from its bits: within 1.01 ulp
of the C library's), and every case of the zero conventions is a select. Multiplications and additions
may be fused here (``fastmath={"contract"}``: one rounding instead of two), never in the error-free
transformations of fused.py. A row's numbers still depend on C alone: the lanes of a sum take the
elements i ≡ j (mod 4), whatever the chunk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
_LN2_HIGH = 0.6931471803691238  # ln 2 to 32 bits: k·_LN2_HIGH is exact for |k| < 2^21
_LN2_LOW = 1.9082149292705877e-10  # ln 2 − _LN2_HIGH
_EXP = np.array([1.0 / math.factorial(j) for j in range(14)])  # e^r to 2^-57 at |r| ≤ ln 2 / 2
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI), all 20 terms: a SIMD lane takes them all
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])
#: Elements per chunk of the pair loop: its terms stay in the first-level cache until they are summed.
CHUNK = 2048


def jit(function=None, fma: bool = False):
    """``function`` compiled by numba: without the GIL (the engine's threads compute blocks at once),
    numpy's float semantics (x/0 is inf, no exception), with ``fma`` multiplications and additions
    fused; kept in numba's cache where it finds a folder it can write, else compiled in memory for
    this process, silently."""
    if function is None:
        return lambda f: jit(f, fma)
    options = {"nogil": True, "error_model": "numpy", "fastmath": {"contract"} if fma else False}
    try:
        return njit(cache=True, **options)(function)
    except RuntimeError:  # "cannot cache function …: no locator available": no writable cache folder
        return njit(**options)(function)


@intrinsic
def _float_of_bits(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@jit(fma=True)
def exp_nonpositive(x):
    """e^x for x ≤ 0 (−inf included: 0), within 1.01 ulp; subnormal results rounded once more."""
    x = x if x > -1020.0 else -1020.0  # e^-1020 is 0 in float64 already
    k = math.floor(x * _LOG2E + 0.5)
    r = (x - k * _LN2_HIGH) - k * _LN2_LOW
    total = _EXP[13]
    for j in range(12, -1, -1):
        total = total * r + _EXP[j]
    n = int(k)
    half = n >> 1  # 2^n as two factors, each normal down to n = −2044
    return total * _float_of_bits((half + 1023) << 52) * _float_of_bits((n - half + 1023) << 52)


@jit
def head_tail(z, top):
    """z − top as (its rounded value, the rounding error): accurate.two_sum, 0 error where not finite."""
    head = z - top
    v = head - z
    tail = (z - (head - v)) + (-top - v)
    return head, tail if head > -math.inf else 0.0


@jit(fma=True)
def softmax_row(z, e):
    """One logit row's softmax (accurate.logit_rows): e = exp(head)·(1 + tail) into ``e``; returns (the
    maximum, 1 + others = Σe, log1p(others)), the others' sum compensated."""
    top, first = -math.inf, 0
    for i in range(z.shape[0]):
        if z[i] > top:
            top, first = np.float64(z[i]), i
    for i in range(z.shape[0]):
        head, tail = head_tail(np.float64(z[i]), top)
        e[i] = exp_nonpositive(head) * (1.0 + tail)
    kept, e[first] = e[first], 0.0
    lanes = np.zeros(8)
    accumulate(e, z.shape[0], lanes)
    e[first] = kept
    others = lanes_total(lanes)
    return top, 1.0 + others, math.log1p(others)


@jit
def accumulate(values, count, lanes):
    """Add ``values[:count]`` to four compensated sums (``lanes``: four totals, then their four
    errors), element i to lane i mod 4, each addition's error carried (Knuth's two_sum). A row given
    in chunks keeps its order when every chunk but the last holds a multiple of 4 elements."""
    s0, s1, s2, s3, c0, c1, c2, c3 = lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]
    i = 0
    while i + 4 <= count:
        s0, c0 = _two_add(s0, c0, values[i])
        s1, c1 = _two_add(s1, c1, values[i + 1])
        s2, c2 = _two_add(s2, c2, values[i + 2])
        s3, c3 = _two_add(s3, c3, values[i + 3])
        i += 4
    lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7] = s0, s1, s2, s3, c0, c1, c2, c3
    for j in range(i, count):
        lanes[j % 4], lanes[j % 4 + 4] = _two_add(lanes[j % 4], lanes[j % 4 + 4], values[j])


@jit
def _two_add(total, low, value):
    """``total + low + value`` as (the rounded total, the errors so far): Knuth's two_sum."""
    new = total + value
    v = new - total
    return new, low + ((total - (new - v)) + (value - v))


@jit
def lanes_total(lanes):
    """The value of four compensated sums: their totals and errors added, each addition compensated;
    the total itself where it is not finite (an infinite term leaves nan in the errors)."""
    total, low = 0.0, 0.0
    for lane in range(8):
        total, low = _two_add(total, low, lanes[lane])
        if lane == 3 and not math.isfinite(total):  # before the errors' nan is added in
            return total
    return total + low if math.isfinite(total) else total


@jit(fma=True)
def logit_pair(pv, qv, start, stop, p_row, q_row, e_p, e_q, kl, entropy, cross, terms):
    """The element terms of two logit rows ``pv``, ``qv`` at ``start:stop`` (accurate.py's, every case
    a select): q·φ(p/q) into ``kl``, −p·log p into ``entropy``, −p·log q into ``cross``, p·log(p/q)
    into ``terms``, from index 0. ``p_row``, ``q_row``: (top, 1 + others, log1p(others)) of
    :func:`softmax_row`, whose ``e`` are ``e_p`` and ``e_q``."""
    top_p, norm_p, lt_p = p_row
    top_q, norm_q, lt_q = q_row
    difference = lt_p - lt_q
    for i in range(start, stop):
        zp, zq = np.float64(pv[i]), np.float64(qv[i])
        hp, tp = head_tail(zp, top_p)
        hq, tq = head_tail(zq, top_q)
        p, q = e_p[i] / norm_p, e_q[i] / norm_q
        null_p, null_q = zp == -math.inf, zq == -math.inf
        x = ((hp - hq) - difference) + (tp - tq)
        x = math.inf if null_q and not null_p else -math.inf if null_p or p == 0.0 else x
        series = _PHI[19]
        for j in range(18, -1, -1):
            series = series * x + _PHI[j]
        phi = q * (x * x * series) if abs(x) <= 1.0 else p * x - (p - q)
        phi = math.inf if x == math.inf else q if p == 0.0 else phi
        j = i - start
        kl[j] = phi
        entropy[j] = p * -((hp - lt_p) + tp) + 0.0 if p > 0.0 else 0.0
        ce = p * -((hq - lt_q) + tq) + 0.0 if p > 0.0 else 0.0
        cross[j] = 0.0 if null_p else math.inf if null_q else ce
        terms[j] = p * x if p > 0.0 else 0.0
