#!/usr/bin/env python3
"""In-process kernel timing: per-row KL of two N × C blocks of float64 logits, M elements/s.

    python benchmarks/kernel.py divcli|torch|scipy|numpy|one-exp|exp-3|exp-2 [--rows 1000000] [--classes 16]
        [--repeats 5] [--threads 1]

Prints one JSON line: the median and every time in seconds of the computation alone (no parsing,
no output), the throughput in M elements/s (N × C pairs (p_i, q_i) per second), and the sum of the
per-row KL (to check that every kernel computes the same numbers). The logits are made in-process
with a fixed seed (normal, σ = 2), outside the timing.

- ``divcli``: what ``divcli kl P Q --p-as logits --q-as logits`` computes per block: the checks and
  the log-softmax of both operands (``kinds.to_distribution``), then the report (element terms,
  H(P), H(P,Q), D(P‖Q), the check column, the totals), in divcli's blocks (``sizes.BLOCK_ELEMENTS``
  values), ``--threads`` blocks at once on divcli's pipeline (``divcli.engine.threads.ordered``), as
  ``divcli --threads N`` computes them.
  Needs divcli importable (run it with divcli's venv).
- ``torch``: ``F.kl_div(F.log_softmax(Q, 1), F.log_softmax(P, 1), log_target=True,
  reduction="none").sum(1)`` in float64 on the CPU, on ``--threads`` threads.
- ``scipy``: ``scipy.special.softmax`` of both, then ``scipy.stats.entropy(p, q, axis=1)``.
- ``numpy``: the naive numpy a user would write: softmax by exp/sum, then Σ p·(log p − log q).
- ``one-exp``: not divcli's: a careful numpy kernel with one ``exp`` per element, whole blocks at a
  time, numpy's ``sum(axis=1)`` and ``max(axis=1)``. divcli takes one ``exp`` per element too (P's
  probabilities are e / Σe of its softmax), so the two differ in how they reduce rows and use memory.
- ``exp-3``, ``exp-2``: no KL, the floor under the numpy kernels: numpy's ``exp`` alone, 3 or 2 times
  per pair of elements (2: what divcli and any kernel from logits take; 3: a kernel that takes P's
  probabilities as ``exp`` of their logs), so that the ceiling of a numpy kernel on this machine is
  measured in the same run as the kernels.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def logits(rows: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 2.0, (rows, classes)), rng.normal(0.0, 2.0, (rows, classes))


def divcli_kernel(threads: int = 1):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from divcli.readers import sizes
    from divcli.engine.threads import ordered
    from divcli.readers.operand import Operand
    from divcli.vocabulary import Conversion, Kind, Reduction, NATURAL, Command, Side
    from divcli.numerics.distributions import to_distribution
    from divcli.computations.divergence_records import Context
    from divcli.computations.divergence_rows import kl_report
    from divcli.numerics import fast_path

    def run(zp, zq):
        classes = zp.shape[1]
        context = Context(Command.KL, Reduction.BATCHMEAN, NATURAL, [str(i) for i in range(classes)],
                          Side("p", Kind.LOGITS, "P"), Side("q", Kind.LOGITS, "Q"), values=zp.size)
        step = max(1, sizes.BLOCK_ELEMENTS // classes)
        fused = fast_path.use_fused(classes, zp.size)  # as the command: the fused kernel reads the logits itself

        def block(start: int) -> float:
            p = to_distribution(Operand(zp[start:start + step], "p"), Kind.LOGITS, "P", Conversion(), deferred=fused)
            q = to_distribution(Operand(zq[start:start + step], "q"), Kind.LOGITS, "Q", Conversion(), deferred=fused)
            return float(kl_report(p, q, context).kl.sum())

        total = 0.0  # the blocks on divcli's pipeline (threads at once), added in order
        for value in ordered(block, range(0, zp.shape[0], step), threads):
            total += value
        return total

    return run


def torch_kernel(threads: int = 1):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)

    def run(zp, zq):
        p, q = torch.from_numpy(zp), torch.from_numpy(zq)
        kl = F.kl_div(F.log_softmax(q, 1), F.log_softmax(p, 1), log_target=True, reduction="none").sum(1)
        return float(kl.sum())

    return run


def scipy_kernel():
    from scipy.special import softmax
    from scipy.stats import entropy

    def run(zp, zq):
        return float(entropy(softmax(zp, axis=1), softmax(zq, axis=1), axis=1).sum())

    return run


def numpy_kernel():
    def run(zp, zq):
        p = np.exp(zp) / np.exp(zp).sum(axis=1, keepdims=True)
        q = np.exp(zq) / np.exp(zq).sum(axis=1, keepdims=True)
        return float((p * (np.log(p) - np.log(q))).sum(axis=1).sum())

    return run


def one_exp_kernel():
    """Not divcli's: a careful numpy kernel with one ``exp`` per element (P's probabilities as
    e / Σe instead of ``exp`` of their logs), in the same blocks and with the same checks and
    per-row values, whole blocks at a time and numpy's own row reductions."""
    def run(zp, zq):
        total = 0.0
        step = max(1, (1 << 20) // zp.shape[1])
        for start in range(0, zp.shape[0], step):
            a, b = zp[start:start + step], zq[start:start + step]
            if not (np.isfinite(a).all() and np.isfinite(b).all()):
                raise ValueError("not finite")
            shifted = a - a.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            sums = e.sum(axis=1, keepdims=True)
            p = np.divide(e, sums, out=e)
            log_p = np.subtract(shifted, np.log(sums), out=shifted)
            shifted_q = b - b.max(axis=1, keepdims=True)
            log_q = shifted_q - np.log(np.exp(shifted_q).sum(axis=1, keepdims=True))
            entropy = -(p * log_p).sum(axis=1)
            cross = -(p * log_q).sum(axis=1)
            kl = (p * (log_p - log_q)).sum(axis=1)
            check = cross - entropy - kl  # noqa: F841 - divcli's check column, computed as it would be
            total += float(kl.sum())
        return total

    return run


def exp_floor(exps_per_pair: int):
    """Not a KL: numpy's float64 ``exp`` alone, ``exps_per_pair`` times over every pair of elements, in
    the blocks the kernels use, into one preallocated scratch block. No kernel that takes that many
    ``exp`` per pair through numpy can be faster on this machine: 2 for any kernel from logits, divcli's
    too (each logit's ``exp`` once: the softmax gives P's probabilities e / Σe and their logs), 3 for
    one that takes P's probabilities as ``exp`` of their logs. The checksum is the sum of the last
    block's exponentials."""
    def run(zp, zq):
        step = max(1, (1 << 20) // zp.shape[1])
        scratch = np.empty((min(step, zp.shape[0]), zp.shape[1]))
        total = 0.0
        for start in range(0, zp.shape[0], step):
            blocks = (zp[start:start + step], zq[start:start + step], zp[start:start + step])
            for block in blocks[:exps_per_pair]:
                out = np.exp(block, out=scratch[:len(block)])
            total = float(out.sum())
        return total

    return run


#: Each kernel's maker, given the threads (only divcli's and torch's use more than one).
KERNELS = {"divcli": divcli_kernel, "torch": torch_kernel, "scipy": lambda threads=1: scipy_kernel(),
           "numpy": lambda threads=1: numpy_kernel(), "one-exp": lambda threads=1: one_exp_kernel(),
           "exp-3": lambda threads=1: exp_floor(3), "exp-2": lambda threads=1: exp_floor(2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kernel", choices=sorted(KERNELS))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--classes", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--threads", type=int, default=1, help="divcli's blocks at once; torch's threads (the others: 1)")
    ap.add_argument("--files", nargs=2, metavar=("P", "Q"),
                    help="two .npy of logits read into memory first (as stored: float16 stays float16), instead of "
                         "--rows × --classes generated ones")
    args = ap.parse_args(argv)
    if args.files:
        zp, zq = (np.load(path) for path in args.files)
        args.rows, args.classes = zp.shape
    else:
        zp, zq = logits(args.rows, args.classes, args.seed)
    run = KERNELS[args.kernel](args.threads)
    checksum = run(zp[:1000], zq[:1000])  # warm-up: imports, first touch
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        checksum = run(zp, zq)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({"kernel": args.kernel, "threads": args.threads, "seconds": median, "times": times, "checksum": checksum,
                      "m_elements_per_s": args.rows * args.classes / median / 1e6}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
