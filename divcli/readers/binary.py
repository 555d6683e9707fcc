"""NumPy's binary files: ``.npy`` and ``.npz`` archives (``file.npz:key``), a block of rows at a time.

Headers are checked before any array is made: the data must all be there, and Python objects
(which would be unpickled) are refused; every fault of a file is a :class:`~divcli.errors.DataError`.
Files are read, never memory-mapped (a mapped file cut short by another program is a bus error, not
an error message), and ``.npz`` members are unpacked as their rows are read, never whole.
"""

from __future__ import annotations

import io
import math
import os
import tokenize
from typing import BinaryIO

import numpy as np

from .columns import ColumnChoice, pick_values
from ..errors import DataError, show_value
from . import sizes
from .blocks import bounded_rows
from .floats import as_float64, comparable, has_nan, is_bfloat16
from .operand import Operand
from .source import size_text

def array_operand(array, name: str, widen: bool = True) -> Operand:
    """A 1-D (one row) or 2-D numeric array from .npy/.npz: as float64, or as stored when not
    ``widen`` (its ``values`` are float64 all the same, widened when first asked for)."""
    check_array(array.dtype, array.shape, name)
    integer_vector = array.ndim == 1 and array.dtype.kind in "iu"
    if array.ndim == 1:
        array = array[None, :]
    step = max(1, (1 << 20) // array.shape[1])  # a slice of rows at a time: no mask as large as the array
    for start in range(0, array.shape[0], step):
        check_no_nan(array[start:start + step], name, start)
    return Operand(as_float64(array) if widen else array, name, integer_vector=integer_vector)


#: What numpy's header parser raises on a corrupted .npy header (it tokenizes and evaluates a dict).
_NPY_HEADER_ERRORS = (ValueError, SyntaxError, TypeError, OverflowError, EOFError, MemoryError, KeyError,
                      tokenize.TokenError, UnicodeDecodeError)
_RESAVE = "save it again with numpy.save or numpy.savez"
#: The fix for an array of a dtype numpy does not know (bfloat16, from ml_dtypes or by hand).
UNKNOWN_DTYPE = "save it as float32 (array.astype(numpy.float32)), or in a .safetensors file (bfloat16 as it is)"


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
        # numpy's public readers take versions 1.0 and 2.0; 3.0 (written only for structured arrays
        # with non-Latin-1 field names, never numbers divcli reads) and any other are refused: numpy 2
        # no longer exposes the private reader that took them (it was an AttributeError, a traceback)
        read_header = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}.get(version)
        if read_header is not None:
            shape, fortran, dtype = read_header(stream)
    except _NPY_HEADER_ERRORS as error:
        unknown = str(error).partition("descr is not a valid dtype descriptor: ")[2]
        if unknown:  # numpy's words for a dtype it does not know, such as 'bfloat16'
            raise DataError(name, f"declares the dtype {unknown[:60]}, which numpy does not know",
                            UNKNOWN_DTYPE) from None
        raise DataError(name, f"a corrupted .npy header (numpy cannot parse it: {type(error).__name__})",
                        _RESAVE) from None
    if read_header is None:
        raise DataError(name, f"a .npy file of format version {version[0]}.{version[1]}, which divcli does not read "
                              "(versions 1.0 and 2.0)", _RESAVE)
    if dtype.hasobject:
        raise DataError(name, f"holds Python objects ({dtype}), which divcli never loads (they would be unpickled)",
                        "save a float or integer array")
    wanted = math.prod(shape) * dtype.itemsize
    present = size - stream.tell()
    if wanted > present:
        raise DataError(name, f"the header says shape {shape} of {dtype} ({wanted:,} bytes) but only "
                        f"{max(present, 0):,} bytes follow it", f"the file is cut short or corrupted; {_RESAVE}")
    return dtype, shape, fortran


#: The bytes read at a time when an array is read whole (a block of rows is read in one call).
_CHUNK = 1 << 24
_CHANGED = ("the file changed while being read (another program wrote to it meanwhile)",
            "run divcli again once the file is written")


class FileData:
    """The data of a ``.npy`` file (after its header) or a ``.safetensors`` tensor, read with
    ``os.pread``, never memory-mapped: a mapped file cut short by another program ends the reader with
    a bus error. The file's size and time are checked before every read, and a read that comes back
    short is the same error."""

    def __init__(self, handle: BinaryIO, name: str, offset: int):
        self.handle, self.name, self.offset = handle, name, offset
        self.stamp = self._stamp()

    def _stamp(self) -> tuple[int, int]:
        status = os.fstat(self.handle.fileno())
        return status.st_size, status.st_mtime_ns

    def read(self, start: int, count: int) -> bytes:
        """``count`` bytes from ``start`` (counted from the end of the header)."""
        if self._stamp() != self.stamp:
            raise DataError(self.name, *_CHANGED)
        return _exactly(count, lambda got, size: self._pread(min(size, 1 << 30), self.offset + start + got),
                        DataError(self.name, *_CHANGED))

    def _pread(self, size: int, offset: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self.handle.fileno(), size, offset)
        self.handle.seek(offset)  # Windows: no pread; these blocks are read by one thread at a time
        return self.handle.read(size)

    def finish(self) -> None:
        """The last rows are read: the file must not have changed while they were."""
        if self._stamp() != self.stamp:
            raise DataError(self.name, *_CHANGED)

    def close(self) -> None:
        self.handle.close()


def _exactly(count: int, read, short: DataError) -> bytes:
    """``count`` bytes from ``read(got, size)`` (at most ``size`` bytes after the ``got`` already
    read), called until they are all there; ``short`` is raised when a read comes back empty."""
    parts, got = [], 0
    while got < count:
        part = read(got, count - got)
        if not part:
            raise short
        parts.append(part)
        got += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


class _MemberData:
    """The data of an ``.npz`` member (after its header), unpacked as it is read, in order: never
    whole (a member of a few MB may unpack to GB)."""

    def __init__(self, member: BinaryIO, closing: list, name: str):
        self.member, self.closing, self.name = member, closing, name

    def read(self, start: int, count: int) -> bytes:
        """``count`` bytes from where the last read ended (``start``: always there)."""
        with _zip_errors(self.name):
            return _exactly(count, lambda got, size: self.member.read(min(size, _CHUNK)),
                            DataError(self.name, "the member is cut short: it holds less than its header says",
                                      _RESAVE))

    def finish(self) -> None:
        """The last rows are read: read the member to its end, where zipfile checks its CRC (a
        damaged member is an error, never numbers)."""
        with _zip_errors(self.name):
            while self.member.read(_CHUNK):
                pass

    def close(self) -> None:
        for opened in reversed(self.closing):
            opened.close()


class _zip_errors:
    """A broken archive (found at any read of a member) as one :class:`DataError`."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        import zipfile
        import zlib

        if isinstance(error, (zipfile.BadZipFile, zlib.error, EOFError)):
            raise DataError(self.name, f"a broken .npz (zip) archive ({show_value(str(error)[:200])})",
                            _RESAVE) from None
        if isinstance(error, OSError) and not isinstance(error, IsADirectoryError):
            raise DataError(self.name, f"cannot read: {error.strerror or error}") from None
        return False


class NumpyBlocks:
    """A ``.npy`` file or an ``.npz`` member, a block of rows at a time, each kept in the file's
    float dtype (:attr:`Operand.stored`; its float64 ``values`` made when first asked for) and
    checked in it (integers and picked columns are widened to float64 as they are read). Never
    memory-mapped, never read whole unless asked (:meth:`read_all`). Memory is bounded by a block,
    whatever size the header declares."""

    may_wait = False

    @property
    def light(self) -> bool:
        """A ``.npy`` file's blocks are a read of their bytes (an ``.npz`` member's are unpacked)."""
        return isinstance(self.data, FileData)

    def __init__(self, data: FileData | _MemberData, name: str, dtype: np.dtype, shape: tuple[int, ...],
                 fortran: bool, columns: ColumnChoice | None = None):
        self.data, self.name, self.dtype, self.shape, self.fortran = data, name, dtype, shape, fortran
        check_array(dtype, shape, name)
        self.rows, self.width = (1, shape[0]) if len(shape) == 1 else shape
        self.picked = columns.resolve(None, self.width, name) if columns is not None and columns.given else None
        self.next = 0
        self.whole: np.ndarray | None = None  # a Fortran-ordered array, read whole (its rows are not contiguous)

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        if self.exhausted():
            return None
        width = self.width if self.picked is None else len(self.picked.keep)
        start = self.next
        stop = min(start + bounded_rows(rows, width, max_values), self.rows)
        if self.fortran and len(self.shape) == 2:
            if self.whole is None:
                self.whole = self.read_all()
            stored = self.whole[start:stop]
        else:
            row_bytes = self.width * self.dtype.itemsize
            raw = self.data.read(start * row_bytes, (stop - start) * row_bytes)
            stored = np.frombuffer(raw, dtype=self.dtype).reshape(stop - start, self.width)
        self.next = stop
        if stop == self.rows:
            self.data.finish()
        check_no_nan(stored, self.name, start)
        if self.picked is None:  # a 1-D array of integers: maybe labels as np.save writes them (ce)
            return Operand(kept(stored), self.name, first_row=start, integer_vector=len(self.shape) == 1 and self.dtype.kind in "iu")
        values, names = pick_values(as_float64(stored), self.picked)
        return Operand(values, self.name, row_names=names, written_columns=self.picked.keep, first_row=start)

    def read_all(self) -> np.ndarray:
        """The whole array as stored (its dtype, its shape), after checking that it fits in memory."""
        count = math.prod(self.shape)
        available = sizes.memory_available()
        needed = count * max(8, self.dtype.itemsize)  # its float64 copy, the largest
        if available is not None and needed > available:
            raise DataError(self.name, f"the header says shape {self.shape} of {self.dtype}: {size_text(needed)} "
                            f"as float64, more than the {size_text(available)} of memory available",
                            "save a smaller array, or split it in parts: an array read whole must fit in memory")
        array = np.empty(count, dtype=self.dtype)
        view = array.view(np.uint8)
        for start in range(0, view.size, _CHUNK):
            size = min(_CHUNK, view.size - start)
            view[start:start + size] = np.frombuffer(self.data.read(start, size), dtype=np.uint8)
        self.data.finish()
        return array.reshape(self.shape, order="F" if self.fortran else "C")

    def exhausted(self) -> bool:
        return self.next >= self.rows

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in rows."""
        return self.next, self.rows

    def close(self) -> None:
        self.data.close()


#: The dtypes a block keeps as read (this machine's byte order); any other is widened to float64 at once.
KEPT = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def kept(stored: np.ndarray) -> np.ndarray:
    """A block as :attr:`Operand.stored` holds it: float16, float32, float64 of this machine's byte order
    or bfloat16 bits as read, C-contiguous; integers (labels, counts) and anything else in float64 at once."""
    return np.ascontiguousarray(stored) if stored.dtype in KEPT or is_bfloat16(stored.dtype) else as_float64(stored)


def check_array(dtype: np.dtype, shape: tuple[int, ...], name: str) -> None:
    """A 1-D (one row) or 2-D array of real numbers, not empty."""
    if dtype.kind == "V" and dtype.names is None:  # how numpy.save writes ml_dtypes' bfloat16: |V2
        raise DataError(name, f"holds raw {dtype.itemsize}-byte values ({dtype}), as numpy saves a dtype it does not "
                        "know (such as ml_dtypes' bfloat16)", UNKNOWN_DTYPE)
    if dtype.kind not in "iuf":
        raise DataError(name, f"holds {dtype} values, not real numbers", "save a float or integer array")
    if len(shape) not in (1, 2) or math.prod(shape) == 0:
        shape = (1, *shape) if len(shape) == 1 else shape
        raise DataError(name, f"has shape {shape}; divcli reads a 2-D array of rows (or one row)")


def check_no_nan(values: np.ndarray, name: str, first_row: int = 0) -> None:
    """``nan`` is never a value: the first one's row and item (looked for in the stored dtype)."""
    if has_nan(values):
        row, col = np.argwhere(np.isnan(comparable(values)))[0]
        raise DataError(f"{name}: row {first_row + row + 1}, item {col + 1}", "nan is not a value")


def _file_blocks(path: str, name: str, columns: ColumnChoice | None = None, make=NumpyBlocks) -> NumpyBlocks:
    """The blocks of a local ``.npy`` file (its header checked), made by ``make``."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the blocks' close()
    except IsADirectoryError:
        raise DataError(name, "is a directory", "give a file") from None
    except OSError as error:
        raise DataError(name, f"cannot read: {error.strerror or error}") from None
    try:
        dtype, shape, fortran = _npy_header(handle, name, os.fstat(handle.fileno()).st_size)
        return make(FileData(handle, name, handle.tell()), name, dtype, shape, fortran, columns)
    except BaseException:
        handle.close()
        raise


def _member_blocks(path: str, key: str | None, columns: ColumnChoice | None = None, make=NumpyBlocks,
                   shown: str | None = None) -> NumpyBlocks:
    """The blocks of a member of an ``.npz`` archive (``key`` may be left out when it holds one array),
    made by ``make``; ``shown``: the archive's name in messages (``<stdin>`` for a copy of standard
    input, where no member can be named)."""
    import zipfile  # and pathlib with it: 5 ms of every call, for .npz files only

    shown = shown or path
    name = shown if key is None else f"{shown}:{key}"
    closing: list = []
    try:
        with _zip_errors(name):
            if os.path.isdir(path):
                raise DataError(name, "is a directory", "give a file")
            handle = open(path, "rb")  # noqa: SIM115 - closed by the blocks' close()
            closing.append(handle)
            if handle.read(2) != b"PK":
                raise DataError(name, "not a .npz file (not a zip archive)", _RESAVE)
            handle.seek(0)
            archive = zipfile.ZipFile(handle)
            closing.append(archive)
            members = {member.removesuffix(".npy"): member for member in archive.namelist()}
            keys = list(members)
            if not keys:
                raise DataError(name, "the archive holds no array", "save one with numpy.savez(file, name=array)")
            if key is None and len(keys) == 1:
                key, name = keys[0], f"{shown}:{keys[0]}"
            if key not in members:
                raise DataError(name, f"{'no array ' + repr(key) if key else 'more than one array'} in the archive",
                                _name_one(path, shown, keys))
            if not members[key].endswith(".npy"):
                raise DataError(name, f"the member {show_value(members[key])} is not a .npy array", _RESAVE)
            info = archive.getinfo(members[key])
            member = archive.open(info)
            closing.append(member)
            dtype, shape, fortran = _npy_header(member, name, info.file_size)
        return make(_MemberData(member, closing, name), name, dtype, shape, fortran, columns)
    except BaseException:
        for opened in reversed(closing):
            opened.close()
        raise


def _name_one(path: str, shown: str, keys: list[str]) -> str:
    """How to name a member of an archive that holds several (not possible on standard input)."""
    if shown == path:
        return f"name one: {', '.join(f'{path}:{k}' for k in keys[:8])}"
    return (f"standard input takes an .npz of one array; save the archive and name one of its arrays "
            f"({', '.join(keys[:8])}) as FILE.npz:{keys[0]}")


def numpy_blocks(path: str, key: str | None = None, columns: ColumnChoice | None = None,
                 name: str | None = None, make=NumpyBlocks) -> NumpyBlocks:
    """``.npy`` or ``.npz`` (``file.npz:key``) a block of rows at a time (the Dask engine's local shards
    too); ``make``: the class of the blocks (a subclass of :class:`NumpyBlocks` that reads other shapes);
    ``name``: the file's name in messages (default: ``path``)."""
    if path.lower().endswith(".npy"):
        return _file_blocks(path, name or path, columns, make)
    return _member_blocks(path, key, columns, make, name)


def read_npy_bytes(data: bytes, name: str) -> Operand:
    """A ``.npy`` file fetched whole (a remote shard)."""
    stream = io.BytesIO(data)
    dtype, shape, fortran = _npy_header(stream, name, len(data))
    check_array(dtype, shape, name)
    count = math.prod(shape)
    array = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    return array_operand(array.reshape(shape, order="F" if fortran else "C"), name)


def read_numpy(path: str, key: str | None = None, *, widen: bool = True, name: str | None = None) -> Operand:
    """``.npy`` or ``.npz`` with ``file.npz:key`` (the key may be left out when the archive holds one
    array), read whole. Pickled objects are never loaded. Not ``widen``: a float32 or integer array
    stays as stored. Every fault of the file (cut short, a corrupted header, a broken zip, a file
    changed while it is read) is a :class:`DataError` that says which."""
    blocks = numpy_blocks(path, key, name=name)
    try:
        array = blocks.read_all()
    finally:
        blocks.close()
    return array_operand(array, blocks.name, widen)
