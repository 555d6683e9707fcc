"""The entropy estimators of divcli.numerics.estimators against their formulas computed here in plain
float64 loops, and against values worked out by hand from R's ``entropy`` package (1.3.2) source:
``entropy.MillerMadow``, ``entropy.ChaoShen``, ``freqs.shrink``/``get.lambda.shrink``; the jackknife
against N explicit deletions."""

from __future__ import annotations

import math


import numpy as np
import pytest

from divcli.numerics import estimators
from helpers.extras import needs

pytestmark = pytest.mark.numeric

CASES = [
    [3, 1, 0],
    [5, 5, 2],
    [1, 1, 1, 1],      # every sample a singleton
    [7, 0, 0],         # every sample in one class
    [1],               # one sample
    [2, 0, 1, 0, 9, 1, 1],
    [100, 3, 1, 1, 40],
]


def _plugin(counts):
    n = sum(counts)
    return -sum(c / n * math.log(c / n) for c in counts if c)


def _miller_madow(counts):
    return _plugin(counts) + (sum(1 for c in counts if c) - 1) / (2 * sum(counts))


def _chao_shen(counts):  # R's entropy.ChaoShen, line by line
    yx = [c for c in counts if c > 0]
    n = sum(yx)
    f1 = sum(1 for c in yx if c == 1)
    if f1 == n:
        f1 = n - 1
    coverage = 1 - f1 / n
    total = 0.0
    for c in yx:
        pa = coverage * c / n
        total -= pa * math.log(pa) / (1 - (1 - pa) ** n)
    return total


def _shrink(counts):  # R's freqs.shrink with get.lambda.shrink, then entropy.plugin
    n, k = sum(counts), len(counts)
    u = [c / n for c in counts]
    if n <= 1:
        lam = 1.0
    else:
        variance = sum(x * (1 - x) / (n - 1) for x in u)
        misfit = sum((x - 1 / k) ** 2 for x in u)
        lam = 1.0 if misfit == 0 else min(1.0, max(0.0, variance / misfit))
    shrunk = [lam / k + (1 - lam) * x for x in u]
    return -sum(x * math.log(x) for x in shrunk if x > 0)


def _exact_plugin(counts):
    mpmath = needs("mpmath")
    n = mpmath.mpf(sum(counts))
    return -sum(c / n * mpmath.log(c / n) for c in map(mpmath.mpf, counts) if c)


def _jackknife(counts):  # N explicit deletions, in mpmath (N·Ĥ − (N − 1)·mean cancels in float64)
    n = sum(counts)
    if n == 1:
        return _plugin(counts)
    mpmath = needs("mpmath")
    with mpmath.workdps(50):
        deleted = []
        for k, c in enumerate(counts):
            for _ in range(c):
                fewer = list(counts)
                fewer[k] -= 1
                deleted.append(_exact_plugin(fewer))
        return float(n * _exact_plugin(counts) - (n - 1) * mpmath.fsum(deleted) / n)


@pytest.mark.parametrize("counts", [[10 ** 12, 3, 1], [10 ** 9, 10 ** 9, 1], [10 ** 6, 1], [100000, 1],
                                    [500000, 300000, 200000]], ids=str)
def test_the_jackknife_keeps_its_digits_for_large_samples(counts):
    """Deleting any sample of class k leaves the same counts, so the N deletions are one per class,
    weighted by nₖ (in mpmath). As N·Ĥ − (N − 1)·mean in float64 the jackknife was −9e-5 nats at
    N = 10¹², and wrong from the 6th digit at N = 2·10⁹."""
    mpmath = needs("mpmath")
    with mpmath.workdps(60):
        n = sum(counts)
        deleted = mpmath.fsum(c * _exact_plugin([d - (j == k) for j, d in enumerate(counts)])
                              for k, c in enumerate(counts) if c)
        expected = float(n * _exact_plugin(counts) - (n - 1) * deleted / n)
    assert estimators.jackknife(np.array(counts))[0] == pytest.approx(expected, rel=1e-13)


REFERENCES = {"plugin": _plugin, "miller-madow": _miller_madow, "chao-shen": _chao_shen, "shrink": _shrink,
              "jackknife": _jackknife}


@pytest.mark.parametrize("name", estimators.ESTIMATORS)
@pytest.mark.parametrize("counts", CASES, ids=str)
def test_each_estimator_is_its_formula(name, counts):
    got = estimators.estimate(name, np.array(counts))
    assert got.shape == (1,)
    assert got[0] == pytest.approx(REFERENCES[name](counts), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("name", estimators.ESTIMATORS)
def test_rows_are_independent(name):
    """A rows × classes table gives each row's value, whatever the other rows hold."""
    table = np.array([[3, 1, 0, 0], [5, 5, 2, 1], [0, 0, 4, 0]], dtype=np.int64)
    got = estimators.estimate(name, table)
    expected = [REFERENCES[name](list(row)) for row in table]
    assert got == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_hand_values_from_r_source():
    """Values worked by hand from R's code, in closed form."""
    plug = 0.75 * math.log(4 / 3) + 0.25 * math.log(4)
    # entropy.MillerMadow(c(3,1,0)): m = 2 classes seen, N = 4
    assert estimators.miller_madow([3, 1, 0])[0] == pytest.approx(plug + 1 / 8, rel=1e-14)
    # entropy.ChaoShen(c(1,1,1)): f1 = n = 3 → 2, C = 1/3, pa = 1/9, la = 1 − (8/9)³ = 217/729
    assert estimators.chao_shen([1, 1, 1])[0] == pytest.approx(243 / 217 * math.log(9), rel=1e-14)
    # entropy.ChaoShen(c(3,1)): f1 = 1, C = 3/4, pa = (9/16, 3/16)
    pa = (9 / 16, 3 / 16)
    cs = -sum(x * math.log(x) / (1 - (1 - x) ** 4) for x in pa)
    assert estimators.chao_shen([3, 1])[0] == pytest.approx(cs, rel=1e-14)
    # entropy.shrink(c(3,1,0)): λ = 0.125 / (7/24) = 3/7, shrunk frequencies (4/7, 2/7, 1/7)
    assert estimators.shrinkage_intensity([3, 1, 0])[0] == pytest.approx(3 / 7, rel=1e-14)
    shrunk = -sum(x * math.log(x) for x in (4 / 7, 2 / 7, 1 / 7))
    assert estimators.shrink([3, 1, 0])[0] == pytest.approx(shrunk, rel=1e-14)
    # the jackknife of (3, 1): deleting an a gives (2, 1), deleting the b gives (3, 0)
    h21 = math.log(3) - 2 * math.log(2) / 3
    assert estimators.jackknife([3, 1])[0] == pytest.approx(4 * plug - 3 * (3 * h21) / 4, rel=1e-14)


def test_edge_cases():
    # every sample in one class: 0 for every estimator but the shrinkage towards uniform
    for name in ("plugin", "miller-madow", "chao-shen", "jackknife"):
        assert estimators.estimate(name, [[7, 0, 0]])[0] == pytest.approx(0.0, abs=1e-15), name
    # one sample: λ = 1, so the shrinkage estimate is the uniform's log K
    assert estimators.shrink([[1, 0, 0]])[0] == pytest.approx(math.log(3), rel=1e-14)
    # uniform counts: misfit 0, λ = 1, log K
    assert estimators.shrink([[2, 2, 2, 2]])[0] == pytest.approx(math.log(4), rel=1e-14)
    # zero columns do not change Miller–Madow, Chao–Shen, the jackknife or the plug-in
    for name in ("plugin", "miller-madow", "chao-shen", "jackknife"):
        assert estimators.estimate(name, [[0, 3, 0, 1, 0]])[0] == pytest.approx(
            estimators.estimate(name, [[3, 1]])[0], rel=1e-14), name
    # the corrections raise the plug-in on a small sample
    small = [[2, 1, 1, 0, 0]]
    plug = estimators.plugin(small)[0]
    for name in ("miller-madow", "chao-shen", "jackknife", "shrink"):
        assert estimators.estimate(name, small)[0] > plug, name


def test_miller_madow_in_bits():
    """The correction is in nats with the rest: in bits both are divided by log 2 (the slip of
    adding (m − 1)/(2N) to a value in bits gives another number, which this tells apart)."""
    bits = estimators.miller_madow([3, 1, 0])[0] / math.log(2)
    plug_bits = (0.75 * math.log2(4 / 3) + 0.25 * math.log2(4))
    assert bits == pytest.approx(plug_bits + 1 / (8 * math.log(2)), rel=1e-14)
    assert abs(bits - (plug_bits + 1 / 8)) > 0.05
