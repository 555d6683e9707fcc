"""p-values of the tests divcli reports beside its divergences: the χ² (or G) test of homogeneity of
count vectors, and the two-sample Kolmogorov–Smirnov test from its statistic and sample sizes.

The statistics are computed here with numpy, so they exist without SciPy; the p-values need SciPy
(the ``stats`` extra, ``pip install 'divcli[stats]'``), which is imported only when a p-value is
asked for, in :func:`p_value_of_chi2` and :func:`ks_p_value`. Without it a p-value is ``None`` and
:data:`NO_SCIPY` says how to get it: a JSON output writes ``null``, a table or CSV the note.

- **Homogeneity** (:func:`homogeneity`): are the rows of an R × K table of counts (two samples'
  counts per bin or category: R = 2) draws from one distribution? Pearson's statistic
  Σ (O − E)² / E, or the G statistic 2 Σ O ln(O / E), with E the counts expected from the row and
  column totals, on (R − 1)(K − 1) degrees of freedom: SciPy's ``chi2_contingency(table,
  correction=False)`` (``lambda_="log-likelihood"`` for G), which this matches to the last digits
  or so. A category no row has (a column of zeros) is left out and does not count in K; no Yates
  correction, on any table. A row of zeros (a sample with no counts) leaves nothing to test: the
  statistic and the p-value are NaN.
- **Kolmogorov–Smirnov** (:func:`ks_p_value`): the p-value of SciPy's ``ks_2samp(x, y)`` (two-sided,
  ``method="auto"``) for samples of sizes n and m whose statistic is D, without the samples: exact
  where both sizes are 10,000 or fewer, Smirnov's asymptotic distribution beyond
  (``kstwo.sf(D, round(n·m / (n + m)))``), as ``ks_2samp`` chooses. SciPy's exact computation is
  private, so for the exact case :func:`ks_p_value` hands ``ks_2samp`` two samples of zeros and ones
  whose statistic is D (the p-value depends only on D, n and m). Ties in the real samples do not
  change it: SciPy's p-value assumes continuous distributions either way.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from dataclasses import dataclass

import numpy as np

#: What a table or CSV shows in place of a p-value when SciPy is not installed.
NO_SCIPY = "p-values need SciPy: pip install 'divcli[stats]'"

#: ks_2samp's method="auto": exact p-values while both samples have at most this many values.
KS_EXACT_UP_TO = 10_000

#: The statistics of :func:`homogeneity`: Pearson's χ², and G (the log-likelihood ratio, twice the
#: counts times the KL divergence of the observed from the expected frequencies).
STATISTICS = ("pearson", "g")


@dataclass(frozen=True)
class TestResult:
    """A test's statistic, its degrees of freedom (None for Kolmogorov–Smirnov) and its p-value:
    None when SciPy is not installed (:data:`NO_SCIPY`), NaN when there was nothing to test."""

    statistic: float
    dof: int | None
    p_value: float | None


def scipy_installed() -> bool:
    """Whether SciPy can be imported, without importing it."""
    return importlib.util.find_spec("scipy") is not None


def homogeneity(table, statistic: str = "pearson", p_value: bool = True) -> TestResult:
    """The χ² (``statistic="pearson"``) or G (``"g"``) test of homogeneity of the rows of ``table``
    (R × K counts ≥ 0: two samples' counts per bin are R = 2); with ``p_value=False`` the statistic
    and degrees of freedom only, and SciPy is not imported."""
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, not {statistic!r}")
    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2 or not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("a table of counts: a 2-D array of finite numbers ≥ 0")
    counts = counts[:, counts.sum(axis=0) > 0]  # a category no sample has tells nothing
    rows = counts.sum(axis=1)
    dof = (counts.shape[0] - 1) * max(counts.shape[1] - 1, 0)
    if counts.shape[0] < 2 or np.any(rows == 0):
        return TestResult(math.nan, dof, math.nan if p_value else None)
    expected = np.outer(rows, counts.sum(axis=0)) / rows.sum()
    if statistic == "pearson":
        value = float(np.sum((counts - expected) ** 2 / expected))
    else:
        seen = counts > 0
        value = float(2 * np.sum(counts[seen] * np.log(counts[seen] / expected[seen])))
    return TestResult(value, dof, p_value_of_chi2(value, dof) if p_value else None)


def p_value_of_chi2(statistic: float, dof: int) -> float | None:
    """P(χ²(dof) ≥ statistic), SciPy's ``chi2.sf`` (1 for 0 degrees of freedom, as SciPy's
    ``chi2_contingency`` gives); None without SciPy."""
    if not scipy_installed():
        return None
    if math.isnan(statistic):
        return math.nan
    if dof == 0:
        return 1.0
    from scipy.stats import chi2

    return float(chi2.sf(statistic, dof))


def ks_p_value(statistic: float, n: int, m: int) -> float | None:
    """The two-sided p-value of the two-sample Kolmogorov–Smirnov statistic ``statistic`` (D, the
    largest distance between the two empirical distribution functions) of samples of ``n`` and ``m``
    values, as SciPy's ``ks_2samp`` gives it; None without SciPy, NaN where a sample is empty."""
    if not scipy_installed():
        return None
    if min(n, m) <= 0 or math.isnan(statistic):
        return math.nan
    if not 0 <= statistic <= 1:
        raise ValueError(f"a Kolmogorov–Smirnov statistic is between 0 and 1, not {statistic!r}")
    if max(n, m) > KS_EXACT_UP_TO:
        from scipy.stats import kstwo

        return float(np.clip(kstwo.sf(statistic, round(n * m / (n + m))), 0, 1))
    from scipy.stats import ks_2samp

    x, y = _samples_at_distance(statistic, n, m)
    with warnings.catch_warnings():  # SciPy's own fallback to the asymptotic p-value is its choice
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(ks_2samp(x, y).pvalue)


def _samples_at_distance(statistic: float, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Two samples of zeros and ones, of ``n`` and ``m`` values, whose Kolmogorov–Smirnov statistic
    is ``statistic`` rounded to a multiple of 1/lcm(n, m), as SciPy rounds it: ``a`` zeros out of
    ``n`` and ``b`` out of ``m`` with a/n − b/m = D, that is a·(m/g) − b·(n/g) = h for
    h = round(D·lcm), g = gcd(n, m); the least such ``a`` with ``b`` ≥ 0."""
    g = math.gcd(n, m)
    n_g, m_g = n // g, m // g
    h = round(statistic * n_g * m)
    a = h * pow(m_g, -1, n_g) % n_g if n_g > 1 else 0  # a·m_g ≡ h (mod n_g)
    if a * m_g < h:
        a += -(-(h - a * m_g) // (n_g * m_g)) * n_g
    b = (a * m_g - h) // n_g
    if a > n or b > m:
        raise ValueError(f"{statistic!r} is no Kolmogorov–Smirnov statistic of samples of {n} and {m} values")
    return np.repeat([0.0, 1.0], [a, n - a]), np.repeat([0.0, 1.0], [b, m - b])
