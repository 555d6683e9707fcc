"""The tokens behind a position's D(P‖Q) (``divcli lm --top N``): at each of the worst positions,
the K tokens of largest |p·log(p/q)|, with p, q and the term.

Only the worst positions are explained, and only once each: every block of positions carries a
function that explains its own rows (:func:`contributions`, bound to the block's distributions),
and the accumulator calls it for the rows that enter its worst positions (:func:`kept`), so a run
computes the terms of about N·log(positions ÷ N) rows in all, never of every row, and keeps K
tokens for each of the N positions kept.

Each term is the accurate kernels' (:mod:`divcli.numerics.accurate`): p from an exact softmax and
log(p/q) from the exact difference of the two rows' logits (where p ≈ q the plain difference of two
logs would lose the term's digits), so each term is within a few ε of p·log(p/q) exactly; all of a
position's terms add up to its D(P‖Q), the K shown to part of it. A negative term is a token to which
Q gives more than P.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numerics import accurate
from ..numerics.distributions import Distribution


@dataclass(frozen=True)
class Contributions:
    """One position's tokens of largest |term|, largest first: their ids, p, q and p·log(p/q)."""

    token: np.ndarray
    p: np.ndarray
    q: np.ndarray
    term: np.ndarray

    def records(self) -> list[dict]:
        """One plain dict per token: ``token``, ``p``, ``q``, ``term``."""
        return [{"token": token, "p": p, "q": q, "term": term} for token, p, q, term
                in zip(self.token.tolist(), self.p.tolist(), self.q.tolist(), self.term.tolist())]


def largest(terms: np.ndarray, count: int) -> np.ndarray:
    """The indices of the ``count`` terms of largest absolute value, largest first (+inf first; equal
    ones in token order), leaving out the terms that are 0 (a token with p = 0 adds nothing) and nan."""
    size = np.abs(terms)
    with np.errstate(invalid="ignore"):
        found = np.flatnonzero(size > 0)
    if found.size > count:  # the count largest, with every tie at the threshold, before the sort
        threshold = -np.partition(-size[found], count - 1)[count - 1]
        found = found[size[found] >= threshold]
    order = np.lexsort((found, -size[found]))[:count]
    return found[order]


def contributions(p: Distribution, q: Distribution, rows: np.ndarray, count: int) -> list[Contributions]:
    """The ``count`` tokens of largest |p·log(p/q)| of each of the block's ``rows`` (0-based)."""
    exact_p, exact_q = (d.exact_rows(np.zeros_like(rows) if d.rows == 1 else rows) for d in (p, q))
    x = accurate.log_ratio(exact_p, exact_q)
    terms = accurate.kl_terms(exact_p.p, x)
    found = []
    for row in range(rows.size):
        tokens = largest(terms[row], count)
        found.append(Contributions(tokens, exact_p.p[row, tokens], exact_q.p[row, tokens], terms[row, tokens]))
    return found


def kept(known: dict[int, Contributions], positions: np.ndarray, block) -> dict[int, Contributions]:
    """The contributions of ``positions`` (the worst so far): those ``known``, and those of the
    positions that ``block`` brings in, computed by its ``explain`` (a block of
    :class:`~divcli.computations.lm.Positions`)."""
    wanted = positions.tolist()
    new = [position for position in wanted if position not in known]
    if new:
        rows = np.array(new) - int(block.position[0])
        known = {**known, **dict(zip(new, block.explain(rows)))}
    return {position: known[position] for position in wanted}


def shifted(known: dict[int, Contributions], offset: int) -> dict[int, Contributions]:
    """``known`` with its positions counted from ``offset`` (the totals of the positions that follow)."""
    return {position + offset: found for position, found in known.items()}
