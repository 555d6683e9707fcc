"""divcli lm on llama.cpp's own dumps (``llama-perplexity --kl-divergence-base FILE``): every
statistic against a plain float64 numpy computation from the dequantised log-probs, the dumps'
tokens as labels (unless --labels), a dump beside another format, dumps of different texts,
vocabularies, contexts or lengths refused with the first position that differs, and how divcli's
numbers relate to llama.cpp's own formulas (whose smallest KL goes below zero)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.kld_files import dump, llama_kl, read_kld, text_for, write_kld
from helpers.lm_data import log_softmax, model_outputs, reference_statistics

pytestmark = pytest.mark.numeric

#: As in test_lm.py: per-position values within 1e-14 of exact, the reference's standard errors from
#: running sums.
RELATIVE = 1e-9
N_CTX = 21  # each chunk scores 10 positions


def close(found, expected, relative=RELATIVE):
    return abs(found - expected) <= relative * max(abs(expected), 1e-300) + 1e-300


def check_statistics(found: dict, expected: dict) -> None:
    wrong = {key: (found.get(key), value) for key, value in expected.items() if not close(found.get(key), value)}
    assert not wrong, wrong


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    """Two models' dumps on one text of 30 chunks (300 positions) over an odd vocabulary of 63 tokens
    (each record padded), their logits (float32, as a model gives them) and the labels."""
    folder = tmp_path_factory.mktemp("kld")
    base, candidate, labels = model_outputs(300, 63, seed=11)
    base, candidate = base.astype(np.float32), candidate.astype(np.float32)
    tokens = text_for(labels, N_CTX, 63, seed=3)
    dump(folder / "base.kld", tokens, base)
    dump(folder / "candidate.kld", tokens, candidate)
    np.save(folder / "candidate.npy", candidate)
    return folder, base, candidate, labels, tokens


def test_every_statistic_is_the_plain_computation_on_the_dequantised_log_probs(run_json, dumps):
    """The rows are minimum + scale·value, log-softmaxed (read as logits); the labels the tokens."""
    folder, *_ = dumps
    p, labels, _ = read_kld(folder / "base.kld")
    q, q_labels, _ = read_kld(folder / "candidate.kld")
    assert q_labels.tolist() == labels.tolist()
    document = run_json("lm", folder / "base.kld", folder / "candidate.kld")
    check_statistics(document["statistics"], reference_statistics(p, q, labels))
    assert document["labels"] == {"source": str(folder / "base.kld")} and document["n_positions"] == 300


def test_the_labels_are_the_token_after_each_scored_position(run_json, dumps):
    folder, _, _, labels, tokens = dumps
    rows = run_json("lm", folder / "base.kld", folder / "candidate.kld", "--reduction", "row")["rows"]
    assert [row["label"] for row in rows] == labels.tolist()
    assert rows[0]["label"] == tokens[0, N_CTX // 2 + 1] and rows[-1]["label"] == tokens[-1, -1]


def test_labels_given_replace_the_dumps_tokens(run_json, dumps, tmp_path):
    folder, *_ = dumps
    p, _, _ = read_kld(folder / "base.kld")
    q, _, _ = read_kld(folder / "candidate.kld")
    other = np.arange(300) % 63
    np.savetxt(tmp_path / "other.csv", other, fmt="%d")
    document = run_json("lm", folder / "base.kld", folder / "candidate.kld", "--labels", tmp_path / "other.csv")
    check_statistics(document["statistics"], reference_statistics(p, q, other))
    assert document["labels"] == {"source": str(tmp_path / "other.csv")}


def test_a_dump_beside_a_model_s_logits(run_json, dumps):
    """The candidate's own float32 logits against the base's dump: the dump's tokens are the labels."""
    folder, _, candidate, labels, _ = dumps
    p, _, _ = read_kld(folder / "base.kld")
    document = run_json("lm", folder / "base.kld", folder / "candidate.npy")
    check_statistics(document["statistics"], reference_statistics(p, candidate.astype(np.float64), labels))


def test_the_same_dump_twice_is_zero_where_llama_cpp_goes_below_zero(run_json, dumps):
    """A model against itself: divcli's KL is 0 at every position (the two rows are the same
    distribution); llama.cpp's, from the base's 16-bit log-probs as they are (not summing to 1) and the
    model's own logits, is a little off zero, below it at some positions."""
    folder, base, _, labels, _ = dumps
    statistics = run_json("lm", folder / "base.kld", folder / "base.kld")["statistics"]
    assert statistics["kl_max"] == 0 and statistics["kl_min"] == 0 and statistics["same_top"] == 1
    _, _, records = read_kld(folder / "base.kld")
    kl, _ = llama_kl(records, base, labels)
    assert kl.min() < 0 < kl.max() and np.abs(kl).max() < 1e-3


def test_divcli_and_llama_cpp_agree_to_the_dump_s_rounding(run_json, dumps):
    """On a vocabulary where nothing falls 16 below the top (no token clipped to the minimum), both
    numbers are the models' exact mean KL to within the 16-bit rounding of the log-probs."""
    folder, base, candidate, labels, _ = dumps
    log_p, log_q = log_softmax(base.astype(np.float64)), log_softmax(candidate.astype(np.float64))
    exact = np.sum(np.exp(log_p) * (log_p - log_q), axis=1)
    found = run_json("lm", folder / "base.kld", folder / "candidate.kld")["statistics"]
    _, _, records = read_kld(folder / "base.kld")
    llama, delta_p = llama_kl(records, candidate, labels)
    assert abs(found["kl_mean"] - exact.mean()) < 1e-3 * exact.mean()
    assert abs(llama.mean() - exact.mean()) < 1e-3 * exact.mean()
    assert abs(found["delta_p_mean"] - delta_p.mean()) < 1e-5


# --------------------------------------------------------------------------------------------
# what is refused


def _other(folder, name, tokens=None, logits=None, n_ctx=N_CTX):
    """A dump like the base's, with other tokens or logits."""
    p, labels, _ = read_kld(folder / "base.kld")
    text = text_for(labels, n_ctx, 63, seed=3) if tokens is None else tokens
    return dump(folder / name, text, p if logits is None else logits)


@pytest.mark.parametrize("chunk, index, position", [(0, 0, 1), (2, 5, 21), (2, 10, 21), (2, 11, 21), (2, 15, 25),
                                                    (29, 20, 300)])
def test_dumps_of_different_texts_name_the_first_position_that_differs(run, dumps, tmp_path, chunk, index, position):
    """A token of a chunk's context changes all its positions (the first named); a token after a
    scored position is that position's label."""
    folder, _, _, labels, tokens = dumps
    changed = tokens.copy()
    changed[chunk, index] = (changed[chunk, index] + 1) % 63
    other = dump(tmp_path / "other.kld", changed, read_kld(folder / "candidate.kld")[0])
    token = chunk * N_CTX + index + 1
    result = run("lm", folder / "base.kld", other)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert (f"P and Q were computed on different texts from position {position} on: token {token:,} of the text: "
            f"chunk {chunk + 1}, token {index + 1} of {N_CTX} is {tokens[chunk, index]} in P") in result.stderr
    assert "run llama-perplexity on the same text file, with the same -c, for both models" in result.stderr


def test_dumps_of_other_vocabularies_contexts_or_lengths_are_refused(run, dumps, tmp_path):
    folder, _, _, labels, tokens = dumps
    p, _, _ = read_kld(folder / "base.kld")
    wider = dump(tmp_path / "wider.kld", tokens, np.pad(p, ((0, 0), (0, 1)), constant_values=-20))
    result = run("lm", folder / "base.kld", wider)
    assert result.exit_code == 1 and "P has a vocabulary of 63 tokens" in result.stderr and "Q has 64" in result.stderr
    longer_context = dump(tmp_path / "c.kld", text_for(labels[:290], 59, 63), p[:290])
    result = run("lm", folder / "base.kld", longer_context)
    assert result.exit_code == 1
    assert "P was computed with a context of 21 tokens" in result.stderr and "but Q with 59" in result.stderr
    shorter = dump(tmp_path / "short.kld", tokens[:20], p[:200])
    result = run("lm", shorter, folder / "base.kld")
    assert result.exit_code == 1
    assert ("P has 200 positions" in result.stderr and "20 chunks" in result.stderr
            and "position 201 is missing from P" in result.stderr and "--chunks" in result.stderr)


def test_a_dump_and_logits_of_other_lengths_are_refused(run, dumps, tmp_path):
    folder, _, candidate, *_ = dumps
    np.save(tmp_path / "short.npy", candidate[:299])
    result = run("lm", folder / "base.kld", tmp_path / "short.npy")
    assert result.exit_code == 1 and "position 300 is missing from Q" in result.stderr


def test_a_hostile_dump_is_one_line_and_exit_1(run, tmp_path):
    path = write_kld(tmp_path / "cut.kld", np.zeros((2, 5), dtype=int), np.zeros((3, 8), dtype="<u2"), 3)
    result = run("lm", path, path)
    assert result.exit_code == 1 and not result.stdout
    assert result.stderr.strip() == (f"Error: {path}: cut short: it holds the log-probs of 1 of its 2 chunks "
                                     "(108 bytes of 124; n_ctx 5, n_vocab 3, n_chunk 2); llama-perplexity may have "
                                     "stopped before the end: make it again with llama-perplexity "
                                     "--kl-divergence-base FILE")
