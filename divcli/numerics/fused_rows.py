"""The loops of the fused kernel (:mod:`divcli.numerics.fused`) that the compiler turns into SIMD code:
exp, a row's normaliser, the element terms of two logit rows and the sums of a chunk of them.

A loop is vectorised only if it calls nothing (its callees inlined) and branches nowhere: here ``exp``
is computed in line (Cody–Waite reduction, a degree-13 Taylor polynomial, the power of two from its
bits: within 1.01 ulp of the C library's), and every case of the zero conventions is a select.
Multiplications and additions may be fused in some (``fastmath={"contract"}``: one rounding instead
of two), the additions of a sum reordered in others (``reassoc``: the compiler keeps several partial
sums), never in the error-free transformations (:func:`head_tail`, :func:`two_add`, compiled without):
these flags hold for the operations written in a function, not for those of the functions it calls.

Every term summed is ≥ 0, and a chunk holds :data:`CHUNK` of them: its plain sum is within CHUNK·ε
(relative) of the exact one at worst, in whatever order, and far closer in practice; the chunks'
sums are added compensated (Knuth's two_sum), so a row's sum is as close for any C. A row's numbers
depend on C alone: a chunk's place, its order of summation and the terms of φ's series it takes (its
own largest |x|) do not depend on the block, the thread or the rows beside it.

A row's maximum is a float, or for logits softened by a temperature T the tuple of :func:`tempered`:
:func:`shifted` and :func:`peak` take either, and the choice is made when compiling (the code at T = 1
is the same as without them); the loops that take a maximum take both.

Nothing of a row's size is written: a row is read three times (its maximum, its normaliser, the pair's
terms), each pass decoding the values as stored (:mod:`divcli.numerics.fused_values`) and computing
exp again rather than keeping it, so that a row of float16 stays in the second-level cache.
"""

from __future__ import annotations

import math

import numpy as np

from numba import types
from numba.extending import overload

from .fused_values import bits_of_float, decoded, float_of_bits, fused_multiply_add, jit, row_top

_LOG2E = 1.4426950408889634
_LN2_HIGH = 0.6931471803691238  # ln 2 to 32 bits: k·_LN2_HIGH is exact for |k| < 2^21
_LN2_LOW = 1.9082149292705877e-10  # ln 2 − _LN2_HIGH
_LARGEST = float(np.finfo(np.float64).max)
_EXP = np.array([1.0 / math.factorial(j) for j in range(14)])  # e^r to 2^-57 at |r| ≤ ln 2 / 2
#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j (accurate._PHI)
_PHI = np.array([(j + 1) / math.factorial(j + 2) for j in range(20)])
#: Elements per chunk of a pass: its buffers stay in the first-level cache until they are summed, and
#: its plain sum is within CHUNK·ε (relative) of the exact one (every term ≥ 0).
CHUNK = 512
#: Buffers of CHUNK a row pair's pass needs (:func:`pair_terms`): x, p, q, −p·log p, −p·log q.
BUFFERS = 5


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
    return total * float_of_bits((half + 1023) << 52) * float_of_bits((n - half + 1023) << 52)


@jit
def head_tail(z, top):
    """z − top as (its rounded value, the rounding error): accurate.two_sum, 0 error where not finite."""
    head = z - top
    v = head - z
    tail = (z - (head - v)) + (-top - v)
    return head, tail if head > -math.inf else 0.0


@jit
def quotient(z, temperature, inverse):
    """z ÷ T as (hi, lo), hi + lo within a few ε² of it, as accurate.divide: hi = z·(1/T) (``inverse``:
    a multiplication, where a division would cost as much as the exp), kept below float64's largest
    where z is finite (z ÷ T itself is: the checks refuse an overflow), and lo = (z − hi·T)/T from
    one fused multiply-add (rounded once: its error is ε of lo's). lo is 0 where z is not finite."""
    hi = z * inverse
    hi = hi if math.isfinite(hi) or not math.isfinite(z) else math.copysign(_LARGEST, z)
    lo = fused_multiply_add(-hi, temperature, z) * inverse
    return hi, lo if math.isfinite(lo) else 0.0


@jit
def tempered(top, temperature):
    """A row's maximum ``top`` as :func:`shifted` takes it for logits softened by a temperature T:
    (top, T, 1/T, top ÷ T as :func:`quotient` gives it)."""
    inverse = 1.0 / temperature
    hi, lo = quotient(top, temperature, inverse)
    return top, temperature, inverse, hi, lo


@jit
def _tempered_head_tail(z, top):
    """z/T − top/T as (head, tail), top the tuple of :func:`tempered`: accurate.logit_rows of
    accurate.divide's quotient, the two quotients' remainders in the tail (0 where head is −inf)."""
    hi, lo = quotient(z, top[1], top[2])
    head, tail = head_tail(hi, top[3])
    return head, tail + (lo - top[4]) if head > -math.inf else 0.0


def shifted(z, top):
    """A logit z less its row's maximum, as (head, tail) whose sum is exact (to a few ε² of it where
    softened): z − top (:func:`head_tail`) for a maximum ``top``, z/T − top/T for the tuple of
    :func:`tempered`. Compiled code only: the choice is made by the type of ``top``, when compiling."""
    raise NotImplementedError("shifted is compiled into the fused kernel")


@overload(shifted, jit_options={"nogil": True, "error_model": "numpy"})
def _shifted(z, top):
    if isinstance(top, types.Float):
        return lambda z, top: head_tail(z, top)
    return lambda z, top: _tempered_head_tail(z, top)


def peak(top):
    """The row's largest logit of a maximum as :func:`shifted` takes it (itself, or the first of the
    tuple of :func:`tempered`): an element equal to it is a maximum. Compiled code only."""
    raise NotImplementedError("peak is compiled into the fused kernel")


@overload(peak, jit_options={"nogil": True, "error_model": "numpy"})
def _peak(top):
    if isinstance(top, types.Float):
        return lambda top: top
    return lambda top: top[0]


@jit(fma=True)
def _e(values, i, encoding, top):
    """(e = exp(z − top)·(1 + its rounding error) of element i, whether it is a maximum): e = 1 there,
    exactly, and 0 is given instead (1 + the others is kept as the others). ``top`` as :func:`shifted`
    takes it."""
    z = decoded(values, i, encoding)
    head, tail = shifted(z, top)
    return (0.0, 1) if z == peak(top) else (exp_nonpositive(head) * (1.0 + tail), 0)


@jit(reorder=True)
def exps_total(values, encoding, top, start, stop):
    """Σe of :func:`_e` over the elements ``start:stop`` of a row (a chunk: every e ≥ 0, and the plain
    sum is within CHUNK·ε of the exact one), and how many maxima there were. _e's arithmetic written
    out: LLVM leaves _e a call where ``top`` is softened, and the loop is then no SIMD code."""
    total, ties = 0.0, 0
    for i in range(start, stop):
        z = decoded(values, i, encoding)
        head, tail = shifted(z, top)
        tie = z == peak(top)
        total += 0.0 if tie else exp_nonpositive(head) * (1.0 + tail)
        ties += 1 if tie else 0
    return total, ties


@jit
def two_add(total, low, value):
    """``total + low + value`` as (the rounded total, the errors so far): Knuth's two_sum."""
    new = total + value
    v = new - total
    return new, low + ((total - (new - v)) + (value - v))


@jit
def compensated(total, low):
    """A compensated sum's value: ``total + low``, or ``total`` itself where it is not finite (an
    infinite term leaves nan in ``low``)."""
    return total + low if math.isfinite(total) else total


@jit
def normaliser(values, encoding, top):
    """A logit row's normaliser Σe = 1 + the others (accurate.logit_rows), ``top`` its maximum: returns
    (1 + others, log1p(others)). The chunks' sums are added compensated (Knuth's two_sum), the
    maxima after the first as 1 each."""
    total, low, ties = 0.0, 0.0, 0
    for start in range(0, values.shape[0], CHUNK):
        chunk, chunk_ties = exps_total(values, encoding, top, start, min(start + CHUNK, values.shape[0]))
        total, low = two_add(total, low, chunk)
        ties += chunk_ties
    total, low = two_add(total, low, ties - 1.0)
    others = compensated(total, low)
    return 1.0 + others, math.log1p(others)


@jit
def softmax_row(z, e):
    """One float64 logit row's softmax (accurate.logit_rows): e = exp(head)·(1 + tail) into ``e``;
    returns (the maximum, 1 + others = Σe, log1p(others)), as :func:`normaliser`."""
    top = row_top(z, 0)
    norm, log_total = normaliser(z, 0, top)
    for i in range(z.shape[0]):
        value, tie = _e(z, i, 0, top)
        e[i] = 1.0 if tie else value
    return top, norm, log_total


@jit(fma=True)
def pair_terms(pv, p_encoding, qv, q_encoding, start, stop, p_row, q_row, buffers):
    """The element terms of two logit rows ``pv``, ``qv`` at ``start:stop`` (accurate.py's, every case
    a select), into ``buffers`` from index 0: x = log(p/q), p, q, −p·log p, −p·log q. ``p_row``,
    ``q_row``: (top, 1 + others, log1p(others)) of :func:`normaliser`. One loop (calls inlined):
    SIMD code."""
    top_p, norm_p, lt_p = p_row
    top_q, norm_q, lt_q = q_row
    difference, per_p, per_q = lt_p - lt_q, 1.0 / norm_p, 1.0 / norm_q
    x_out, p_out, q_out, entropy, cross = buffers[0], buffers[1], buffers[2], buffers[3], buffers[4]
    for i in range(start, stop):
        zp, zq = decoded(pv, i, p_encoding), decoded(qv, i, q_encoding)
        hp, tp = shifted(zp, top_p)
        hq, tq = shifted(zq, top_q)
        p = exp_nonpositive(hp) * (1.0 + tp) * per_p  # e/Σe within 1.5 ulp: a multiplication, no division
        q = exp_nonpositive(hq) * (1.0 + tq) * per_q
        null_p, null_q = zp == -math.inf, zq == -math.inf
        x = ((hp - hq) - difference) + (tp - tq)
        j = i - start
        x_out[j] = math.inf if null_q and not null_p else -math.inf if null_p or p == 0.0 else x
        p_out[j], q_out[j] = p, q
        entropy[j] = p * -((hp - lt_p) + tp) + 0.0 if p > 0.0 else 0.0
        ce = p * -((hq - lt_q) + tq) + 0.0 if p > 0.0 else 0.0
        cross[j] = 0.0 if null_p else math.inf if null_q else ce


@jit(reorder=True)
def chunk_sum(values, count):
    """Σ ``values[:count]``, terms ≥ 0 (as :func:`exps_total`'s): SIMD code."""
    total = 0.0
    for j in range(count):
        total += values[j]
    return total


@jit
def series_size(x, count):
    """The largest |x| ≤ 1 of ``x[:count]`` (φ's series is taken there): on the bits of |x|, which
    order as integers do (SIMD code)."""
    key = 0
    for j in range(count):
        bits = bits_of_float(x[j]) & 0x7FFFFFFFFFFFFFFF
        bits = bits if bits <= 0x3FF0000000000000 else 0
        key = bits if bits > key else key
    return float_of_bits(key)


@jit
def phi_total(buffers, count):
    """Σ q·φ(p/q) of a chunk of :func:`pair_terms` (accurate.phi_terms, every term ≥ 0): φ(e^x) from its
    series where |x| ≤ 1, with 11 terms where the chunk's largest such |x| is at most 2^-3, else 20
    (at least as many as fused._phi_series takes for a relative 2^-57), else p·x − (p − q)."""
    if series_size(buffers[0], count) <= 2.0 ** -3:  # 5 or 8 terms would do below 2^-6: each loop costs compiling
        return _phi_sum(buffers, count, 11)
    return _phi_sum(buffers, count, 20)


@jit(reorder=True)
def _phi_sum(buffers, count, terms):
    """:func:`phi_total` with ``terms`` terms of the series (a constant where it is called: SIMD code)."""
    total = 0.0
    for j in range(count):
        total += _phi(buffers[0, j], buffers[1, j], buffers[2, j], terms)
    return total


@jit(fma=True)
def _phi(x, p, q, terms):
    """q·φ(p/q) with ``terms`` terms of φ's series, never negative; x = log(p/q)."""
    series = _PHI[terms - 1]
    for k in range(terms - 2, -1, -1):
        series = series * x + _PHI[k]
    phi = q * (x * x * series) if abs(x) <= 1.0 else p * x - (p - q)
    return math.inf if x == math.inf else q if p == 0.0 else phi


@jit
def kl_terms(buffers, count, out):
    """p·log(p/q) of a chunk of :func:`pair_terms` into ``out`` (0 where p = 0), as accurate.kl_terms."""
    for j in range(count):
        p = buffers[1, j]
        out[j] = p * buffers[0, j] if p > 0.0 else 0.0
