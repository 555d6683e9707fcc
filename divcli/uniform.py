"""The operand ``uniform``: the uniform distribution over the other operand's C classes.

``divcli kl "9/25,12/25,4/25" uniform`` is D(P‖U) with U = (1/3, 1/3, 1/3). C is known only once the
other operand's first block is read, so ``uniform`` stands as :class:`UniformBlocks` until then
(:func:`resolve`). The word always means this operand: a file of that name is ``./uniform``.
"""

from __future__ import annotations

import math

import numpy as np

from .blocks import ArrayBlocks, Blocks
from .errors import DataError
from .inputs import Operand
from .kinds import Kind

UNIFORM = "uniform"


class UniformBlocks:
    """``uniform`` before the other operand has said how many classes there are."""

    name = UNIFORM

    def read(self, rows: int) -> Operand | None:
        raise RuntimeError("uniform is read after divcli.uniform.resolve")

    def exhausted(self) -> bool:
        return False

    def close(self) -> None:
        pass


def uniform_operand(classes: int, kind: Kind) -> Operand:
    """One row, the uniform distribution over ``classes``, written as ``kind`` says: probabilities
    1/C, logits 0 or log-probabilities −ln C (all of them read back as exactly the same row)."""
    if kind is Kind.LABELS:
        raise DataError(UNIFORM, "uniform is a distribution, not labels", "leave out --p-as labels")
    value = {Kind.PROBS: 1.0 / classes, Kind.LOGITS: 0.0, Kind.LOG_PROBS: -math.log(classes)}[kind]
    return Operand(np.full((1, classes), value), f"uniform over {classes} class{'es' if classes != 1 else ''}")


def resolve(blocks: list[Blocks | None], kinds: list[Kind], first_rows: int) -> tuple[list, list]:
    """Every operand's blocks and first block (``None`` stays ``None``), ``uniform`` made over the
    classes of the first other operand that has classes (labels have none of their own)."""
    firsts = [None if b is None or isinstance(b, UniformBlocks) else b.read(first_rows) for b in blocks]
    wanted = [index for index, b in enumerate(blocks) if isinstance(b, UniformBlocks)]
    if not wanted:
        return blocks, firsts
    known = [first for first, kind in zip(firsts, kinds) if first is not None and kind is not Kind.LABELS]
    if not known:
        raise DataError("", "uniform is the uniform distribution over the other operand's classes, "
                                 "and no other operand has classes",
                        "give P or Q as a distribution (labels do not say how many classes there are)")
    blocks = list(blocks)
    for index in wanted:
        blocks[index] = ArrayBlocks(uniform_operand(known[0].shape[1], kinds[index]))
        firsts[index] = blocks[index].read(first_rows)
    return blocks, firsts
