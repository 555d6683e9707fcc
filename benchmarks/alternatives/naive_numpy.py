"""Naive numpy: loadtxt, log-softmax, sum of p·(log p − log q) per row, savetxt.

    python naive_numpy.py P Q OUT   per-row D(softmax(P) || softmax(Q)) to OUT (CSV, header ``kl``)
    python naive_numpy.py - Q       P read whole from stdin, Q one row; prints the batchmean

P and Q are headerless CSVs of logits (or ``.npy``).
"""

import sys

import numpy as np


def load(path):
    if path.endswith(".npy"):
        return np.load(path)
    return np.loadtxt(path if path != "-" else sys.stdin, delimiter=",", ndmin=2)


def log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def main(argv):
    lp = log_softmax(load(argv[0]))
    lq = log_softmax(load(argv[1]))
    kl = (np.exp(lp) * (lp - lq)).sum(axis=1)
    if argv[0] == "-":
        print(repr(float(kl.sum() / len(kl))))
        return
    np.savetxt(argv[2], kl, fmt="%.17g", header="kl", comments="")


if __name__ == "__main__":
    main(sys.argv[1:])
