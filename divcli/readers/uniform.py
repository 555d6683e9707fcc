"""The operand ``uniform``: the uniform distribution over the other operand's C classes.

``divcli kl "9/25,12/25,4/25" uniform`` is D(P‖U) with U = (1/3, 1/3, 1/3). C is known only once the
other operand's first block is read, so ``uniform`` stands as :class:`UniformBlocks` until then
(:func:`divcli.engine.start.read_firsts`). The word always means this operand: a file of that name is ``./uniform``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError, option
from .operand import Operand
from ..vocabulary import Kind

UNIFORM = "uniform"


class UniformBlocks:
    """``uniform`` before the other operand has said how many classes there are."""

    name = UNIFORM

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        raise RuntimeError("uniform is made over the other operand's classes by engine.start.read_firsts")

    def exhausted(self) -> bool:
        return False

    def close(self) -> None:
        pass


def is_uniform(operand: Operand) -> bool:
    """Whether ``operand`` is the row :func:`uniform_operand` made (over another operand's classes)."""
    return operand.name.startswith(f"{UNIFORM} over ") and operand.rows == 1 and operand.lines is None


def uniform_operand(classes: int, kind: Kind) -> Operand:
    """One row, the uniform distribution over ``classes``, written as ``kind`` says: probabilities
    1/C, logits 0, log-probabilities −ln C or counts 1 (all of them read back as exactly the same row)."""
    if kind is Kind.LABELS:
        raise DataError(UNIFORM, "uniform is a distribution, not labels", f"leave out {option('p_as', 'labels')}")
    # counts: one of each class (the same row once divided by its sum)
    value = {Kind.PROBS: 1.0 / classes, Kind.LOGITS: 0.0, Kind.LOG_PROBS: -math.log(classes), Kind.COUNTS: 1.0}[kind]
    return Operand(np.full((1, classes), value), f"uniform over {classes} class{'es' if classes != 1 else ''}")
