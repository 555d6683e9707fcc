"""Parquet parts (``--engine dask -o DIR``): a shard's per-row records (the fields of ``-f csv``,
from :mod:`.records`) as one Arrow table, a missing value as null. Needs pyarrow (the fast extra)."""

from __future__ import annotations

import numpy as np

from ..fields import Holds
from .records import column_names
from .registry import Content, Sink


def _arrays(holds: Holds, parts: list) -> list:
    """The table's columns from the same column of every block: one, or a ``terms`` column's one per class."""
    if holds is Holds.TERMS:
        terms = np.concatenate([column.values for column in parts])
        return [np.ascontiguousarray(terms[:, index]) for index in range(terms.shape[1])]
    return [_array(holds, parts)]


def _array(holds: Holds, parts: list):
    import pyarrow as pa

    if holds is Holds.ROW:
        return np.concatenate([np.arange(column.values.start, column.values.stop) for column in parts])
    if holds is Holds.NAME:
        return [name for column in parts for name in column.values]
    values = np.concatenate([column.values for column in parts])
    if holds is Holds.INTEGER:
        return values.astype(np.int64)
    if holds is Holds.OPTIONAL:
        missing = np.concatenate([np.zeros(len(column.values), dtype=bool) if column.missing is None
                                  else column.missing for column in parts])
        return pa.array(values, mask=missing)
    return values


def table(reports: list):
    """The per-row records of ``reports`` (blocks of kl, ce, entropy, js or compare) as an Arrow table."""
    import pyarrow as pa

    blocks = [report.columns() for report in reports]
    arrays = [array for index, column in enumerate(blocks[0])
              for array in _arrays(column.holds, [block[index] for block in blocks])]
    return pa.table(dict(zip(column_names(blocks[0]), arrays)))


class ParquetSink(Sink):
    """A part file: the blocks are kept, and written as one table at the end."""

    binary = True
    takes = frozenset({"rows", "measures"})

    def __init__(self, out, console=None):
        super().__init__(out, console)
        self.reports: list = []

    def rows(self, report) -> None:
        self.reports.append(report)

    def finish(self, summary) -> None:
        import pyarrow.parquet as pq

        pq.write_table(table(self.reports), self.out)


SINKS = {Content.PARTS: ParquetSink, Content.MEASURE_PARTS: ParquetSink}
