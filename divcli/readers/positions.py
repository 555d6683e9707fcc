"""Language models' outputs as positions (``divcli lm``): every format reads as it always does, a
row a position; a 3-D ``.npy`` or ``.npz`` array of shape (batch, sequence, vocab) is read as
batch·sequence rows of vocab values, a block of rows at a time, as the 2-D array of the same bytes."""

from __future__ import annotations

import math
import os
from typing import BinaryIO

import numpy as np

from ..errors import DataError
from .binary import NumpyBlocks, numpy_blocks
from .blocks import Blocks
from .columns import ColumnChoice
from .kld import is_dump, kld_blocks
from .reading import open_blocks


class PositionBlocks(NumpyBlocks):
    """A ``.npy`` file or ``.npz`` member of logits: a 3-D array (batch, sequence, vocab) is read as
    batch·sequence rows, position ``b·sequence + s + 1`` for batch ``b`` and token ``s`` (both from
    0); 1-D and 2-D arrays as :class:`~divcli.readers.binary.NumpyBlocks` reads them."""

    def __init__(self, data, name: str, dtype: np.dtype, shape: tuple[int, ...], fortran: bool,
                 columns: ColumnChoice | None = None):
        #: (batch, sequence) of a 3-D array, None otherwise
        self.batches: tuple[int, int] | None = None
        if len(shape) == 3 and math.prod(shape) != 0:
            if fortran:
                raise DataError(name, f"a 3-D array {shape} in Fortran order, whose positions are not stored one "
                                "after another", "save it in C order: numpy.save(path, numpy.ascontiguousarray(a))")
            self.batches = (shape[0], shape[1])
            shape = (shape[0] * shape[1], shape[2])
        super().__init__(data, name, dtype, shape, fortran, columns)


def numpy_source(spec: str) -> tuple[str, str | None] | None:
    """The path and member of the local ``.npy`` file or ``.npz`` archive (``file.npz:key``) that
    ``spec`` names, or None when it names neither."""
    if spec.lower().endswith((".npy", ".npz")):
        return (spec, None) if os.path.isfile(spec) else None
    path, colon, key = spec.rpartition(":")
    if colon and path.lower().endswith(".npz") and os.path.isfile(path):
        return path, key or None
    return None


def open_positions(spec: str, stdin: BinaryIO | None, delimiter: str | None = None,
                   columns: ColumnChoice = ColumnChoice()) -> Blocks:
    """The blocks of one model's outputs, a row a position: a ``.npy`` or ``.npz`` array by
    :class:`PositionBlocks` (3-D arrays too), a llama.cpp dump by :class:`~divcli.readers.kld.KldBlocks`,
    anything else as :func:`~divcli.readers.reading.open_blocks` reads it."""
    if is_dump(spec):
        return kld_blocks(spec)
    source = numpy_source(spec)
    if source is None:
        return open_blocks(spec, stdin, delimiter, columns)
    return numpy_blocks(*source, columns, make=PositionBlocks)
