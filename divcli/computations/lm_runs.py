"""``divcli lm`` for the Python API (:func:`divcli.lm_report`): the two models' outputs as arrays or
files, the run collected, the statistics (and the positions asked for) as a dict of plain values."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack

import numpy as np

from ..engine.collect import Collect
from ..engine.loop import run_computation
from ..errors import DataError
from ..readers.binary import array_operand
from ..readers.blocks import ArrayBlocks, Blocks
from ..readers.operand import Operand
from ..readers.positions import open_positions
from ..readers.reading import read_operand
from ..vocabulary import make_options
from .lm import LanguageModels, Positions, position_mismatch

#: The dtypes the fused kernel reads as they are stored (any other is widened to float64 first).
_KEPT = ("float16", "bfloat16", "float32", "float64")


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def model_blocks(values, name: str, stack: ExitStack) -> Blocks:
    """One model's outputs: a file (as ``divcli lm`` reads it) or a literal, or an array of shape
    (positions, vocab), (batch, sequence, vocab) or (vocab,), kept in its float dtype (no float64 copy)."""
    if _is_path(values):
        blocks = open_positions(os.fspath(values), getattr(sys.stdin, "buffer", None))
        stack.callback(blocks.close)
        return blocks
    array = np.asarray(values)
    if array.dtype.name not in _KEPT:
        array = array.astype(np.float64)
    batches = None
    if array.ndim == 3:
        batches = array.shape[:2]  # each position's record then names its batch and sequence index, as a file's does
        array = np.ascontiguousarray(array).reshape(-1, array.shape[2])
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must be a 2-D array (positions, vocab) or a 3-D one (batch, sequence, vocab), "
                         f"not {array.ndim}-D")
    blocks = ArrayBlocks(array_operand(array, name, widen=False))
    blocks.batches = batches  # read by readers.positions.sequences
    return blocks


def labels_operand(labels) -> Operand | None:
    """The labels: a file or literal of token ids (as ``--labels``), or an array of them."""
    if labels is None:
        return None
    if _is_path(labels):
        return read_operand(os.fspath(labels), getattr(sys.stdin, "buffer", None))
    return array_operand(np.asarray(labels).ravel(), "labels")


def _arrays(positions: Positions) -> dict[str, np.ndarray]:
    return {column.name: np.asarray(column.values) for column in positions.columns()}


def lm_run(base, candidate, labels=None, *, base_as: str = "logits", candidate_as: str = "logits",
           top: int | None = None, per_position: bool = False, tolerance: float = 1e-6, normalize: bool = False,
           threads: int = 1) -> dict:
    """:func:`divcli.lm_report`'s result: the statistics; ``worst`` with ``top``, ``rows`` with
    ``per_position`` (each a dict of arrays, one value a position)."""
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ValueError(f"top is a number of positions (1 or more), not {top!r}")
    options = make_options(base_as, candidate_as, "row" if per_position else "mean", "e", tolerance=tolerance,
                           normalize=normalize, refuse_one_class=True)
    computation = LanguageModels(labels_operand(labels), top, per_position)
    sink = Collect(keep_rows=per_position)
    with ExitStack() as stack:
        operands = [model_blocks(base, "base", stack), model_blocks(candidate, "candidate", stack)]
        try:
            summary = run_computation(computation, operands, options, sink, threads=threads)
        except DataError as error:
            raise position_mismatch(error) from None
    result = dict(summary.statistics)
    if summary.worst is not None:
        result["worst"] = _arrays(summary.worst)
    if per_position:
        blocks = [_arrays(block) for block in sink.reports]
        result["rows"] = {key: np.concatenate([block[key] for block in blocks]) for key in blocks[0]}
    return result
