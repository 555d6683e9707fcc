"""``divcli lm``'s statistics, from the per-position values of a whole run: plain numpy, in float64.

The definitions are those of llama.cpp's ``llama-perplexity --kl-divergence`` (its perplexity tool),
computed from the values kept for every position rather than from running sums:

- a mean's standard error is the sample standard deviation over √n: ``std(x, ddof=1) / √n``
  (llama.cpp's ``sqrt((Σx²/n − m²)/(n − 1))``, the same number), for 2 positions or more (None for one);
- percentiles are numpy's default, linear interpolation between the sorted values at ``q·(n − 1)``
  (llama.cpp's too); the median is the 50th;
- the share of positions whose top tokens agree, f, has the standard error ``√(f(1 − f)/(n − 1))``;
- with labels, per position ``nll = −log p(label)``: PPL = exp(mean nll) ± PPL·SE(nll); the
  correlation of the two models' nll over the positions (Pearson's); ln(PPL(Q)/PPL(P)) is the mean
  of ``nll_q − nll_p`` ± its standard error; the ratio exp of it ± ratio·SE; the difference
  PPL(Q) − PPL(P) ± √(SE_Q² + SE_P² − 2·PPL_Q·PPL_P·cov), cov the covariance of the two means
  (the sample covariance of nll_p and nll_q over n);
- Δp = q(label) − p(label): mean ± SE, RMS = √mean(Δp²) ± SE(Δp²)/(2·RMS), and its percentiles.
"""

from __future__ import annotations

import math

import numpy as np

#: The percentiles of KL(P‖Q) reported, as (JSON key, percent), from the largest down.
KL_PERCENTILES = (("kl_p99_9", 99.9), ("kl_p99", 99.0), ("kl_p95", 95.0), ("kl_p90", 90.0),
                  ("kl_median", 50.0), ("kl_p10", 10.0), ("kl_p5", 5.0), ("kl_p1", 1.0), ("kl_p0_1", 0.1))
#: The percentiles of Δp reported (llama.cpp's set).
DELTA_P_PERCENTILES = (("delta_p_p99_9", 99.9), ("delta_p_p99", 99.0), ("delta_p_p95", 95.0),
                       ("delta_p_p90", 90.0), ("delta_p_p75", 75.0), ("delta_p_median", 50.0),
                       ("delta_p_p25", 25.0), ("delta_p_p10", 10.0), ("delta_p_p5", 5.0), ("delta_p_p1", 1.0),
                       ("delta_p_p0_1", 0.1))


def standard_error(values: np.ndarray) -> float | None:
    """The standard error of the mean of ``values``: ``std(ddof=1) / √n``; None for fewer than 2."""
    n = values.size
    if n < 2:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.std(values, ddof=1) / math.sqrt(n))


def _percentiles(values: np.ndarray, wanted) -> dict[str, float]:
    """numpy's default (linear) percentiles of ``values``, each under its key. Where the value below
    or above is infinite (a KL of +inf), numpy's interpolation gives nan: the percentile is then
    that neighbour (an exact rank takes the value there, a fraction past a finite value reaches +inf)."""
    percents = [percent for _, percent in wanted]
    with np.errstate(invalid="ignore"):
        found = np.percentile(values, percents)
    if np.isnan(found).any() and not np.isnan(values).any():
        exact = [percent / 100 * (values.size - 1) % 1 == 0 for percent in percents]
        lower, higher = np.percentile(values, percents, method="lower"), np.percentile(values, percents, method="higher")
        found = np.where(np.isnan(found), np.where(exact, lower, higher), found)
    return {key: float(value) for (key, _), value in zip(wanted, found)}


def kl_statistics(kl: np.ndarray) -> dict[str, float | None]:
    """Mean ± SE, max, the percentiles and min of KL(P‖Q) per position."""
    with np.errstate(invalid="ignore"):
        document = {"kl_mean": float(np.mean(kl)), "kl_se": standard_error(kl), "kl_max": float(np.max(kl))}
        document.update(_percentiles(kl, KL_PERCENTILES))
    document["kl_min"] = float(np.min(kl))
    return document


def same_top_statistics(same: int, positions: int) -> dict[str, float | None]:
    """The share of positions whose top tokens agree, ± its standard error (None for one position)."""
    share = same / positions
    error = math.sqrt(share * (1.0 - share) / (positions - 1)) if positions > 1 else None
    return {"same_top": share, "same_top_se": error}


def _covariance_of_means(a: np.ndarray, b: np.ndarray) -> float:
    """The covariance of the means of ``a`` and ``b``: their sample covariance ÷ n (0 for one position)."""
    n = a.size
    if n < 2:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.sum((a - a.mean()) * (b - b.mean())) / (n - 1) / n)


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson's correlation of ``a`` and ``b``; None when either is constant (or one position)."""
    if a.size < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        da, db = a - a.mean(), b - b.mean()
        scale = math.sqrt(float(np.sum(da * da)) * float(np.sum(db * db)))
        if not scale or not math.isfinite(scale):
            return None
        return float(np.sum(da * db)) / scale


def _exp(x: float) -> float:
    """e^x, +inf past float64's range (math.exp raises there)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _times(value: float, error: float | None) -> float | None:
    return None if error is None else value * error


def perplexity_statistics(nll_p: np.ndarray, nll_q: np.ndarray) -> dict[str, float | None]:
    """PPL(P), PPL(Q), their ratio and difference with standard errors, the correlation of the
    per-position ln PPL, and Δp's statistics, from ``nll = −log p(label)`` per position."""
    with np.errstate(over="ignore", invalid="ignore"):
        se_p, se_q = standard_error(nll_p), standard_error(nll_q)
        ppl_p, ppl_q = _exp(float(np.mean(nll_p))), _exp(float(np.mean(nll_q)))
        difference = nll_q - nll_p
        ln_ratio, ln_ratio_se = float(np.mean(difference)), standard_error(difference)
        ratio = _exp(ln_ratio)
        ppl_p_se, ppl_q_se = _times(ppl_p, se_p), _times(ppl_q, se_q)
        diff_se = None
        if ppl_p_se is not None:
            variance = ppl_q_se ** 2 + ppl_p_se ** 2 - 2.0 * ppl_q * ppl_p * _covariance_of_means(nll_p, nll_q)
            diff_se = math.sqrt(max(variance, 0.0)) if not math.isnan(variance) else math.nan
        document = {
            "ppl_p": ppl_p, "ppl_p_se": ppl_p_se, "ppl_q": ppl_q, "ppl_q_se": ppl_q_se,
            "ln_ppl_correlation": _correlation(nll_p, nll_q),
            "ln_ppl_ratio": ln_ratio, "ln_ppl_ratio_se": ln_ratio_se,
            "ppl_ratio": ratio, "ppl_ratio_se": _times(ratio, ln_ratio_se),
            "ppl_diff": ppl_q - ppl_p, "ppl_diff_se": diff_se,
        }
    document.update(delta_p_statistics(np.exp(-nll_q) - np.exp(-nll_p)))
    return document


def delta_p_statistics(delta: np.ndarray) -> dict[str, float | None]:
    """Δp = q(label) − p(label) per position: mean ± SE, RMS ± SE, max, the percentiles, min."""
    squares = delta * delta
    rms = math.sqrt(float(np.mean(squares)))
    squares_se = standard_error(squares)
    document = {"delta_p_mean": float(np.mean(delta)), "delta_p_se": standard_error(delta),
                "delta_p_rms": rms, "delta_p_rms_se": None if squares_se is None or not rms else squares_se / (2 * rms),
                "delta_p_max": float(np.max(delta))}
    document.update(_percentiles(delta, DELTA_P_PERCENTILES))
    document["delta_p_min"] = float(np.min(delta))
    return document
