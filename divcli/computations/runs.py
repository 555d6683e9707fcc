"""Operands → reports: the entry points of the local engine for the commands and the Python API.

The loop itself is :mod:`divcli.engine.loop`; the computations are :class:`divcli.computations.divergence.Breakdown`
(kl, ce, entropy) and :class:`divcli.computations.measure_set.MeasureSet` (js, compare).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from ..engine.loop import Sink, run_computation
from ..readers.blocks import ArrayBlocks, Blocks
from ..vocabulary import Options, Command
from ..errors import DataError
from ..engine.collect import Collect
from ..readers.operand import Operand
from .divergence_records import Summary

if TYPE_CHECKING:
    from ..measures.catalogue import Measure
    from ..measures.measure_records import MeasureSummary


def run_divergence(command: Command, p_blocks: Blocks, q_blocks: Blocks | None, options: Options, sink: Sink,
                   weight: np.ndarray | None = None, warn: Callable[[str], None] = lambda message: None,
                   progress: Callable[[int], None] | None = None, threads: int = 1,
                   estimator: str | None = None) -> Summary:
    """kl, ce or entropy block by block (:func:`divcli.engine.loop.run_computation`; ``threads`` as there;
    ``estimator``: entropy's of H(P) from counts, None for the plug-in)."""
    from .divergence import Breakdown

    operands = [p_blocks] + ([] if q_blocks is None else [q_blocks])
    return run_computation(Breakdown(command, weight, estimator), operands, options, sink, warn, progress, threads)


def run_measure_set(command: str, operands: list[Blocks], options: Options, sink, *, measures: list[Measure],
                    primary: str | None = None, weights: np.ndarray | None = None,
                    warn: Callable[[str], None] = lambda message: None,
                    progress: Callable[[int], None] | None = None, threads: int = 1) -> MeasureSummary:
    """``js`` and ``compare``: every measure per pair of rows, block by block, as :func:`run_divergence`.

    The first operand is read with ``options.p_kind``, every other with ``options.q_kind``; an
    operand of one row is compared with every row of the others."""
    from .measure_set import MeasureSet

    return run_computation(MeasureSet(command, measures, primary, weights), operands, options, sink, warn,
                           progress, threads)


def compute(command: Command, p: Operand | Blocks, q: Operand | Blocks | None, options: Options,
            weight: np.ndarray | None = None, threads: int = 1, estimator: str | None = None,
            warn: Callable[[str], None] = lambda message: None) -> Collect:
    """Every block of operands held in memory (or their blocks: a column of samples counted),
    collected: ``.value`` and ``.summary`` (``threads``: blocks computed at once; ``estimator`` and
    ``warn`` as :func:`run_divergence`'s)."""
    sink = Collect()
    run_divergence(command, _blocks(p), None if q is None else _blocks(q), options, sink, weight, warn,
                   threads=threads, estimator=estimator)
    return sink


def _blocks(operand: Operand | Blocks) -> Blocks:
    return ArrayBlocks(operand) if isinstance(operand, Operand) else operand


def weight_vector(operand: Operand) -> np.ndarray:
    """Class weights: one row or one column of finite non-negative numbers."""
    rows, cols = operand.shape
    if rows != 1 and cols != 1:
        raise DataError(operand.where(), f"weights are one number per class, but this has {rows} rows × {cols} columns")
    values = operand.values.ravel()
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        index = int(np.argmax(bad))
        row, col = (0, index) if rows == 1 else (index, 0)
        raise DataError(operand.where(row, col),
                        f"weight {operand.text(row, col)!r} is not a finite non-negative number",
                        "give one finite number ≥ 0 per class, such as 1,1,2")
    return values  # weights whose sum overflows are fine: ce uses them divided by a power of two
