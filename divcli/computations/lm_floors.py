"""llama.cpp's floor in ``divcli lm``: the tokens a ``.kld`` dump stores at its floor, taken as one
tail cell, as top-k inputs' unlisted tokens are (:mod:`.lm_topk`).

The perplexity tool stores each position's log-probs on 65,536 steps between the top one and the
top − 16, and every token below that range at the bottom step (the floor): their log-probs are
lost, only "at most the floor" is known. Read as logits, each such token would weigh e^floor, and on
a vocabulary of 128k tokens at a confident position they would hold a few % of the mass that the
model gave them a small fraction of. But the stored log-probs are normalised over the whole
vocabulary, so the mass of the floored tokens together is known: 1 − Σ p over the tokens above it.

So at a position where either side is a floored dump, the vocabulary is cut as for top-k lists:
every token above the floor on both sides is a cell of its own, the rest (the tokens either side
floors) one tail cell, whose mass on each side is 1 − Σ p over the cells of their own (for a side
of full logits, exactly its probability there). Each side's tail mass of floored tokens is kept
between that of one token at the floor (so that a tail the rounding leaves at 0 or below does not
make D infinite) and that of all of them at the floor (what they can hold at most). Each side's
tail is then spread evenly over its tokens and the rows renormalised: D(P‖Q) of the two rows, and
every f-divergence of ``--measures`` (JS, total variation, Hellinger, χ², Rényi's), is that of the
two coarsened distributions, a lower bound of the models' own up to the file's rounding. A position
where neither side is floored is read as before.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..numerics.distributions import Distribution, to_distribution
from ..readers.operand import Operand
from ..vocabulary import Kind

#: A row is floored when its top and bottom log-probs are 16 apart (the tool's range; the slack
#: covers float32's rounding of both).
RANGE = 16.0 - 1e-3


def at_floor(stored: np.ndarray) -> np.ndarray:
    """The tokens a dump's rows (stored log-probs) hold at the floor: a row's smallest value, where
    the row spans the tool's whole range (in a row that spans less, the smallest is a token's own)."""
    low, high = stored.min(axis=1), stored.max(axis=1)
    return ((high - low) >= RANGE)[:, None] & (stored == low[:, None])


def _tail(stored: np.ndarray, floored: np.ndarray) -> np.ndarray:
    """Each row's mass of its floored tokens: 1 − Σ p above the floor, between one token's and all
    of them at the floor."""
    floor = np.exp(stored.min(axis=1))
    count = floored.sum(axis=1)
    estimate = 1.0 - np.where(floored, 0.0, np.exp(stored)).sum(axis=1)
    return np.clip(estimate, np.where(count > 0, floor, 0.0), count * floor)


def _coarsened(log_p: np.ndarray, tail: np.ndarray, rest: np.ndarray, floored: np.ndarray) -> np.ndarray:
    """One side's rows as log-probs of the coarsened distribution, its tail cell (``rest``) spread
    evenly over its tokens: ``log_p`` the side's log-probs (stored or exact), ``tail`` its floored
    mass, ``floored`` its tokens at the floor (their ``log_p`` unknown)."""
    p = np.exp(log_p)
    own = np.where(rest, 0.0, p).sum(axis=1)
    in_rest = np.where(rest & ~floored, p, 0.0).sum(axis=1) + tail
    total = own + in_rest
    with np.errstate(divide="ignore"):  # a tail of 0 (no floor on this side, nothing of its own there)
        spread = np.log(in_rest / np.maximum(rest.sum(axis=1), 1)) - np.log(total)
    return np.where(rest, spread[:, None], log_p - np.log(total)[:, None])


def floor_cells(p: Distribution, q: Distribution, dumps: tuple[bool, bool], deferred: bool
                ) -> tuple[Distribution, Distribution, tuple[np.ndarray, np.ndarray]] | None:
    """P and Q of a block with the tokens that either dump (``dumps``: which sides are) floors as
    one tail cell, each side's rows read as logits as before, and each side's top token as stored;
    None when no row of the block is floored (the block is read as it is)."""
    stored = [d.operand.values for d in (p, q)]
    floored = [at_floor(values) if dump else np.zeros(values.shape, dtype=bool)
               for values, dump in zip(stored, dumps)]
    if not (floored[0].any() or floored[1].any()):
        return None
    rest = floored[0] | floored[1]
    cut = (rest.any(axis=1))[:, None] & rest
    rows = []
    for d, values, dump, mask in zip((p, q), stored, dumps, floored):
        log_p = values if dump else d.log_p
        tail = _tail(values, mask) if dump else np.zeros(values.shape[0])
        rows.append(_coarsened(log_p, tail, cut, mask))
    sides = [to_distribution(Operand(values, d.operand.name, first_row=d.operand.first_row), Kind.LOGITS, d.role,
                             replace(d.conversion, normalize=False), deferred=deferred)
             for d, values in zip((p, q), rows)]
    return sides[0], sides[1], (np.argmax(stored[0], axis=1), np.argmax(stored[1], axis=1))
