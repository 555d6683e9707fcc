"""The benchmark's in-process kernels (``benchmarks/kernel.py``) compute what their rows say they do,
so that a figure in ``benchmarks/RESULTS.md`` is never the timing of a wrong computation."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

KERNEL_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "kernel.py"


@pytest.fixture(scope="module")
def kernel():
    spec = importlib.util.spec_from_file_location("benchmark_kernel", KERNEL_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_kl(zp: np.ndarray, zq: np.ndarray) -> float:
    """Σ over rows of D(P‖Q) from logits, by the textbook formula with log-sum-exp."""
    def log_softmax(z):
        shifted = z - z.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(zp), log_softmax(zq)
    return float((np.exp(log_p) * (log_p - log_q)).sum())


@pytest.mark.parametrize("name", ["divcli", "numpy", "one-exp"])
def test_kl_kernels_agree_with_the_textbook_sum(kernel, name):
    # 70,000 rows of 16: divcli's kernel crosses a block boundary (65,536 rows of 16 per block).
    zp, zq = kernel.logits(70_000, 16, seed=5)
    assert kernel.KERNELS[name]()(zp, zq) == pytest.approx(_reference_kl(zp, zq), rel=1e-12)


@pytest.mark.parametrize(("name", "operands"), [("exp-3", 3), ("exp-2", 2)])
def test_floors_take_their_exps_in_blocks(kernel, name, operands, monkeypatch):
    zp, zq = kernel.logits(70_000, 16, seed=6)
    calls = []
    real_exp = np.exp
    monkeypatch.setattr(kernel.np, "exp", lambda x, out: calls.append(x.size) or real_exp(x, out=out))
    checksum = kernel.KERNELS[name]()(zp, zq)
    assert sum(calls) == operands * zp.size  # every element, that many times
    assert max(calls) == 1 << 20  # in blocks of 2^20 values
    last = (zq if operands == 2 else zp)[(len(zp) // 65_536) * 65_536:]
    assert checksum == pytest.approx(float(real_exp(last).sum()), rel=1e-14)
