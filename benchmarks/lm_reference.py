#!/usr/bin/env python3
"""An independent check of divcli's numbers on the language-model case: D(P‖Q) of some rows of two
``.npy`` files of logits, computed here in extended precision, against the per-row values divcli
wrote (``divcli kl P Q --p-as logits --q-as logits --reduction row -q``: one value a line).

    python benchmarks/lm_reference.py P.npy Q.npy DIVCLI_ROWS.txt --rows 3,17,250 [--mpmath-rows 1]

Every row named by ``--rows`` is computed with numpy's ``longdouble`` (x86's 80-bit extended format:
a 64-bit significand, numpy's ε = 2^-63 ≈ 1.1e-19), by the textbook formula on the logits read as they are
(float16 or float32 values are exact in it): log p = z − max z − log Σ exp(z − max z), then
Σ p·(log p − log q). Its error is some ε times the row's condition (near-identical rows: Σ p·|log p −
log q| / D(P‖Q), large) and the row's length: measured against mpmath, about 1e-15, far below the
1e-12 checked. The first ``--mpmath-rows`` of them are
also computed with mpmath at 40 digits when mpmath is installed (independent of numpy altogether).
Prints one JSON object: per row divcli's value, the references and the relative differences.
No divcli import: the check shares nothing with the code it checks.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def kl_longdouble(zp: np.ndarray, zq: np.ndarray) -> float:
    """D(P‖Q) of one row of logits each, in ``np.longdouble``."""
    def log_softmax(z: np.ndarray) -> np.ndarray:
        shifted = z.astype(np.longdouble) - z.max()
        return shifted - np.log(np.sum(np.exp(shifted)))

    log_p, log_q = log_softmax(zp), log_softmax(zq)
    return float(np.sum(np.exp(log_p) * (log_p - log_q)))


def kl_mpmath(zp: np.ndarray, zq: np.ndarray, digits: int = 40) -> float:
    """D(P‖Q) of one row of logits each, with mpmath at ``digits`` significant digits."""
    import mpmath

    mpmath.mp.dps = digits
    a = [mpmath.mpf(float(x)) for x in zp]
    b = [mpmath.mpf(float(x)) for x in zq]
    log_sum_p = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in a))
    log_sum_q = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in b))
    shift = log_sum_q - log_sum_p
    return float(mpmath.fsum(mpmath.exp(x - log_sum_p) * (x - y + shift) for x, y in zip(a, b)))


def has_mpmath() -> bool:
    try:
        import mpmath  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("p")
    parser.add_argument("q")
    parser.add_argument("divcli_rows", help="divcli's per-row values, one a line")
    parser.add_argument("--rows", required=True, help="the rows to check, from 0, comma-separated")
    parser.add_argument("--mpmath-rows", type=int, default=1)
    args = parser.parse_args(argv)
    zp, zq = np.load(args.p, mmap_mode="r"), np.load(args.q, mmap_mode="r")
    with open(args.divcli_rows) as handle:
        divcli = [float(line) for line in handle if line.strip()]
    rows = [int(r) for r in args.rows.split(",")]
    mpmath_rows = set(rows[:args.mpmath_rows]) if has_mpmath() else set()
    checked = []
    for row in rows:
        entry = {"row": row, "divcli": divcli[row], "longdouble": kl_longdouble(zp[row], zq[row])}
        if row in mpmath_rows:
            entry["mpmath"] = kl_mpmath(zp[row], zq[row])
        for name in ("longdouble", "mpmath"):
            if name in entry:
                entry[f"rel_{name}"] = abs(entry["divcli"] - entry[name]) / abs(entry[name])
        checked.append(entry)
    print(json.dumps({"rows": checked, "divcli_rows": len(divcli), "file_rows": int(zp.shape[0]),
                      "longdouble_eps": float(np.finfo(np.longdouble).eps), "mpmath": has_mpmath(),
                      "numpy": np.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
