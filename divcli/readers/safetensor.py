"""safetensors files (``file.safetensors:tensor``), a block of rows at a time: what language models'
logits are saved in, float32, float16 or bfloat16.

The ``safetensors`` package (the ``lm`` extra, imported only when such a file is read) checks the
header: its length, its JSON, every tensor's dtype, shape and offsets against the file's size; it
gives the tensors' names, dtypes and shapes. The chosen tensor's data is then read as a ``.npy``
file's is (:class:`~divcli.readers.binary.NumpyBlocks`: a block of rows at a time with ``os.pread``,
never memory-mapped, never whole unless asked), its offset taken from the header once more and
checked again against the file. A block keeps the file's dtype; bfloat16, which numpy has no dtype
for, as its bits (:data:`~divcli.readers.floats.BFLOAT16_BITS`), decoded by the fused kernel or
widened exactly to float64. Every fault of a file is one :class:`~divcli.errors.DataError` naming it.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import sys
from typing import BinaryIO

import numpy as np

from ..errors import DataError, printable, show_value
from .binary import FileData, NumpyBlocks, array_operand
from .floats import BFLOAT16_BITS
from .operand import Operand, pick_read

INSTALL = 'pip install "divcli[lm]" (safetensors)'
#: safetensors' dtypes that divcli reads, as numpy reads their (little-endian) bytes: floats kept as
#: stored, integers (token ids) widened to float64 as they are read
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": BFLOAT16_BITS,
          "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1"}
_RESAVE = "save it again with safetensors' save_file"


def split(spec: str) -> tuple[str, str | None] | None:
    """The path and tensor of the local ``.safetensors`` file that ``spec`` names (``file.safetensors``
    or ``file.safetensors:tensor``), or None when it names none."""
    if spec.lower().endswith(".safetensors"):
        return (spec, None) if os.path.isfile(spec) else None
    path, colon, key = spec.rpartition(":")
    if colon and path.lower().endswith(".safetensors") and os.path.isfile(path):
        return path, key or None
    return None


def _tensors(path: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Each tensor's name → (dtype, shape), as the ``safetensors`` package reads the header (which
    it checks whole: a fault is a DataError)."""
    try:
        from safetensors import SafetensorError, safe_open
    except ImportError:
        raise DataError(path, "reading .safetensors needs the safetensors package, which is not installed",
                        INSTALL) from None
    try:
        with safe_open(path, framework="numpy") as opened:
            return {key: (part.get_dtype(), tuple(part.get_shape()))
                    for key in opened.keys() for part in (opened.get_slice(key),)}
    except SafetensorError as error:
        raise DataError(path, f"not a valid .safetensors file ({_reason(error)})", _RESAVE) from None
    except OSError as error:
        raise DataError(path, f"cannot read: {error.strerror or error}") from None


def _reason(error: Exception) -> str:
    """The safetensors package's words for a bad header, short (``invalid header length``), or the
    dtype it does not know."""
    text = str(error).removeprefix("Error while deserializing header: ")
    unknown = re.search(r"unknown variant `([^`]*)`", text)
    if unknown:
        return f"a tensor of dtype {show_value(unknown.group(1))}, which safetensors does not know"
    return printable(text[:120])


def _chosen(path: str, key: str | None, tensors: dict) -> tuple[str, str]:
    """The tensor named (``key`` may be left out when the file holds one) and the operand's name."""
    keys = list(tensors)
    if not keys:
        raise DataError(path, "the file holds no tensor", "save the logits with safetensors' save_file")
    if key is None and len(keys) == 1:
        key = keys[0]
    if key not in tensors:
        listed = ", ".join(f"{path}:{name}" for name in keys[:8]) + (f" … ({len(keys)} tensors)" if len(keys) > 8 else "")
        what = f"no tensor {show_value(key)} in the file" if key else f"{len(keys)} tensors in the file"
        raise DataError(path if key is None else f"{path}:{key}", what, f"name one: {listed}")
    return key, f"{path}:{key}"


def _data_offset(handle: BinaryIO, name: str, key: str, wanted: int, size: int) -> int:
    """Where tensor ``key``'s ``wanted`` bytes start in the file: its header read again (it was checked
    by the safetensors package; the file may have changed since), its offsets checked."""
    try:
        handle.seek(0)
        length = struct.unpack("<Q", handle.read(8))[0]
        if length > size - 8:
            raise ValueError("header longer than the file")
        begin, end = (int(offset) for offset in json.loads(handle.read(length))[key]["data_offsets"])
    except (ValueError, KeyError, TypeError, struct.error, RecursionError) as error:
        raise DataError(name, f"not a valid .safetensors file ({type(error).__name__} reading its header again)",
                        _RESAVE) from None
    if not 0 <= begin <= end or end - begin != wanted or 8 + length + end > size:
        raise DataError(name, f"the header gives the tensor bytes {begin} … {end} but its shape and dtype take "
                        f"{wanted:,} within the file's {size:,}", f"the file is cut short or corrupted; {_RESAVE}")
    return 8 + length + begin


def _check_tensor(name: str, dtype: str, shape: tuple[int, ...], ranks: tuple[int, ...]) -> np.dtype:
    """The numpy dtype of a tensor of ``dtype`` and ``shape`` divcli reads (of one of ``ranks``)."""
    if dtype not in DTYPES:
        raise DataError(name, f"holds {dtype} values; divcli reads F64, F32, F16 and BF16 tensors (and integers)",
                        "save the logits as float32, float16 or bfloat16")
    if dtype == "BF16" and sys.byteorder != "little":
        raise DataError(name, "bfloat16 is read on little-endian machines only", "save the logits as float32")
    if len(shape) not in ranks or math.prod(shape) == 0:
        wanted = "(positions, vocab) or (batch, sequence, vocab)" if 3 in ranks else "(rows, classes) or one row"
        hint = "divcli lm reads logits of shape (batch, sequence, vocab)" if len(shape) == 3 else None
        raise DataError(name, f"has shape {shape}; divcli reads a tensor of shape {wanted}", hint)
    return np.dtype(DTYPES[dtype])


def safetensors_blocks(path: str, key: str | None = None, columns=None, make=NumpyBlocks,
                       ranks: tuple[int, ...] = (1, 2)) -> NumpyBlocks:
    """The blocks of tensor ``key`` of the ``.safetensors`` file ``path`` (``key`` may be left out when
    it holds one tensor), made by ``make`` (a :class:`NumpyBlocks` or a subclass: a 3-D tensor needs
    one that reads it, with ``ranks`` (1, 2, 3))."""
    if os.path.isdir(path):
        raise DataError(path, "is a directory", "give a file")
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the blocks' close()
    except OSError as error:
        raise DataError(path, f"cannot read: {error.strerror or error}") from None
    try:
        size = os.fstat(handle.fileno()).st_size
        data = FileData(handle, path, 0)  # its size and time now: a change from here on is an error
        tensors = _tensors(path)
        key, name = _chosen(path, key, tensors)
        dtype_name, shape = tensors[key]
        dtype = _check_tensor(name, dtype_name, shape, ranks)
        data.name, data.offset = name, _data_offset(handle, name, key, math.prod(shape) * dtype.itemsize, size)
        return make(data, name, dtype, shape, False, columns)
    except BaseException:
        handle.close()
        raise


def read_safetensors(path: str, key: str | None = None, *, widen: bool = True) -> Operand:
    """Tensor ``key`` of ``path`` read whole (after checking that it fits in memory)."""
    blocks = safetensors_blocks(path, key)
    try:
        array = blocks.read_all()
    finally:
        blocks.close()
    return array_operand(array, blocks.name, widen)


# the format table's readers (divcli.readers.registry)

def tensor_read(path: str, request) -> Operand:
    return pick_read(read_safetensors(path, request.key, widen=request.widen), request.columns)


def tensor_blocks(path: str, request) -> NumpyBlocks:
    return safetensors_blocks(path, request.key, request.columns)
