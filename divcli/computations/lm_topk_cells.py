"""The cells of top-k positions (:mod:`.lm_topk`), and what ``divcli lm`` computes on them besides
D(P‖Q): the cells behind a worst position's D (``--tokens``) and the other measures per position
(``--measures``).

At a position, the cells are the tokens that both sides list, each with its two log-probs, and one
tail cell holding the rest of each side's mass (its unlisted mass and its tokens the other side does
not list). These two coarsened distributions are what the position's D(P‖Q) is the KL of; the terms
and the measures here are of the same two distributions:

- ``--tokens K``: the K cells of largest |p·ln(p/q)|, the tail among them (its token :data:`TAIL`,
  None: a token is always a string, so the tail can never be taken for one). The terms of all the
  cells of a position add up to its D: both coarsened distributions sum to 1, so Σ p·ln(p/q) is
  the Σ q·φ(p/q) that D is computed as, to float64's rounding of those sums.
- ``--measures``: each measure as ``compare`` computes it on the rows of probabilities the cells
  make (the listed tokens both give, then the tail): the positions of a block with as many cells are
  one rectangular pair of rows, so each value is the one ``compare`` gives for that position's rows.
  Only measures of the two distributions' difference make sense on them (their partition depends on
  what *both* list): the measures of one model (its entropy, its perplexity) and cross-entropy,
  which holds H(P), are refused (:func:`listed_measures`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..numerics.distributions import to_distribution
from ..readers.operand import Operand
from ..vocabulary import Conversion, Kind
from .lm_measures import NotAMeasure, measure_values
from .lm_tokens import Contributions, largest

#: The tail cell's token: not a string, so no token's text can be taken for it (JSON writes it
#: null, CSV an empty cell, the table ``(tail)`` beside tokens written in quotes).
TAIL = None

#: Measures of one model, or holding one (cross-entropy is H(P) + D(P‖Q)): on top-k log-probs their
#: cells depend on what the other model lists, so they would not be that model's. Why, by key.
_ONE_MODEL = {
    "entropy_p": "P's entropy", "entropy_q": "Q's entropy", "perplexity_p": "P's perplexity",
    "perplexity_q": "Q's perplexity", "cross_entropy": "the models' cross-entropy",
}


@dataclass
class Cells:
    """One block's cells: the log-probs of the tokens both sides list, their text and whose position
    each is (in position order), and per position each side's tail mass."""

    lp: list[float] = field(default_factory=list)
    lq: list[float] = field(default_factory=list)
    token: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    tail_p: list[float] = field(default_factory=list)
    tail_q: list[float] = field(default_factory=list)

    def starts(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Per position, the index of its first listed cell and their number."""
        counts = np.bincount(np.array(self.owner, dtype=np.intp), minlength=rows)
        return np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp), counts


def listed_measures(text: str, measures: tuple) -> tuple:
    """The measures of ``--measures`` that top-k log-probs can give: one named of one model (or
    cross-entropy) is refused, saying why; ``all`` leaves them out."""
    named = {part.strip() for part in text.split(",")}
    kept = []
    for measure in measures:
        why = _ONE_MODEL.get(measure.key)
        if why is None:
            kept.append(measure)
        elif "all" not in named or named & {measure.key, *_aliases(measure.key)}:
            raise NotAMeasure(f"{measure.key} would not be {why} on top-k log-probs: its cells (the tokens both "
                              "models list, and a tail) depend on the other model too; give divergences (js, tv, "
                              "hellinger, renyi_2, …)")
    return tuple(kept)


def _aliases(key: str) -> list[str]:
    from ..measures.catalogue import aliases

    return [alias for alias, target in aliases().items() if target == key]


# --------------------------------------------------------------------------------------------
# --tokens


def _tail_term(tail_p: float, tail_q: float) -> float:
    """P(tail)·ln(P(tail)/Q(tail)): 0 where P's tail is 0, +inf where only Q's is."""
    if tail_p == 0:
        return 0.0
    if tail_q == 0:
        return math.inf
    return tail_p * math.log1p((tail_p - tail_q) / tail_q)


def contributions(cells: Cells, block_rows: int, rows: np.ndarray, count: int) -> list[Contributions]:
    """The ``count`` cells of largest |p·ln(p/q)| of each of the block's ``rows`` (0-based): tokens
    both sides list, and the tail (:data:`TAIL`)."""
    starts, counts = cells.starts(block_rows)
    lp, lq = np.array(cells.lp, dtype=np.float64), np.array(cells.lq, dtype=np.float64)
    found = []
    for row in rows.tolist():
        span = slice(starts[row], starts[row] + counts[row])
        p = np.append(np.exp(lp[span]), cells.tail_p[row])
        q = np.append(np.exp(lq[span]), cells.tail_q[row])
        with np.errstate(invalid="ignore"):
            listed = np.where(p[:-1] == 0, 0.0, p[:-1] * (lp[span] - lq[span]))  # q = 0 < p: +inf
        terms = np.append(listed, _tail_term(cells.tail_p[row], cells.tail_q[row]))
        tokens = np.array(cells.token[span] + [TAIL], dtype=object)
        index = largest(terms, count)
        found.append(Contributions(tokens[index], p[index], q[index], terms[index]))
    return found


# --------------------------------------------------------------------------------------------
# --measures


def coarsened_measures(measures: tuple, cells: Cells, rows: int, tolerance: float) -> dict[str, np.ndarray]:
    """Each measure at every position of the block, on its cells as rows of probabilities (the
    listed tokens both give, then the tail), as ``compare`` computes it on them."""
    starts, counts = cells.starts(rows)
    lp, lq = np.array(cells.lp, dtype=np.float64), np.array(cells.lq, dtype=np.float64)
    tail_p, tail_q = np.array(cells.tail_p), np.array(cells.tail_q)
    values = {measure.key: np.empty(rows) for measure in measures}
    conversion = Conversion(tolerance=tolerance)
    for width in np.unique(counts).tolist():
        index = np.flatnonzero(counts == width)
        gather = starts[index, None] + np.arange(width)
        sides = [to_distribution(Operand(np.column_stack((np.exp(logs[gather]), tail[index])), role), Kind.PROBS,
                                 role, conversion) for logs, tail, role in ((lp, tail_p, "P"), (lq, tail_q, "Q"))]
        for key, found in measure_values(list(measures), *sides).items():
            values[key][index] = found
    return values

