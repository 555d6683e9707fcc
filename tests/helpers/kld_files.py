"""llama.cpp's KL-divergence dumps made without llama.cpp: the ``.kld`` file that ``llama-perplexity
--kl-divergence-base FILE`` writes, byte for byte as its perplexity tool lays it out, and read back
plainly, to check ``divcli lm`` against.

The layout (little-endian, as the tool writes it on every machine it runs on):

- ``_logits_`` (8 bytes), then n_ctx, n_vocab, n_chunk (int32 each);
- the n_chunk·n_ctx tokens of the text (int32), chunk after chunk;
- per chunk, its scored positions n_ctx//2 … n_ctx − 2 (n_ctx − 1 − n_ctx//2 of them), each one
  record of ``2·((n_vocab + 1)//2) + 4`` uint16: a float32 scale and a float32 minimum (the first 4
  uint16), then n_vocab uint16 values (and one of padding when n_vocab is odd). The log-prob of token
  i is ``minimum + scale·value[i]``; record k of chunk c predicts token ``c·n_ctx + n_ctx//2 + k + 1``.

:func:`quantised` is the tool's ``log_softmax`` that writes a record, in float32 as it computes:
log-probs below the top one's − 16 are all stored as 0 (the minimum), the rest on 65536 steps.
:func:`llama_kl` is what its ``--kl-divergence`` computes from a base record and the candidate's
logits, to compare divcli's numbers with llama.cpp's own.
"""

from __future__ import annotations

import numpy as np

MAGIC = b"_logits_"


def scored(n_ctx: int) -> int:
    """The positions of each chunk the tool scores: the second half, but the last."""
    return n_ctx - 1 - n_ctx // 2


def record_width(n_vocab: int) -> int:
    """A record's uint16s: the scale and minimum (two float32), the values, padded to an even count."""
    return 2 * ((n_vocab + 1) // 2) + 4


def quantised(logits: np.ndarray) -> np.ndarray:
    """The records of rows of logits, as the tool's ``log_softmax`` writes them: (rows, record_width) uint16."""
    logits = np.asarray(logits, dtype=np.float32)
    rows, n_vocab = logits.shape
    top = logits.max(axis=1, keepdims=True)
    low = np.maximum(logits.min(axis=1, keepdims=True), top - np.float32(16))
    sum_exp = np.exp(logits - top).astype(np.float64).sum(axis=1, keepdims=True)
    log_sum_exp = np.log(sum_exp).astype(np.float32)
    minimum = (low - top) - log_sum_exp
    scale = (top - low) / np.float32(65535)
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.rint((np.float32(1) / scale) * (logits - low))
    values = np.where((logits > low) & (scale > 0), steps, 0).astype(np.int64) & 0xFFFF
    out = np.zeros((rows, record_width(n_vocab)), dtype="<u2")
    out[:, :4] = np.concatenate([scale, minimum], axis=1).astype("<f4").view("<u2")
    out[:, 4:4 + n_vocab] = values
    return out


def write_kld(path, tokens: np.ndarray, records: np.ndarray, n_vocab: int, header: tuple | None = None) -> str:
    """A dump: ``tokens`` of shape (n_chunk, n_ctx), ``records`` as :func:`quantised` makes them, one
    per scored position, chunk after chunk; ``header`` (n_ctx, n_vocab, n_chunk) to write another one."""
    n_chunk, n_ctx = tokens.shape
    n_ctx, n_vocab, n_chunk = header or (n_ctx, n_vocab, n_chunk)
    with open(path, "wb") as out:
        out.write(MAGIC)
        out.write(np.array([n_ctx, n_vocab, n_chunk], dtype="<i4").tobytes())
        out.write(np.asarray(tokens, dtype="<i4").tobytes())
        out.write(np.asarray(records, dtype="<u2").tobytes())
    return str(path)


def dump(path, tokens: np.ndarray, logits: np.ndarray) -> str:
    """The dump of a model whose logits at the scored positions are ``logits`` (positions, vocab), on
    the text ``tokens`` (n_chunk, n_ctx)."""
    return write_kld(path, tokens, quantised(logits), logits.shape[1])


def text_for(labels: np.ndarray, n_ctx: int, n_vocab: int, seed: int = 0) -> np.ndarray:
    """A text of n_chunk·n_ctx tokens (n_chunk, n_ctx) whose scored positions are followed by
    ``labels`` (the rest drawn at random)."""
    per_chunk = scored(n_ctx)
    n_chunk = labels.size // per_chunk
    tokens = np.random.default_rng(seed).integers(0, n_vocab, size=(n_chunk, n_ctx))
    tokens[:, n_ctx // 2 + 1:] = labels.reshape(n_chunk, per_chunk)
    return tokens


def read_kld(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dump read back plainly: (log-probs (positions, vocab) in float64, labels, raw records)."""
    data = open(path, "rb").read()
    assert data[:8] == MAGIC
    n_ctx, n_vocab, n_chunk = np.frombuffer(data, dtype="<i4", count=3, offset=8)
    tokens = np.frombuffer(data, dtype="<i4", count=n_chunk * n_ctx, offset=20).reshape(n_chunk, n_ctx)
    records = np.frombuffer(data, dtype="<u2", offset=20 + 4 * tokens.size).reshape(-1, record_width(n_vocab))
    return dequantised(records, n_vocab), tokens[:, n_ctx // 2 + 1:].ravel().astype(np.int64), records


def dequantised(records: np.ndarray, n_vocab: int) -> np.ndarray:
    """minimum + scale·value, in float64."""
    scale, minimum = np.ascontiguousarray(records[:, :4]).view("<f4").astype(np.float64).T
    return minimum[:, None] + scale[:, None] * records[:, 4:4 + n_vocab]


def llama_kl(records: np.ndarray, candidate_logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """llama.cpp's per-position KL and Δp (its ``--kl-divergence``): the base's stored log-probs as
    they are (not renormalised), the tokens at or below −16 left out of the sum, the candidate's
    float32 logits log-softmaxed; in float32 where the tool computes in float."""
    n_vocab = candidate_logits.shape[1]
    scale, minimum = np.ascontiguousarray(records[:, :4]).view("<f4").T
    base = minimum[:, None] + scale[:, None] * records[:, 4:4 + n_vocab].astype(np.float32)
    logits = np.asarray(candidate_logits, dtype=np.float32)
    top = logits.max(axis=1, keepdims=True)
    log_norm = top + np.log(np.exp(logits - top).astype(np.float64).sum(axis=1, keepdims=True)).astype(np.float32)
    kept = base > -16
    terms = np.where(kept, np.exp(base) * (base - logits + log_norm), 0).astype(np.float64)
    every = np.arange(labels.size)
    delta_p = np.exp(logits[every, labels] - log_norm[:, 0]) - np.exp(base[every, labels])
    return terms.sum(axis=1), delta_p.astype(np.float64)


def write_samples(folder=None) -> None:
    """samples/base.kld and samples/candidate.kld: the models of samples/base.npy and candidate.npy
    as llama.cpp dumps them, on a text of 4 chunks of 10 tokens whose 16 scored positions are
    followed by the tokens of samples/tokens.csv (``python tests/helpers/kld_files.py``)."""
    from helpers.lm_data import SAMPLES

    folder = folder or SAMPLES
    labels = np.loadtxt(folder / "tokens.csv", dtype=np.int64)
    base, candidate = (np.load(folder / f"{name}.npy").astype(np.float32) for name in ("base", "candidate"))
    tokens = text_for(labels, 10, base.shape[1], seed=2024)
    dump(folder / "base.kld", tokens, base)
    dump(folder / "candidate.kld", tokens, candidate)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    write_samples()
