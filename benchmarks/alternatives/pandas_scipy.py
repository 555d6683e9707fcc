"""pandas + SciPy, as a data person would write it: read_csv, softmax, scipy.stats.entropy per row.

    python pandas_scipy.py P Q OUT   per-row D(softmax(P) || softmax(Q)) to OUT (CSV, header ``kl``)
    python pandas_scipy.py - Q       P streamed from stdin in chunks, Q one row; prints the batchmean

P and Q are headerless CSVs of logits (or ``.npy``). ``scipy.stats.entropy(p, q, axis=1)`` is the
vectorised per-row KL (a Python loop over rows would be far slower and nobody's first choice).
"""

import sys

import numpy as np
import pandas as pd
from scipy.special import softmax
from scipy.stats import entropy


def load(path):
    if path.endswith(".npy"):
        return np.load(path)
    return pd.read_csv(path, header=None, dtype=np.float64).to_numpy()


def main(argv):
    if argv[0] == "-":
        q = softmax(load(argv[1]), axis=1)
        total, rows = 0.0, 0
        for chunk in pd.read_csv(sys.stdin, header=None, dtype=np.float64, chunksize=100_000):
            kl = entropy(softmax(chunk.to_numpy(), axis=1), q, axis=1)
            total += float(kl.sum())
            rows += len(kl)
        print(repr(total / rows))
        return
    p = softmax(load(argv[0]), axis=1)
    q = softmax(load(argv[1]), axis=1)
    pd.DataFrame({"kl": entropy(p, q, axis=1)}).to_csv(argv[2], index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
