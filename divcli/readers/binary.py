"""NumPy's binary files: ``.npy`` (memory-mapped) and ``.npz`` archives (``file.npz:key``).

Headers are checked before any array is made: the data must all be there, and Python objects
(which would be unpickled) are refused; every fault of a file is a :class:`~divcli.errors.DataError`.
"""

from __future__ import annotations

import io
import math
import os
import tokenize
from typing import BinaryIO

import numpy as np

from ..errors import DataError, show_value
from .operand import Operand

def array_operand(array, name: str, widen: bool = True) -> Operand:
    """A 1-D (one row) or 2-D numeric array from .npy/.npz: as float64, or as stored when not
    ``widen`` (its slices of rows, :meth:`Operand.rows_slice`, are float64 all the same)."""
    if array.dtype.kind not in "iuf":
        raise DataError(name, f"holds {array.dtype} values, not real numbers", "save a float or integer array")
    integer_vector = array.ndim == 1 and array.dtype.kind in "iu"
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.size == 0:
        raise DataError(name, f"has shape {array.shape}; divcli reads a 2-D array of rows (or one row)")
    if array.dtype.kind == "f":  # a slice of rows at a time: a memory-mapped file is never read whole
        step = max(1, (1 << 20) // array.shape[1])
        for start in range(0, array.shape[0], step):
            bad = np.isnan(array[start:start + step])
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise DataError(f"{name}: row {start + row + 1}, item {col + 1}", "nan is not a value")
    return Operand(np.asarray(array, dtype=np.float64) if widen else array, name, integer_vector=integer_vector)


#: What numpy's header parser raises on a corrupted .npy header (it tokenizes and evaluates a dict).
_NPY_HEADER_ERRORS = (ValueError, SyntaxError, TypeError, OverflowError, EOFError, MemoryError, KeyError,
                      tokenize.TokenError, UnicodeDecodeError)
_RESAVE = "save it again with numpy.save or numpy.savez"


def _npy_header(stream: BinaryIO, name: str, size: int) -> tuple[np.dtype, tuple[int, ...], bool]:
    """The dtype, shape and order of the .npy ``stream`` (``size`` bytes long), checked before any
    array is made: its data must all be there, and hold no Python objects (they would be unpickled)."""
    from numpy.lib import format as npy_format

    start = stream.tell()
    if stream.read(6) != b"\x93NUMPY":
        raise DataError(name, "not a .npy file (it does not start with \\x93NUMPY)", _RESAVE)
    stream.seek(start)
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
        else:
            shape, fortran, dtype = npy_format._read_array_header(stream, version)
    except _NPY_HEADER_ERRORS as error:
        raise DataError(name, f"a corrupted .npy header (numpy cannot parse it: {type(error).__name__})",
                        _RESAVE) from None
    if dtype.hasobject:
        raise DataError(name, f"holds Python objects ({dtype}), which divcli never loads (they would be unpickled)",
                        "save a float or integer array")
    wanted = math.prod(shape) * dtype.itemsize
    present = size - stream.tell()
    if wanted > present:
        raise DataError(name, f"the header says shape {shape} of {dtype} ({wanted:,} bytes) but only "
                        f"{max(present, 0):,} bytes follow it", f"the file is cut short or corrupted; {_RESAVE}")
    return dtype, shape, fortran


def _npy_array(stream: BinaryIO, name: str, size: int, path: str | None = None) -> np.ndarray:
    """The array of a .npy stream: memory-mapped from ``path`` when given, else read."""
    dtype, shape, fortran = _npy_header(stream, name, size)
    count = math.prod(shape)
    order = "F" if fortran else "C"
    if count == 0:
        return np.empty(shape, dtype, order=order)
    if path is not None:
        return np.memmap(path, dtype=dtype, mode="r", offset=stream.tell(), shape=shape, order=order)
    data = stream.read(count * dtype.itemsize)
    return np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order=order)


def read_npy(path: str, name: str | None = None, widen: bool = True) -> Operand:
    """A local ``.npy`` file, memory-mapped (the Dask engine's shards too)."""
    name = name or path
    try:
        with open(path, "rb") as handle:
            array = _npy_array(handle, name, os.fstat(handle.fileno()).st_size, path)
    except IsADirectoryError:
        raise DataError(name, "is a directory", "give a file") from None
    except OSError as error:
        raise DataError(name, f"cannot read: {error.strerror or error}") from None
    return array_operand(array, name, widen)


def read_npy_bytes(data: bytes, name: str) -> Operand:
    """A ``.npy`` file fetched whole (a remote shard)."""
    return array_operand(_npy_array(io.BytesIO(data), name, len(data)), name)


def read_numpy(path: str, key: str | None = None, *, widen: bool = True) -> Operand:
    """``.npy`` (memory-mapped) or ``.npz`` with ``file.npz:key`` (the key may be left out when the
    archive holds one array). Pickled objects are never loaded. Not ``widen``: a float32 or integer
    array stays as stored, for a reader that takes it a block of rows at a time, each widened to
    float64 (a memory-mapped float32 file is then never copied whole). Every fault of the file (cut
    short, a corrupted header, a broken zip) is a :class:`DataError` that says which."""
    if path.lower().endswith(".npy"):
        return read_npy(path, widen=widen)
    import zipfile  # and pathlib with it: 5 ms of every call, for .npz files only
    import zlib

    name = path if key is None else f"{path}:{key}"
    try:
        with open(path, "rb") as handle:
            if handle.read(2) != b"PK":
                raise DataError(name, "not a .npz file (not a zip archive)", _RESAVE)
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                members = {member.removesuffix(".npy"): member for member in archive.namelist()}
                keys = list(members)
                if key is None and len(keys) == 1:
                    key, name = keys[0], f"{path}:{keys[0]}"
                if key not in members:
                    raise DataError(name, f"{'no array ' + repr(key) if key else 'more than one array'} in the archive",
                                    f"name one: {', '.join(f'{path}:{k}' for k in keys[:8])}")
                if not members[key].endswith(".npy"):
                    raise DataError(name, f"the member {show_value(members[key])} is not a .npy array", _RESAVE)
                info = archive.getinfo(members[key])
                with archive.open(info) as member:
                    array = _npy_array(io.BytesIO(member.read()), name, info.file_size)
    except IsADirectoryError:
        raise DataError(name, "is a directory", "give a file") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DataError(name, f"a broken .npz (zip) archive ({show_value(str(error)[:200])})", _RESAVE) from None
    except OSError as error:
        raise DataError(name, f"cannot read: {error.strerror or error}") from None
    return array_operand(array, name, widen)
