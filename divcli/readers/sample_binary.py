"""Raw samples for ``divcli drift`` from binary files: ``.npy`` (1-D one column, 2-D a column each,
numbered from 1; numbers only) and Parquet (pyarrow, the ``fast`` extra: numeric columns as numbers,
text and booleans as text), read whole here and a piece at a time by :mod:`.sample_chunks`, with the
same checks (:func:`checked_npy`, :func:`arrow_cells`).
"""

from __future__ import annotations

import io
import os

import numpy as np

from ..errors import DataError, option, show_value
from .columns import ColumnChoice
from .sample_records import SampleColumn, Samples, check_unique, no_rows, picked

#: The hint of a .npy file with no row.
NPY_NO_ROWS = "save an array of one row an observation, one column a feature (numpy.save)"


def checked_npy(array: np.ndarray, name: str) -> np.ndarray:
    """A loaded .npy array as a 2-D array of numbers (a 1-D array is one column); a DataError for
    any other shape or type, or no row."""
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.dtype.kind not in "biuf":
        raise DataError(name, f"a {array.ndim}-D array of {array.dtype}: drift reads a 1-D or 2-D array of numbers",
                        "one row an observation, one column a feature")
    if array.shape[0] == 0:
        raise no_rows(name, NPY_NO_ROWS)
    return array


def load_npy(source, name: str, mmap: bool = False) -> np.ndarray:
    """``numpy.load`` of a .npy (its bytes, or a path mapped with ``mmap``), checked (:func:`checked_npy`)."""
    try:
        array = np.load(source, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(name, "no such file", "check the path") from None
    except (ValueError, OSError, EOFError) as error:
        raise DataError(name, f"not a readable .npy array: {error}") from None
    return checked_npy(array, name)


def npy_columns(values: np.ndarray, keep: list[int]) -> list[SampleColumn]:
    """The kept columns of a 2-D array of rows, as float64, named by their number from 1."""
    values = np.asarray(values, dtype=np.float64)
    return [SampleColumn(str(index + 1), np.ascontiguousarray(values[:, index]), index + 1) for index in keep]


def npy_samples(data: bytes, name: str, columns: ColumnChoice) -> Samples:
    """A .npy array's samples, from its bytes."""
    array = load_npy(io.BytesIO(data), name)
    keep = picked(None, array.shape[1], name, columns)
    return Samples(name, npy_columns(array, keep), array.shape[0])


def parquet_modules(path: str):
    """pyarrow and its Parquet module, once ``path`` is known to be a file (a missing file is said
    first, pyarrow or not); without pyarrow, how to get it (a one-line error)."""
    from .parquet import INSTALL_FAST

    check_path(path)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(path, "reading Parquet needs pyarrow", INSTALL_FAST) from None
    return pa, pq


def parquet_samples(path: str, columns: ColumnChoice) -> Samples:
    """A Parquet file: numeric columns as numbers, text and booleans as text (pyarrow)."""
    from .parquet import arrow_reason

    pa, pq = parquet_modules(path)
    try:
        schema = pq.read_schema(path)
        header = list(schema.names)
        keep = picked(header, len(header), path, columns)
        table = pq.read_table(path, columns=[header[index] for index in keep])
    except (OSError, pa.ArrowException) as error:
        raise DataError(path, f"cannot read Parquet: {arrow_reason(error)}") from None
    if table.num_rows == 0:
        raise no_rows(path, PARQUET_NO_ROWS)
    kept = [SampleColumn(header[index], arrow_cells(table.column(position), header[index], path), index + 1)
            for position, index in enumerate(keep)]
    check_unique(kept, path)
    return Samples(path, kept, table.num_rows)


#: The hint of a Parquet file with no row.
PARQUET_NO_ROWS = "give a file of one row an observation"


def check_path(path: str) -> None:
    """A path that names nothing, said as for a text file (before pyarrow's own words)."""
    if not os.path.exists(path):
        raise DataError(path, "no such file", "check the path")


def arrow_cells(column, name: str, path: str) -> np.ndarray:
    """A pyarrow column as a :class:`SampleColumn`'s cells: numbers as float64 (NaN where null), text
    and booleans as an object array of texts (None where null)."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind):
        texts = column.to_pylist()
        return np.array([value if value is None or isinstance(value, str) else ("true" if value else "false")
                         for value in texts], dtype=object)
    raise DataError(path, f"column {show_value(name)} holds {kind} values: drift reads numbers and text",
                    f"leave it out with {option('drop', name)}")
