"""Language models' outputs as positions (``divcli lm``): every format reads as it always does, a
row a position; a 3-D ``.npy`` or ``.npz`` array or ``.safetensors`` tensor of shape (batch, sequence,
vocab) is read as batch·sequence rows of vocab values, a block of rows at a time, as the 2-D array of
the same bytes."""

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
from .operand import STDIN, STDIN_NAME
from .reading import Request, open_blocks, sniffed_blocks
from .spool import binary_kind, read_head, spooled
from .safetensor import safetensors_blocks, split


class PositionBlocks(NumpyBlocks):
    """A ``.npy`` file, ``.npz`` member or ``.safetensors`` tensor of logits: a 3-D array (batch, sequence, vocab) is read as
    batch·sequence rows, position ``b·sequence + s + 1`` for batch ``b`` and sequence index ``s`` (both from
    0); 1-D and 2-D arrays as :class:`~divcli.readers.binary.NumpyBlocks` reads them."""

    def __init__(self, data, name: str, dtype: np.dtype, shape: tuple[int, ...], fortran: bool,
                 columns: ColumnChoice | None = None):
        #: (batch, sequence) of a 3-D array, None otherwise
        self.batches: tuple[int, int] | None = None
        if len(shape) in (2, 3) and math.prod(shape) == 0:
            empty = "it holds no positions" if math.prod(shape[:-1]) == 0 else "its positions have no tokens"
            raise DataError(name, f"has shape {shape}: {empty}", "give a row of the vocabulary's logits (or log-probs, probs) per position")
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
    """The blocks of one model's outputs, a row a position: a ``.npy``, ``.npz`` or ``.safetensors`` array by
    :class:`PositionBlocks` (3-D arrays too), a llama.cpp dump by :class:`~divcli.readers.kld.KldBlocks`,
    anything else as :func:`~divcli.readers.reading.open_blocks` reads it; each of them on standard
    input too (:func:`stdin_positions`)."""
    if spec == STDIN and stdin is not None:
        return stdin_positions(stdin, delimiter, columns)
    if is_dump(spec):
        return kld_blocks(spec)
    tensor = split(spec)
    if tensor is not None:
        return safetensors_blocks(*tensor, columns, make=PositionBlocks, ranks=(1, 2, 3))
    source = numpy_source(spec)
    if source is None:
        return open_blocks(spec, stdin, delimiter, columns)
    return numpy_blocks(*source, columns, make=PositionBlocks)


def stdin_positions(stdin: BinaryIO, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice()) -> Blocks:
    """One model's outputs on standard input: a ``.npy``, ``.npz`` or ``.kld`` file by its first
    bytes, copied to a temporary file (:mod:`.spool`) and read as that file would be; else text, as
    every command reads it."""
    if getattr(stdin, "isatty", lambda: False)():
        return open_blocks(STDIN, stdin, delimiter, columns)  # its message: nothing is piped in
    head = read_head(stdin)
    kind = binary_kind(head)
    if kind is None:
        return sniffed_blocks(stdin, Request(delimiter, columns, widen=False), STDIN_NAME, head)
    with spooled(stdin, head, kind) as path:
        if kind == ".kld":
            return kld_blocks(path, STDIN_NAME)
        return numpy_blocks(path, None, columns, name=STDIN_NAME, make=PositionBlocks)


def sequences(p: Blocks, q: Blocks) -> tuple[int, int] | None:
    """(batch, sequence) of P when it is a 3-D array, else of Q when it is one, else None: the batch
    and sequence index each position's record names (the positions are the rows all the same, whatever shape
    each side was saved in)."""
    return getattr(p, "batches", None) or getattr(q, "batches", None)
