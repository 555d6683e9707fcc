"""llama.cpp's floor: a dump stores every token below the top log-prob − 16 at that floor. divcli lm
takes the floored tokens as one tail cell (the mass 1 − Σ p above the floor), as it does top-k
lists' unlisted tokens. Checked on a synthetic 128k vocabulary of confident models (most tokens
floored): every position's KL against a plain computation of the coarsened distributions, and the
mean against the float64 KL of the logits the dumps were made from, which reading the floored
tokens as logits misses by about 1% (two dumps) or overstates many times (a dump against logits)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.kld_files import dump, read_kld, text_for
from helpers.lm_data import log_softmax, model_outputs

pytestmark = pytest.mark.numeric

VOCABULARY = 1 << 17
N_CTX = 5  # each chunk scores 2 positions


@pytest.fixture(scope="module")
def floored(tmp_path_factory):
    """Dumps of 12 positions over 131,072 tokens of models sure of their next token (a Zipf law of
    exponent 2.5: about 99% of the tokens at the floor), the candidate's logits as a .npy, and the
    float64 KL per position of the logits the dumps were made from."""
    folder = tmp_path_factory.mktemp("floor")
    base, candidate, labels = model_outputs(12, VOCABULARY, seed=1, exponent=2.5)
    base, candidate = base.astype(np.float32), candidate.astype(np.float32)
    tokens = text_for(labels, N_CTX, VOCABULARY)
    dump(folder / "base.kld", tokens, base)
    dump(folder / "candidate.kld", tokens, candidate)
    np.save(folder / "candidate.npy", candidate)
    log_p, log_q = log_softmax(base.astype(np.float64)), log_softmax(candidate.astype(np.float64))
    return folder, np.sum(np.exp(log_p) * (log_p - log_q), axis=1), log_q


def _masses(log_p: np.ndarray, floored: np.ndarray | None, rest: np.ndarray):
    """One side's coarsened distribution, plainly: its probabilities of the tokens outside ``rest``
    and its mass of ``rest`` (the tokens above its floor as they are, its floored ones together
    1 − Σ p above the floor, between one and all of them at the floor), both ÷ their total."""
    p = np.exp(log_p)
    if floored is None:  # full logits: every token's own probability
        floored, tail = np.zeros(p.size, dtype=bool), 0.0
    else:
        floor = np.exp(log_p.min())
        tail = min(max(1.0 - p[~floored].sum(), floor), floored.sum() * floor)
    own = p[~rest]
    in_rest = p[rest & ~floored].sum() + tail
    total = own.sum() + in_rest
    return own / total, in_rest / total


def coarsened_kl(log_p, log_q, p_dump: bool, q_dump: bool) -> np.ndarray:
    """The KL of the coarsened distributions per position: Σ p·ln(p/q) over the tokens neither side
    floors, plus P(rest)·ln(P(rest)/Q(rest))."""
    found = []
    for row_p, row_q in zip(log_p, log_q):
        floors = [row == row.min() if dump and row.max() - row.min() >= 16 - 1e-3 else None
                  for row, dump in ((row_p, p_dump), (row_q, q_dump))]
        rest = np.zeros(row_p.size, dtype=bool)
        for mask in floors:
            rest |= mask if mask is not None else False
        (p, p_rest), (q, q_rest) = _masses(row_p, floors[0], rest), _masses(row_q, floors[1], rest)
        found.append(np.sum(p * np.log(p / q)) + (p_rest * np.log(p_rest / q_rest) if rest.any() else 0.0))
    return np.array(found)


def _kl_rows(run, *args) -> np.ndarray:
    result = run("lm", *args, "--reduction", "row", "-q")
    assert result.exit_code == 0, result.stderr
    return np.array([float(line) for line in result.stdout.split()])


def test_two_dumps_give_the_kl_of_the_coarsened_distributions(run, floored):
    folder, exact, _ = floored
    p, _, _ = read_kld(folder / "base.kld")
    q, _, _ = read_kld(folder / "candidate.kld")
    assert np.mean(p == p.min(axis=1, keepdims=True)) > 0.95  # most tokens at the floor
    found = _kl_rows(run, folder / "base.kld", folder / "candidate.kld")
    assert np.allclose(found, coarsened_kl(p, q, True, True), rtol=1e-9, atol=0)
    assert abs(found.mean() / exact.mean() - 1) < 5e-4  # 0.002% here; −1.1% with the floor read as logits
    as_logits = log_softmax(p), log_softmax(q)
    old = np.sum(np.exp(as_logits[0]) * (as_logits[0] - as_logits[1]), axis=1)
    assert old.mean() / exact.mean() - 1 < -5e-3


def test_a_dump_beside_logits_gives_the_kl_of_the_coarsened_distributions(run, floored):
    folder, exact, log_q = floored
    p, _, _ = read_kld(folder / "base.kld")
    found = _kl_rows(run, folder / "base.kld", folder / "candidate.npy")
    assert np.allclose(found, coarsened_kl(p, log_q, True, False), rtol=1e-9, atol=0)
    assert abs(found.mean() / exact.mean() - 1) < 5e-4  # 0.001% here; +39% with the floor read as logits
    as_logits = log_softmax(p)
    old = np.sum(np.exp(as_logits) * (as_logits - log_q), axis=1)
    assert old.mean() / exact.mean() - 1 > 0.2


def test_the_same_dump_twice_is_still_zero_and_the_top_tokens_are_the_stored_ones(run_json, floored):
    folder, *_ = floored
    statistics = run_json("lm", folder / "base.kld", folder / "base.kld")["statistics"]
    assert statistics["kl_max"] == 0 and statistics["kl_min"] == 0 and statistics["same_top"] == 1
    p, labels, _ = read_kld(folder / "base.kld")
    q, _, _ = read_kld(folder / "candidate.kld")
    rows = run_json("lm", folder / "base.kld", folder / "candidate.kld", "--reduction", "row")["rows"]
    assert [row["p_top"] for row in rows] == np.argmax(p, axis=1).tolist()
    assert [row["q_top"] for row in rows] == np.argmax(q, axis=1).tolist()
    assert [row["label"] for row in rows] == labels.tolist()
