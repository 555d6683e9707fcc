#!/usr/bin/env python3
"""Floors of the CSV case: what parsing alone costs, as a whole process, for RESULTS.md.

    python benchmarks/floors.py arrow P.csv Q.csv    # pyarrow's CSV reader, the files at once on two threads
    python benchmarks/floors.py numpy P.csv Q.csv    # numpy.loadtxt, one file after the other

No KL and no output: a divcli run that parses with pyarrow can be no faster than ``arrow`` on this
machine (it parses the same way, P and Q at once, each without pyarrow's own threads, the columns
taken from pyarrow's buffers; then it also computes and writes a million rows), so where a target
against pandas + SciPy is missed, this says how much of it the parsing alone takes. ``numpy`` is
numpy's own C parser, for scale. Runs in divcli's venv (numpy, pyarrow).
"""

from __future__ import annotations

import sys

import numpy as np


def arrow(path: str, threads: bool = True) -> np.ndarray:
    """The float64 table of ``path`` by pyarrow (its own threads or not), from its buffers."""
    import pyarrow as pa
    import pyarrow.csv as csv

    table = csv.read_csv(path, read_options=csv.ReadOptions(autogenerate_column_names=True, use_threads=threads),
                         convert_options=csv.ConvertOptions(column_types={f"f{i}": pa.float64() for i in range(4096)}))
    values = np.empty((table.num_rows, table.num_columns))
    for index, column in enumerate(table.columns):
        start = 0
        for chunk in column.chunks:  # to_numpy would import pyarrow.compute (0.15 s)
            data = np.frombuffer(chunk.buffers()[1], dtype=np.float64, count=len(chunk), offset=chunk.offset * 8)
            values[start:start + len(chunk), index] = data
            start += len(chunk)
    return values


def arrow_at_once(paths: list[str]) -> list[np.ndarray]:
    """Every file at once, a thread each, without pyarrow's own threads (as divcli reads P and Q)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(lambda path: arrow(path, threads=False), paths))


def plain(path: str) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def main(argv: list[str]) -> int:
    if argv[0] == "arrow":
        arrays = arrow_at_once(argv[1:])
    else:
        arrays = [plain(path) for path in argv[1:]]
    return 0 if all(array.dtype == np.float64 for array in arrays) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
