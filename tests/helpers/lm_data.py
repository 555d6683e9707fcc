"""Two language models' outputs made up, without a model or a download: ``divcli lm``'s test data and
its samples (``python tests/helpers/lm_data.py`` writes samples/base.npy, samples/candidate.npy and
samples/tokens.csv).

The base model's logits at each position rank the vocabulary in a random order and give the token
of rank r the logit −s·ln r (a Zipf law), plus a little noise; the candidate's are the base's as a
quantized model would give them: rounded to a grid, with a per-position offset and noise, and at a
few positions its two best tokens swapped. The labels are drawn from the base model's distribution.
And the statistics of ``divcli lm``, plainly in float64 numpy, to check it against.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def model_outputs(positions: int, vocabulary: int, seed: int = 0, exponent: float = 1.1,
                  swapped: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(base logits, candidate logits, labels): float64 logits of shape (positions, vocabulary) and
    one token id a position."""
    rng = np.random.default_rng(seed)
    ranks = np.argsort(rng.random((positions, vocabulary)), axis=1) + 1
    base = -exponent * np.log(ranks) + rng.normal(scale=0.3, size=(positions, vocabulary))
    candidate = np.round(base * 4) / 4 + rng.normal(scale=0.1, size=(positions, 1)) \
        + rng.normal(scale=0.15, size=(positions, vocabulary))
    for row in np.flatnonzero(rng.random(positions) < swapped):
        first, second = np.argsort(candidate[row])[::-1][:2]
        candidate[row, [first, second]] = candidate[row, [second, first]]
    p = softmax(base)
    labels = np.array([rng.choice(vocabulary, p=row) for row in p])
    return base, candidate, labels


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def reference_statistics(p_logits: np.ndarray, q_logits: np.ndarray, labels: np.ndarray | None = None) -> dict:
    """Every statistic of ``divcli lm``, computed directly: float64 log-softmax, KL per position,
    numpy's percentiles, and llama.cpp's formulas for the standard errors (from running sums)."""
    p_logits, q_logits = np.asarray(p_logits, np.float64), np.asarray(q_logits, np.float64)
    log_p, log_q = log_softmax(p_logits), log_softmax(q_logits)
    kl = np.sum(np.exp(log_p) * (log_p - log_q), axis=1)
    n = kl.size

    def mean_and_error(x):
        m = np.sum(x) / n
        return m, np.sqrt((np.sum(x * x) / n - m * m) / (n - 1))

    found = {"positions": n}
    found["kl_mean"], found["kl_se"] = mean_and_error(kl)
    found["kl_max"], found["kl_min"] = kl.max(), kl.min()
    for key, q in (("kl_p99_9", 99.9), ("kl_p99", 99), ("kl_p95", 95), ("kl_p90", 90), ("kl_median", 50),
                   ("kl_p10", 10), ("kl_p5", 5), ("kl_p1", 1), ("kl_p0_1", 0.1)):
        found[key] = np.percentile(kl, q)
    same = np.argmax(p_logits, axis=1) == np.argmax(q_logits, axis=1)
    found["same_top"] = same.mean()
    found["same_top_se"] = np.sqrt(found["same_top"] * (1 - found["same_top"]) / (n - 1))
    if labels is None:
        return found
    every = np.arange(n)
    nll_p, nll_q = -log_p[every, labels], -log_q[every, labels]
    mean_p, se_p = mean_and_error(nll_p)
    mean_q, se_q = mean_and_error(nll_q)
    covariance = (np.sum(nll_p * nll_q) / n - mean_p * mean_q) / (n - 1)
    found.update(ppl_p=np.exp(mean_p), ppl_q=np.exp(mean_q))
    found.update(ppl_p_se=found["ppl_p"] * se_p, ppl_q_se=found["ppl_q"] * se_q)
    found["ln_ppl_correlation"] = covariance / (se_p * se_q)
    found["ln_ppl_ratio"] = mean_q - mean_p
    found["ln_ppl_ratio_se"] = np.sqrt(se_p ** 2 + se_q ** 2 - 2 * covariance)
    found["ppl_ratio"] = np.exp(found["ln_ppl_ratio"])
    found["ppl_ratio_se"] = found["ppl_ratio"] * found["ln_ppl_ratio_se"]
    found["ppl_diff"] = found["ppl_q"] - found["ppl_p"]
    found["ppl_diff_se"] = np.sqrt(found["ppl_q_se"] ** 2 + found["ppl_p_se"] ** 2
                                   - 2 * found["ppl_q"] * found["ppl_p"] * covariance)
    delta = np.exp(-nll_q) - np.exp(-nll_p)
    found["delta_p_mean"], found["delta_p_se"] = mean_and_error(delta)
    mse, mse_se = mean_and_error(delta ** 2)
    found["delta_p_rms"], found["delta_p_rms_se"] = np.sqrt(mse), 0.5 / np.sqrt(mse) * mse_se
    found["delta_p_max"], found["delta_p_min"] = delta.max(), delta.min()
    for key, q in (("p99_9", 99.9), ("p99", 99), ("p95", 95), ("p90", 90), ("p75", 75), ("median", 50),
                   ("p25", 25), ("p10", 10), ("p5", 5), ("p1", 1), ("p0_1", 0.1)):
        found[f"delta_p_{key}"] = np.percentile(delta, q)
    return {key: float(value) for key, value in found.items()}


def write_samples(folder: Path = SAMPLES) -> None:
    """The samples of the README: 16 positions over a vocabulary of 50 tokens, float16 logits."""
    base, candidate, labels = model_outputs(16, 50, seed=2024)
    np.save(folder / "base.npy", base.astype(np.float16))
    np.save(folder / "candidate.npy", candidate.astype(np.float16))
    (folder / "tokens.csv").write_text("".join(f"{label}\n" for label in labels), encoding="utf-8")


if __name__ == "__main__":
    write_samples()
