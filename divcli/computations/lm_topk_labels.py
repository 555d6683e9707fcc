"""The labels of ``divcli lm`` on top-k log-probs (:mod:`.lm_topk`): a file of tokens, one a
position, or the positions' own tokens; each position's label looked up among the tokens each side
lists, and the perplexities and Δp over the positions whose label both sides list.

A label is compared as text with the listed tokens (``" the"``, ``"<0x0A>"``): a token id such as
``464`` matches only a token written ``464``. Where no label matches at all, the warning says so
and how to write the labels, instead of the statistics being left out without a word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine.loop import Warnings
from ..errors import DataError
from ..readers.top_logprobs import Listed
from ..vocabulary import count_of
from .lm_statistics import perplexity_statistics


@dataclass(frozen=True)
class TokenLabels:
    """The labels: a file's tokens, one a position, or (``tokens`` None) the positions' own tokens.
    ``first``: the positions before the first of ``tokens`` (a Dask task is sent its shard's only)."""

    name: str
    tokens: list[str] | None = None
    first: int = 0


#: The name of the labels taken from the positions' own tokens.
OWN_TOKENS = "the positions' own tokens"


def labels_at(p: Listed, own: list[str | None], labels: TokenLabels | None) -> np.ndarray | None:
    """The labels of ``p``'s positions: the file's (checked to reach them), or the positions' own
    tokens (``own``); None without labels."""
    if labels is None:
        return None
    if labels.tokens is None:
        return np.array(own, dtype=object)
    if labels.first + len(labels.tokens) < p.first + p.rows:
        raise token_labels_mismatch(labels, p.first + p.rows, True, p.name)
    start = p.first - labels.first
    return np.array(labels.tokens[start:start + p.rows], dtype=object)


def token_labels_mismatch(labels: TokenLabels, positions: int, more: bool, source: str) -> DataError:
    """The labels and the positions differ in number: the first position (or label) without the other."""
    count = len(labels.tokens)
    missing = f"position {count + 1} has no label" if count < positions else f"label {positions + 1} has no position"
    return DataError("", f"the labels have {count_of(count, 'token', 'tokens')} ({labels.name}) but P and Q have "
                         f"{'at least ' if more else ''}{count_of(positions, 'position', 'positions')} ({source}): "
                         f"{missing}", "give one label per position: the token that came next")


def log_label(tokens: list[dict[str, float]], labels: np.ndarray) -> np.ndarray:
    """log p(label) per position where the side lists the label, nan where it does not."""
    return np.array([listed.get(label, math.nan) for listed, label in zip(tokens, labels)], dtype=np.float64)


def first_example(labels: np.ndarray, p: Listed) -> tuple[int, str, str | None] | None:
    """The first position of ``p`` (numbered in the whole input), its label and a token P lists
    there, for :func:`label_statistics`'s warning."""
    if not p.rows:
        return None
    return p.first + 1, str(labels[0]), next(iter(p.tokens[0]), None)


def label_statistics(nll_p: np.ndarray, nll_q: np.ndarray, shown: Warnings, labels: TokenLabels,
                     example: tuple[int, str, str | None] | None = None) -> dict:
    """The perplexities and Δp over the positions whose label both sides list, and their number
    (``labels_listed``); every value None where there are none, said once with how labels are
    matched (``example``: the first label and a token listed at its position)."""
    listed = ~(np.isnan(nll_p) | np.isnan(nll_q))
    count = int(np.count_nonzero(listed))
    if not count and nll_p.size:
        shown.extend([_none_listed(nll_p.size, labels, example)])
    elif count < nll_p.size:
        shown.extend([f"the label is not among P's or Q's listed tokens at {nll_p.size - count} of "
                      f"{count_of(nll_p.size, 'position', 'positions')}: the perplexities and Δp are over the "
                      f"{count} others, which leave out labels of low probability"])
    if not count:
        return {**dict.fromkeys(perplexity_statistics(np.zeros(1), np.zeros(1))), "labels_listed": 0}
    return {**perplexity_statistics(nll_p[listed], nll_q[listed]), "labels_listed": count}


def _none_listed(positions: int, labels: TokenLabels, example: tuple[int, str, str | None] | None) -> str:
    """The warning where no label is among the listed tokens: labels are matched as text."""
    seen = ""
    if example is not None and example[2] is not None:
        seen = f" (position {example[0]}'s label is {example[1]!r}, and P lists tokens such as {example[2]!r} there)"
    fix = "the labels are the positions' own tokens" if labels.tokens is None else \
        f"write {labels.name} as the files write the tokens, one a line (the text of each token, not its id)"
    return (f"no label is among P's or Q's listed tokens at any of the {count_of(positions, 'position', 'positions')}: "
            f"labels are compared as text with the listed tokens{seen}, so the perplexities and Δp are left out; "
            f"{fix}")
