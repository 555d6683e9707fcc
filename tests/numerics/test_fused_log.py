"""The fused kernel's own log (divcli/numerics/fused_log.py), in a loop the compiler vectorises as the
kernel's are: within 1 ulp of the C library's (math.log) and of the exact value, over a sweep of
subnormals, powers of two, 1 ± a few ε, the largest floats; its special values exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.extras import needs

pytestmark = pytest.mark.numeric


def in_a_loop(name: str):
    """``divcli.numerics.fused_log.<name>`` over an array, in a loop compiled as the kernels' are."""
    numba = needs("numba")
    from divcli.numerics import fused_log

    function = getattr(fused_log, name)

    @numba.njit(fastmath={"contract"}, error_model="numpy")
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = function(x[i])

    def apply(x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        loop(x, out)
        return out
    return apply


def sweep() -> np.ndarray:
    rng = np.random.default_rng(11)
    eps = np.finfo(np.float64).eps
    return np.concatenate([
        np.exp(rng.uniform(-745.0, 709.7, 40000)),  # every binade, subnormals included
        2.0 ** np.arange(-1074, 1024, dtype=np.float64),
        1.0 + eps * np.arange(-64, 65) / 2, 1.0 + rng.uniform(-1e-3, 1e-3, 4000),
        rng.uniform(0.0, 2.3e-308, 2000), np.array([5e-324, 1e-323, 2.2250738585072014e-308, 2.225073858507201e-308]),
        np.array([1.7976931348623157e308, 1e308, 0.7071067811865476, 0.7071067811865475, 1.4142135623730951,
                  1.414213562373095, 2.0 - eps, 0.5 + eps / 4]),
    ])


def ulps_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a − b| in units of the last place of ``b`` (of the smallest subnormal where ``b`` is 0)."""
    unit = np.spacing(np.abs(b))
    return np.abs(a - b) / np.where(b == 0, 5e-324, unit)


def test_log_is_within_an_ulp_of_the_c_library_and_of_the_exact_value():
    x = sweep()
    ours = in_a_loop("log_of")(x)
    libm = np.array([math.log(v) for v in x])
    assert np.max(ulps_apart(ours, libm)) <= 1.0
    assert np.count_nonzero(ours != libm) < 0.2 * x.size  # mostly the same bits
    if np.finfo(np.longdouble).nmant >= 63:  # x86's 80-bit long double: 11 bits more than float64
        exact = np.log(x.astype(np.longdouble))
        assert np.max(np.abs(ours - exact) / np.spacing(np.abs(exact.astype(np.float64)))) < 0.8
    assert ours[np.flatnonzero(x == 1.0)[0]] == 0.0


def test_log_of_the_special_values():
    ours = in_a_loop("log_of")(np.array([0.0, -0.0, np.inf, -1.0, -np.inf, np.nan, 1.0]))
    assert ours[0] == ours[1] == -np.inf and ours[2] == np.inf and ours[6] == 0.0
    assert np.all(np.isnan(ours[3:6]))


def test_log1p_keeps_the_digits_of_a_tiny_argument():
    rng = np.random.default_rng(12)
    t = np.concatenate([rng.uniform(-0.5, 0.5, 20000), 10.0 ** rng.uniform(-320, -0.3, 5000) * rng.choice([-1, 1], 5000),
                        np.array([0.0, 1e-320, -1e-320, 2.0 ** -53, -(2.0 ** -54)])])
    ours = in_a_loop("log1p_of")(t)
    libm = np.array([math.log1p(v) for v in t])
    assert np.max(ulps_apart(ours, libm)) <= 1.5
    assert ours[-5] == 0.0 and ours[-4] == 1e-320 and ours[-3] == -1e-320
    assert in_a_loop("log1p_of")(np.array([-1.0]))[0] == -np.inf
