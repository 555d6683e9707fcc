"""Top-k log-probabilities made up, without a model or a server: ``divcli lm``'s top-k test data and
its samples (``python tests/helpers/lm_topk_data.py`` writes samples/base-top.jsonl and
samples/candidate-top.jsonl from samples/base.npy, samples/candidate.npy and samples/tokens.csv).

Full log-softmax rows (from :mod:`helpers.lm_data`'s seeded Zipf logits) are cut to each row's k
most likely tokens and written in each shape ``divcli lm`` reads: divcli's own lines, OpenAI's chat
responses (``choices[0].logprobs.content``) and its completions responses (``choices[0].logprobs``
with ``tokens``, ``token_logprobs``, ``top_logprobs``), several positions a response. The token at
each position (the label) is the position's own token, with its log-prob, as a server scoring a
given text returns it.

And the number ``divcli lm`` must give, plainly in float64 numpy: the KL between the two rows
coarsened to the tokens both sides list and one tail cell, and the full KL.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from helpers.lm_data import SAMPLES, log_softmax

#: Tokens whose text a file, a CSV cell or a table must keep as it is.
AWKWARD = [" the", ",", "\n", '"', "é", "a,b", " ", "\\", "\t"]


def vocabulary(size: int) -> list[str]:
    """``size`` distinct token texts, the awkward ones first."""
    return (AWKWARD + [f"w{index}" for index in range(size)])[:size]


def top_indices(log_p: np.ndarray, k: int) -> np.ndarray:
    """Each row's k most likely token ids, most likely first (the lower id first among ties)."""
    return np.argsort(-log_p, axis=1, kind="stable")[:, :k]


def listed_sets(log_p: np.ndarray, k: int, labels: np.ndarray | None = None) -> list[set[int]]:
    """The ids each position lists: its top k, and its own token (the label) where there is one."""
    tops = top_indices(log_p, k)
    return [set(row.tolist()) | ({int(labels[i])} if labels is not None else set()) for i, row in enumerate(tops)]


def coarsened_kl(log_p: np.ndarray, log_q: np.ndarray, listed_p: list[set[int]], listed_q: list[set[int]]) -> np.ndarray:
    """Per position, D(P‖Q) over the tokens both sides list, each a cell, and one tail cell (the
    rest of each side's mass): the definition, in plain float64."""
    kl = np.empty(len(listed_p))
    for i, (a, b) in enumerate(zip(listed_p, listed_q)):
        both = np.array(sorted(a & b), dtype=np.intp)
        p, q = np.exp(log_p[i, both]), np.exp(log_q[i, both])
        tail_p, tail_q = 1.0 - p.sum(), 1.0 - q.sum()
        kl[i] = np.sum(p * (log_p[i, both] - log_q[i, both])) + (tail_p * np.log(tail_p / tail_q) if tail_p > 0 else 0.0)
    return kl


def full_kl(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    return np.sum(np.exp(log_p) * (log_p - log_q), axis=1)


def _lines(log_p: np.ndarray, k: int, tokens: list[str], labels: np.ndarray | None):
    """Per position: its top (token, log-prob) pairs and its own (token, log-prob), or None."""
    for i, row in enumerate(top_indices(log_p, k)):
        own = None if labels is None else (tokens[labels[i]], float(log_p[i, labels[i]]))
        yield [(tokens[j], float(log_p[i, j])) for j in row], own


def simple_lines(log_p, k, tokens, labels=None) -> list[str]:
    """divcli's own shape: a position a line, its own token with its log-prob."""
    lines = []
    for top, own in _lines(log_p, k, tokens, labels):
        document = ({"token": own[0], "logprob": own[1]} if own else {}) | {"top_logprobs": dict(top)}
        lines.append(json.dumps(document, ensure_ascii=False))
    return lines


def chat_lines(log_p, k, tokens, labels, per_response: int = 5) -> list[str]:
    """OpenAI's chat completion responses, ``per_response`` positions each."""
    content = [{"token": own[0], "logprob": own[1], "bytes": list(own[0].encode()),
                "top_logprobs": [{"token": token, "logprob": value, "bytes": list(token.encode())}
                                 for token, value in top]}
               for top, own in _lines(log_p, k, tokens, labels)]
    return [json.dumps({"id": f"chatcmpl-{start}", "object": "chat.completion", "model": "m",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "…"},
                                     "logprobs": {"content": content[start:start + per_response], "refusal": None},
                                     "finish_reason": "length"}]}, ensure_ascii=False)
            for start in range(0, len(content), per_response)]


def completions_lines(log_p, k, tokens, labels, per_response: int = 5, echo: bool = False) -> list[str]:
    """OpenAI's completions responses, ``per_response`` positions each; ``echo``: each response
    starts with a token of no log-probs (null), as an echoed prompt's first token."""
    positions = list(_lines(log_p, k, tokens, labels))
    lines = []
    for start in range(0, len(positions), per_response):
        part = positions[start:start + per_response]
        logprobs = {"tokens": [own[0] for _, own in part], "token_logprobs": [own[1] for _, own in part],
                    "top_logprobs": [dict(top) for top, _ in part], "text_offset": list(range(len(part)))}
        if echo:
            logprobs = {"tokens": ["<s>"] + logprobs["tokens"], "token_logprobs": [None] + logprobs["token_logprobs"],
                        "top_logprobs": [None] + logprobs["top_logprobs"], "text_offset": [0] + logprobs["text_offset"]}
        lines.append(json.dumps({"id": f"cmpl-{start}", "object": "text_completion", "model": "m",
                                 "choices": [{"text": "…", "index": 0, "logprobs": logprobs,
                                              "finish_reason": "length"}]}, ensure_ascii=False))
    return lines


WRITERS = {"simple": simple_lines, "chat": chat_lines, "completions": completions_lines}


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_samples(folder: Path = SAMPLES, k: int = 5) -> None:
    """The samples of the docs: the top 5 of samples/base.npy and samples/candidate.npy as chat
    responses (8 positions each), tokens w0 … w49, each position's own token from samples/tokens.csv."""
    log_p, log_q = (log_softmax(np.load(folder / name).astype(np.float64)) for name in ("base.npy", "candidate.npy"))
    labels = np.loadtxt(folder / "tokens.csv", dtype=np.int64)
    tokens = [f"w{index}" for index in range(log_p.shape[1])]
    write(folder / "base-top.jsonl", chat_lines(log_p, k, tokens, labels, per_response=8))
    write(folder / "candidate-top.jsonl", chat_lines(log_q, k, tokens, labels, per_response=8))


if __name__ == "__main__":
    write_samples()
