"""Parquet: every numeric column a class (its name the class name), or one list column of each row's
values; read a record batch at a time, so memory is bounded by a batch, not the file. Needs pyarrow
(the ``fast`` extra), imported only when a Parquet file is read.
"""

from __future__ import annotations

import re

import numpy as np

from . import sizes
from .columns import ColumnChoice, pick_values
from ..errors import DataError, option, show_value
from ..vocabulary import count_of
from .binary import array_operand
from .blocks import bounded_rows
from .json import json_name
from .json_records import choose_list
from .operand import Operand

#: The one-line fix when pyarrow is missing.
INSTALL_FAST = 'pip install "divcli[fast]" (pyarrow)'


def arrow_reason(error: Exception) -> str:
    """pyarrow's reason, whole sentences only: its first sentence (on its first line), at most 300
    characters, without the file's path (the message names the file already)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    sentence = re.split(r"(?<=[a-z)'\]])\. ", text, maxsplit=1)[0].rstrip(".")
    return sentence if len(sentence) <= 300 else f"{type(error).__name__}: message too long to show"


def check_column_names(names: list[str], path: str) -> None:
    """Parquet allows two columns of one name; divcli names the classes by them, so refuses that."""
    seen = set()
    for column in names:
        if column in seen:
            raise DataError(path, f"two columns are named {show_value(column)}", "give every column its own name")
        seen.add(column)


class ParquetReader:
    """A Parquet file's rows, a record batch at a time: every numeric column is a class (its name the
    class name), or a single list column holds each row's values. Integer and float columns
    (float32 included) are widened to float64; nulls, nan and other types are errors that name the
    row and the column. Memory is bounded by a row group, not the file."""

    BATCH_ROWS = 1 << 16

    def __init__(self, path: str, columns: ColumnChoice = ColumnChoice()):
        self.name = path
        try:
            import pyarrow.parquet as parquet
        except ImportError:
            raise DataError(path, "reading Parquet needs pyarrow, which is not installed", INSTALL_FAST) from None
        import pyarrow as pa

        self.pa = pa
        try:
            self.file = parquet.ParquetFile(path)
        except (pa.ArrowException, OSError) as error:
            raise DataError(path, f"not a Parquet file pyarrow can read ({arrow_reason(error)})") from None
        schema = self.file.schema_arrow
        check_column_names(schema.names, path)
        lists = {field_.name for field_ in schema if _is_list(pa.types, field_.type)}
        self.list_column = bool(lists)
        self.picked = None if self.list_column else columns.resolve(schema.names, len(schema), path)
        # a file of one list column: --select and --names choose among its items, by number
        self.columns_choice = columns if len(schema) == 1 and self.list_column and columns.given else None
        self.names_column = None if self.picked is None or self.picked.names is None else schema.names[self.picked.names]
        self.row_names: list[str] | None = None  # the last batch's (--names)
        if self.picked is not None:
            schema = [schema.field(index) for index in self.picked.keep]
        elif self.list_column and len(schema) > 1:  # records: an id column and a list column, say (--select)
            chosen, self.names_column = choose_list(schema.names, lists, columns, lambda: path, path, "column")
            schema = [schema.field(chosen)]
        self.columns = self._numeric_columns(schema)
        self.classes = None if self.list_column else self.columns
        self.width = None if self.list_column else len(self.columns)
        #: the columns the batches hold (None: every column); the names column last
        records = self.list_column and len(self.file.schema_arrow) > 1
        self.read_columns = None if self.picked is None and not records else \
            self.columns + [self.names_column] * (self.names_column is not None)
        self.batches = self.file.iter_batches(batch_size=self.BATCH_ROWS, columns=self.read_columns)
        self.rows_read = 0

    def _numeric_columns(self, fields) -> list[str]:
        """The names of ``fields``, each of numbers (or a list column of numbers), at least one."""
        types = self.pa.types
        for field_ in fields:
            kind = field_.type.value_type if self.list_column else field_.type
            if not (types.is_integer(kind) or types.is_floating(kind)):
                raise DataError(f"{self.name}: column {field_.name!r}", f"holds {kind} values, not real numbers",
                                "divcli reads integer and float columns, or one list column of numbers")
        if not len(fields):
            raise DataError(self.name, "no columns")
        return [field_.name for field_ in fields]

    def _where(self, row: int, col: int | None = None) -> str:
        if self.list_column:
            return f"{self.name}: row {row + 1}" + ("" if col is None else f", item {col + 1}")
        return f"{self.name}: row {row + 1}, column {self.columns[col]!r}"

    def _column(self, array, first_row: int, col: int | None) -> np.ndarray:
        if array.null_count:
            row = int(np.argmax(np.asarray(array.is_null())))
            raise DataError(self._where(first_row + row, col), "a missing value (null)", "every cell needs a number")
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)

    def close(self) -> None:
        self.file.close()

    def next_batch(self) -> np.ndarray | None:
        """The next record batch as float64 rows, checked, or None at the end of the file."""
        try:
            batch = next(self.batches, None)
        except (self.pa.ArrowException, OSError) as error:
            raise DataError(self.name, f"cannot read: {arrow_reason(error)}") from None
        if batch is None:
            return None
        first = self.rows_read
        self.rows_read += batch.num_rows
        if self.list_column:
            values = self._list_rows(batch, first)
        else:
            values = np.empty((batch.num_rows, len(self.columns)), dtype=np.float64)
            for col in range(len(self.columns)):
                values[:, col] = self._column(batch.column(col), first, col)
        if self.names_column is not None:
            names = batch.column(batch.num_columns - 1)
            self.row_names = [value if isinstance(value, str) else "" if value is None else json_name(value)
                              for value in names.to_pylist()]
        return self._no_nan(values, first)

    def _list_rows(self, batch, first: int) -> np.ndarray:
        """The rows of a batch of one list column: each row's list, all of one length."""
        lists = batch.column(0)
        if lists.null_count:
            row = int(np.argmax(np.asarray(lists.is_null())))
            raise DataError(self._where(first + row), "a missing row (null)")
        if self.pa.types.is_fixed_size_list(lists.type):  # every row the same length
            self.width = lists.type.list_size
            return self._items(lists.flatten(), first).reshape(batch.num_rows, self.width)
        offsets = np.asarray(lists.offsets, dtype=np.int64)
        lengths = np.diff(offsets)
        self.width = self.width or (int(lengths[0]) if lengths.size else None)
        ragged = lengths != self.width
        if ragged.any():
            row = int(np.argmax(ragged))
            has = count_of(int(lengths[row]), "value", "values")
            raise DataError(self._where(first + row), f"this row has {has}, the first has {self.width}",
                            "every row needs one value per class")
        flat = self._items(lists.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])), first)
        values = flat.reshape(batch.num_rows, self.width or 0)
        if self.columns_choice is not None:  # by number: the items of every row's list
            values, self.row_names = pick_values(values, self.columns_choice.resolve(None, values.shape[1], self.name))
        return values

    def _items(self, flat, first: int) -> np.ndarray:
        """The items of every row's list, one after the other (rows of ``self.width`` items): a null
        is placed by its row and its item, not by its place in the flattened lists."""
        if flat.null_count:
            at = int(np.argmax(np.asarray(flat.is_null())))
            row, item = divmod(at, self.width)
            raise DataError(self._where(first + row, item), "a missing value (null)", "every cell needs a number")
        return self._column(flat, first, None)

    def _no_nan(self, values: np.ndarray, first: int) -> np.ndarray:
        bad = np.isnan(values)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise DataError(self._where(first + int(row), int(col)), "nan is not a value")
        return values


def _is_list(types, kind) -> bool:
    return types.is_list(kind) or types.is_large_list(kind) or types.is_fixed_size_list(kind)


def read_parquet(path: str, columns: ColumnChoice = ColumnChoice()) -> Operand:
    """A whole Parquet file (``--columns`` and ``--weight`` need the whole operand)."""
    reader = ParquetReader(path, columns)
    parts, names = [], []
    try:
        while (values := reader.next_batch()) is not None:
            parts.append(values)
            names += reader.row_names or []
    finally:
        reader.close()
    if not parts or not sum(len(part) for part in parts) or not parts[0].shape[1]:
        raise DataError(path, "no numbers found")
    return Operand(np.concatenate(parts), path, reader.classes, row_names=names or None)


class ParquetBlocks:
    """A Parquet file read a record batch at a time (see :class:`ParquetReader`)."""

    def __init__(self, path: str, columns: ColumnChoice = ColumnChoice()):

        self.reader = ParquetReader(path, columns)
        if self.reader.width:  # record batches of at most a block's values (a list column's width shows later)
            batch = bounded_rows(self.reader.BATCH_ROWS, self.reader.width, sizes.BLOCK_ELEMENTS)
            self.reader.batches = self.reader.file.iter_batches(batch_size=batch, columns=self.reader.read_columns)
        self.name = path
        self.pending = np.empty((0, 0))
        self.pending_names: list[str] = []  # the row names of the pending rows (--names)
        self.rows_read = 0

    def _fill(self, rows: int) -> None:
        parts, have = [self.pending], len(self.pending)
        while have < rows and (values := self.reader.next_batch()) is not None:
            parts.append(values)
            self.pending_names += self.reader.row_names or []
            have += len(values)
        if len(parts) > 1:
            self.pending = np.concatenate([part for part in parts if part.size] or parts[-1:])

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        self._fill(1)
        if len(self.pending):
            rows = bounded_rows(rows, self.pending.shape[1], max_values)
        self._fill(rows)
        if not len(self.pending) or not self.pending.shape[1]:
            if self.rows_read == 0:
                raise DataError(self.name, "no numbers found")
            return None
        block, self.pending = self.pending[:rows], self.pending[rows:]
        names, self.pending_names = self.pending_names[:rows] or None, self.pending_names[rows:]
        operand = Operand(block, self.name, self.reader.classes, first_row=self.rows_read, row_names=names)
        self.rows_read += len(block)
        return operand

    def exhausted(self) -> bool:
        self._fill(1)
        return not len(self.pending)

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in rows."""
        return self.rows_read, self.reader.file.metadata.num_rows

    def close(self) -> None:
        self.reader.close()


_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


def _refuse_list_columns(schema, name: str) -> None:
    """A shard of records (an id and a list column) is read by the local engine only: the Dask
    engine's shards are columns of numbers (a list there would be refused as "not numbers", with
    --select, which cannot choose it)."""
    import pyarrow as pa

    lists = [field_.name for field_ in schema if _is_list(pa.types, field_.type)]
    if lists:
        raise DataError(name, f"column {show_value(lists[0])} holds a list a row; with {option('engine', 'dask')} "
                        "Parquet shards are read as columns of numbers",
                        f"read records of a list column with {option('engine', 'local')}, or write each item "
                        "as a column of its own")


def read_parquet_shard(source) -> Operand:
    """The numeric columns (all, or those ``source.pick`` chooses by name) of a Parquet shard of the
    Dask engine, read whole from ``source.open()``; they name the classes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source.open())
        check_column_names(parquet.schema_arrow.names, source.name)
        _refuse_list_columns(parquet.schema_arrow, source.name)
        names = [name for name in parquet.schema_arrow.names if not _PANDAS_INDEX.fullmatch(name)]
        if source.pick is not None:
            names = [names[i] for i in source.pick(names)]
        table = parquet.read(columns=names)
    except (pa.ArrowException, OSError) as error:
        raise DataError(source.name, f"not a Parquet file pyarrow can read ({arrow_reason(error)})") from None
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            raise DataError(source.name, f"column {show_value(name)} holds {column.type}, not numbers",
                            f"choose the numeric columns with {option('select')} (or {option('p_select')} / {option('q_select')})")
        if column.null_count:
            row = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
            raise DataError(f"{source.name}: row {row + 1}, column {show_value(name)}", "an empty (null) value")
        columns.append(column.to_numpy())
    if not columns:
        raise DataError(source.name, "no columns")
    operand = array_operand(np.column_stack(columns), source.name)
    operand.classes = list(table.column_names)
    return operand
