#!/usr/bin/env python3
"""Floors of the CSV case: what parsing alone costs, as a whole process, for RESULTS.md.

    python benchmarks/floors.py arrow P.csv Q.csv    # pyarrow's CSV reader, the files at once on two threads
    python benchmarks/floors.py numpy P.csv Q.csv    # numpy.loadtxt, one file after the other
    python benchmarks/floors.py write P.npy OUT.csv  # only the writing: P's first 4 columns as a per-row CSV
    python benchmarks/floors.py arrow-write P.csv Q.csv OUT.csv   # arrow, then write: all but the KL
    python benchmarks/floors.py read-npy P.npy Q.npy  # the language-model case: reading the two files alone
    python benchmarks/floors.py exp N THREADS         # numpy's float64 exp over N values, on THREADS threads

No KL and no output: a divcli run that parses with pyarrow can be no faster than ``arrow`` on this
machine (it parses the same way, P and Q at once, each without pyarrow's own threads, the columns
taken from pyarrow's buffers; then it also computes and writes a million rows), so where a target
against pandas + SciPy is missed, this says how much of it the parsing alone takes. ``numpy`` is
numpy's own C parser, for scale. ``write`` is the other end: a per-row CSV of as many rows and
columns as divcli's (``row`` and four numbers), written as divcli writes numbers (orjson, each a
column at a time, in blocks, the rows joined), from numbers already in memory (a ``.npy`` file's
first four columns): the part of the ``.npy`` case that holds the interpreter. ``arrow-write`` is
both ends of the CSV case, one after the other: everything divcli does there but the KL. Runs in divcli's
venv (numpy, pyarrow, orjson).

``read-npy`` and ``exp`` are the language-model case's floors (``benchmarks/lm.py``): every byte of
the two ``.npy`` files read into memory and nothing else; and numpy's float64 ``exp``, the one
transcendental function that case needs per element, over as many values as both operands hold
(N = 2 × rows × classes), in blocks of 2^19 values (divcli's), THREADS blocks at once (numpy's
``exp`` releases the interpreter lock), into scratch blocks reused: a kernel that takes one numpy
``exp`` per element can be no faster on this machine.
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


def write(path: str, out: str, block: int = 1 << 15) -> None:
    """``row`` and the first four columns of the ``.npy`` at ``path`` as CSV, in blocks of rows."""
    write_values(np.load(path, mmap_mode="r"), out, block)


def write_values(values: np.ndarray, out: str, block: int = 1 << 15) -> None:
    """``row`` and the first four columns of ``values`` as CSV, in blocks of rows."""
    import orjson

    def texts(values: np.ndarray) -> list[str]:
        return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",")

    with open(out, "w") as handle:
        handle.write("row,a,b,c,d\n")
        for start in range(0, values.shape[0], block):
            part = np.ascontiguousarray(values[start:start + block, :4].T)
            columns = [texts(np.arange(start + 1, start + 1 + part.shape[1]))] + [texts(column) for column in part]
            handle.write("\n".join(map(",".join, zip(*columns))) + "\n")


def read_npy(paths: list[str]) -> int:
    """Every ``.npy`` of ``paths`` read whole into memory: the bytes' count, so nothing is skipped."""
    return sum(np.load(path).nbytes for path in paths)


def exp_floor(elements: int, threads: int, block: int = 1 << 19) -> float:
    """numpy's ``exp`` over ``elements`` values (logits of a language model's range, −30 to 0), in
    blocks of ``block`` values, ``threads`` blocks at once: the sum of the last block's results."""
    from concurrent.futures import ThreadPoolExecutor

    values = np.random.default_rng(1).uniform(-30.0, 0.0, block)
    scratch = [np.empty(block) for _ in range(threads)]
    blocks = [(start, min(block, elements - start)) for start in range(0, elements, block)]

    def one(index: int) -> float:
        start, size = blocks[index]
        out = np.exp(values[:size], out=scratch[index % threads][:size])
        return float(out[-1])

    with ThreadPoolExecutor(threads) as pool:  # in rounds of ``threads`` blocks: each its own scratch
        results = []
        for first in range(0, len(blocks), threads):
            results += pool.map(one, range(first, min(first + threads, len(blocks))))
    return results[-1] if results else 0.0


def main(argv: list[str]) -> int:
    if argv[0] == "read-npy":
        return 0 if read_npy(argv[1:]) > 0 else 1
    if argv[0] == "exp":
        exp_floor(int(argv[1]), int(argv[2]))
        return 0
    if argv[0] == "write":
        write(argv[1], argv[2])
        return 0
    if argv[0] == "arrow-write":
        p, q = arrow_at_once(argv[1:3])
        write_values(p, argv[3])
        return 0 if q.shape == p.shape else 1
    if argv[0] == "arrow":
        arrays = arrow_at_once(argv[1:])
    else:
        arrays = [plain(path) for path in argv[1:]]
    return 0 if all(array.dtype == np.float64 for array in arrays) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
