"""A natural log that the compiler turns into SIMD code, for the fused kernel's loops over probability
rows (:mod:`divcli.numerics.fused_probs`): the C library's ``log`` is a call, and a loop that calls
anything is not vectorised.

It is fdlibm's (as musl has it), without branches: the exponent k and the mantissa m ∈ [√2/2, √2)
from the float's bits (a subnormal scaled by 2^54 first), then log(1 + f), f = m − 1, as 2·atanh(s)
with s = f/(2 + f) and a degree-14 odd polynomial, and k·ln 2 in two parts. Its error is below 1 ulp
(the C library's is below 0.52): tests/numerics/test_fused_log.py measures both against exact values.
:func:`log1p_of` gives log(1 + t) from 1 + t rounded and its rounding error, as fdlibm's log1p does.
"""

from __future__ import annotations

import math

from .fused_values import bits_of_float, float_of_bits, inlined

_LN2_HIGH = 6.93147180369123816490e-01  # ln 2 to 32 bits: k·_LN2_HIGH is exact for |k| < 2^21
_LN2_LOW = 1.90821492927058770002e-10  # ln 2 − _LN2_HIGH
# fdlibm's minimax coefficients of (log(1 + f) − 2s)/s ≈ Σ Lg_j·s^(2j), |s| ≤ 0.1716 (|f| ≤ √2 − 1)
_LG1, _LG2, _LG3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LG4, _LG5, _LG6 = 2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_TINY = 2.2250738585072014e-308  # the smallest normal float64
_SUBNORMAL_SCALE = 2.0 ** 54
_OFFSET = (0x3FF00000 - 0x3FE6A09E) << 32  # moves the exponent's step from 2 to √2 (the high bits of √2/2)
_MANTISSA = (1 << 52) - 1
_SQRT_HALF_BITS = 0x3FE6A09E << 32


@inlined
def log_plus(x, correction):
    """log(x) + ``correction`` (a term below ulp(1) of x's log-scale, added before the last roundings,
    as fdlibm's log1p adds its c) for x ≥ 0: −inf at 0, +inf at +inf, nan below 0 or at nan."""
    small = x < _TINY
    y = x * _SUBNORMAL_SCALE if small else x
    bits = bits_of_float(y) + _OFFSET
    k = (bits >> 52) - 1023 - (54 if small else 0)
    f = float_of_bits((bits & _MANTISSA) + _SQRT_HALF_BITS) - 1.0
    half_square = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    odd = w * (_LG2 + w * (_LG4 + w * _LG6))
    even = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    dk = float(k)
    result = s * (half_square + (even + odd)) + (dk * _LN2_LOW + correction) - half_square + f + dk * _LN2_HIGH
    result = -math.inf if x == 0.0 else result
    result = x if x == math.inf else result
    return result if x >= 0.0 else math.nan


@inlined
def log_of(x):
    """log(x) for x ≥ 0, within 1 ulp: −inf at 0, +inf at +inf, nan below 0 or at nan."""
    return log_plus(x, 0.0)


@inlined
def log1p_of(t):
    """log(1 + t) for t ≥ −1, within 1 ulp, also where t is tiny: log(u) of u = 1 + t rounded,
    plus (t − (u − 1))/u, the rounding's error (exact for |t| ≤ 1: u − 1 has no rounding then)."""
    u = 1.0 + t
    return log_plus(u, (t - (u - 1.0)) / u if math.isfinite(u) and u > 0.0 else 0.0)
