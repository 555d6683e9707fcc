#!/usr/bin/env python3
"""Floors of the CSV case: what parsing alone costs, as a whole process, for RESULTS.md.

    python benchmarks/floors.py arrow P.csv Q.csv    # pyarrow's CSV reader (its threads), to float64 arrays
    python benchmarks/floors.py numpy P.csv Q.csv    # numpy.loadtxt, one thread

No KL and no output: a divcli run on the same files can be no faster than this on this machine
(it also computes, and writes a million rows), so where a target against pandas + SciPy is missed,
this says how much of it the parsing alone takes. Runs in divcli's venv (numpy, pyarrow).
"""

from __future__ import annotations

import sys

import numpy as np


def arrow(path: str) -> np.ndarray:
    import pyarrow.csv as csv

    table = csv.read_csv(path, read_options=csv.ReadOptions(autogenerate_column_names=True))
    return np.column_stack([column.to_numpy() for column in table.columns])


def plain(path: str) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def main(argv: list[str]) -> int:
    read = {"arrow": arrow, "numpy": plain}[argv[0]]
    arrays = [read(path) for path in argv[1:]]
    return 0 if all(array.dtype == np.float64 for array in arrays) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
