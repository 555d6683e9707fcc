"""Which path computes kl, ce and entropy: numba's fused kernel (:mod:`divcli.numerics.fused`), on
every row of a block, straight from the operands' values (no plain formula before it); or numpy's,
the plain formulas, then the rows they could not hold to the bounds by numpy's accurate kernels
(:mod:`divcli.numerics.accurate`). Both hold every value to the bounds of docs/accuracy.md; they may
differ in the last bits.

The fused kernel is taken where numba is installed (the ``fast`` extra) and the rows have at least
:data:`FUSED_CLASSES` classes, or the run's longest operand holds at least :data:`FUSED_VALUES` values
(rows × classes, where its reader knows its rows at the start: an array, a ``.npy``, ``.npz`` or
Parquet file; not text or a stream). Importing numba and loading the kernel costs about 0.4 s of CPU,
which a small call never wins back: a tiny call, ``--help`` and small inputs of narrow rows stay
numba-free. The choice is made once for a run, from C and the run's size: a row gives the same bits
whatever the block or the thread it comes with (the Dask engine sizes a run by its first shard).
``DIVCLI_KERNEL`` forces a path: ``numpy``, or ``fused`` (at any C; the numpy path where numba is not
installed); any other value is ignored.

Neither this module nor its callers import numba: :func:`fused` does, the first time it is asked.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

import numpy as np

from ..vocabulary import Kind
from .distributions import Distribution

#: The environment variable that forces a path: ``numpy`` or ``fused``.
KERNEL = "DIVCLI_KERNEL"
#: The kinds the fused kernel takes softened by a temperature: scores, softmax(z / T).
_SCORES = (Kind.LOGITS, Kind.LOG_PROBS)
#: Rows of this many classes or more take the fused kernel (where numba is installed). Measured on 2
#: cores: importing numba and loading the cached kernels costs about 0.35-0.5 s of CPU, and the fused
#: kernel saves 150-350 ns per element of a row on numpy's accurate kernels: a few million elements,
#: some 400 rows of this width, pay for it.
FUSED_CLASSES = 8192
#: Runs whose longest operand holds this many values (rows × classes) or more take the fused kernel
#: at any width. Measured on 2 cores (one thread, CPU time; kl of two logit operands, 16 to 1024
#: classes): loading numba costs 0.40 s; the fused kernel saves numpy's path 120-170 ns per value on
#: near-identical rows (numpy's accurate kernels: break-even at 2.5-3.3 million values), and 5-15 ns
#: on rows far apart (numpy's plain formulas hold: break-even at 30-80 million). Here, 4 million:
#: a small input never pays for numba, and above it the most a run can lose is what loading numba
#: costs, where numpy's kernels would lose up to 0.6 s on the rows that need them.
FUSED_VALUES = 1 << 22


@lru_cache(maxsize=1)
def _installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def use_fused(classes: int, values: int | None = None) -> bool:
    """True when rows of ``classes`` classes take the fused kernel, in a run whose longest operand
    holds ``values`` values (None: not known at the start; see the module's docstring)."""
    forced = os.environ.get(KERNEL, "").strip().lower()
    if forced == "numpy" or not _installed():
        return False
    return forced == "fused" or classes >= FUSED_CLASSES or (values or 0) >= FUSED_VALUES


def takes(*operands: Distribution, values: int | None = None) -> bool:
    """True when the fused kernel computes rows of these ``operands`` (:func:`use_fused` of their
    classes and the run's ``values``; operands softened by a temperature where all are logits or
    log-probabilities): then it computes every row of a block, reading the operands' values itself,
    and no plain formula runs before it."""
    if any(d.tempered for d in operands) and not all(d.kind in _SCORES for d in operands):
        return False  # probabilities (p^(1/T)) and labels beside a softened Q: numpy's kernels
    return use_fused(operands[0].classes, values)


def fused(name: str = "fused"):
    """A module of the fused kernel (numba imported, its kernels compiled or read from the cache):
    ``fused`` (two logit rows, and the constants), ``fused_probs`` (probability rows, entropy),
    ``fused_labels`` (P given as labels), ``fused_tempered`` (logits softened by a temperature). The
    first time, numba's cache of them is checked against their sources
    (:func:`~divcli.numerics.kernel_cache.refresh`)."""
    _fresh_cache()
    return importlib.import_module(f"{__package__}.{name}")  # numba, only here


@lru_cache(maxsize=1)
def _fresh_cache() -> None:
    from . import kernel_cache  # hashing the sources: the fused path's, once a process
    kernel_cache.refresh()


def _operand(d: Distribution, kernel) -> tuple[np.ndarray, int, bool]:
    """``d``'s rows as the fused ``kernel`` reads them: an array (the block as it was stored, where
    the reader kept it: float16, bfloat16 and float32 are decoded in the kernel's passes, never
    widened whole), what it holds (``kernel.encoded``) and whether they are logits: what
    :meth:`~divcli.numerics.distributions.Distribution.exact_rows` gives numpy's kernels, without the
    copy (logits softened by a temperature as they were given: ``fused_tempered`` divides them). Labels
    as their one-hot rows, for Q (P's are read by :func:`label_rows`)."""
    if d.kind is Kind.LABELS:
        return (*kernel.encoded(d.p), False)
    stored = getattr(d.operand, "stored", None)
    values, encoding = kernel.encoded(d.operand.values if stored is None else stored)
    return values, encoding, d.kind in (Kind.LOGITS, Kind.LOG_PROBS)


def divergence_rows(p: Distribution, q: Distribution, p_rows: np.ndarray, q_rows: np.ndarray, out_rows: np.ndarray,
                    kl: np.ndarray, entropy: np.ndarray, cross: np.ndarray, terms: np.ndarray | None = None,
                    cross_terms: bool = False, weight: np.ndarray | None = None) -> None:
    """D(P‖Q), H(P) and H(P,Q) of P's ``p_rows`` against Q's ``q_rows``, written into ``kl``,
    ``entropy`` and ``cross`` at ``out_rows``, and with ``terms`` its rows ``out_rows`` of the element
    terms: p·log(p/q), or with ``cross_terms`` −w·p·log q (``weight`` w, 1 without). For operands the
    fused kernel :func:`takes`: P's labels by :func:`label_rows`, a probability row by ``fused_probs``,
    two logit rows by ``fused``."""
    if p.kind is Kind.LABELS:
        label_rows(p, q, p_rows, q_rows, out_rows, kl, entropy, cross, np.empty_like(kl), terms, cross_terms, weight)
        return
    kernel = fused()
    (p_values, p_encoding, p_logits), (q_values, q_encoding, q_logits) = _operand(p, kernel), _operand(q, kernel)
    want = kernel.NO_TERMS if terms is None else kernel.CE_TERMS if cross_terms else kernel.KL_TERMS
    unit = _unit(p_values.shape[1]) if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
    if p.tempered or q.tempered:  # both logits (takes), each softened by its T (1 for one not softened)
        fused("fused_tempered").divergence_rows(p_values, p_encoding, _index(p_rows), _temperature(p), q_values,
                                                q_encoding, _index(q_rows), _temperature(q), unit, want,
                                                _index(out_rows), kl, entropy, cross, _out(terms))
        return
    if not (p_logits and q_logits):
        kernel = fused("fused_probs")
    kernel.divergence_rows(p_values, p_encoding, _index(p_rows), p_logits, q_values, q_encoding, _index(q_rows),
                           q_logits, unit, want, _index(out_rows), kl, entropy, cross, _out(terms))


def label_rows(p: Distribution, q: Distribution, p_rows: np.ndarray, q_rows: np.ndarray, out_rows: np.ndarray,
               kl: np.ndarray, entropy: np.ndarray, cross: np.ndarray, loss: np.ndarray, terms: np.ndarray | None = None,
               cross_terms: bool = False, weight: np.ndarray | None = None) -> None:
    """:func:`divergence_rows` for P given as labels, and ce's per-row loss −w_y·log q_y into ``loss``
    at ``out_rows``: the element terms are written at the labels only (``terms`` holds 0 elsewhere)."""
    kernel = fused()
    q_values, q_encoding, q_logits = _operand(q, kernel)
    want = kernel.NO_TERMS if terms is None else kernel.CE_TERMS if cross_terms else kernel.KL_TERMS
    given = np.empty(0) if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
    fused("fused_labels").label_rows(_index(p.labels), _index(p_rows), q_values, q_encoding, _index(q_rows), q_logits,
                                     given, want, _index(out_rows), kl, entropy, cross, loss, _out(terms))


def entropy_rows(p: Distribution, p_rows: np.ndarray, out_rows: np.ndarray, entropy: np.ndarray,
                 terms: np.ndarray | None = None) -> None:
    """H(P) of P's ``p_rows`` into ``entropy`` at ``out_rows`` (and the terms −p·log p into those
    rows of ``terms``), for an operand the fused kernel :func:`takes`."""
    kernel = fused()
    values, encoding, logits = _operand(p, kernel)
    want = kernel.NO_TERMS if terms is None else kernel.ENTROPY_TERMS
    if p.tempered:
        fused("fused_tempered").entropy_rows(values, encoding, _index(p_rows), p.conversion.temperature, want,
                                             _index(out_rows), entropy, _out(terms))
        return
    fused("fused_probs").entropy_rows(values, encoding, _index(p_rows), logits, want, _index(out_rows), entropy,
                                      _out(terms))


def position_rows(p: Distribution, q: Distribution, labels: np.ndarray | None) -> tuple | None:
    """``divcli lm``'s rows of two logit operands of as many rows that the fused kernel :func:`takes`:
    (D(P‖Q), P's and Q's top tokens, and with ``labels`` log p and log q of each row's label, else
    None, None) from one set of passes (``fused_lm``); None when either operand is not logits."""
    kernel = fused()
    (p_values, p_encoding, p_logits), (q_values, q_encoding, q_logits) = _operand(p, kernel), _operand(q, kernel)
    if not (p_logits and q_logits):
        return None
    rows = p_values.shape[0]
    kl, p_top, q_top = np.empty(rows), np.empty(rows, dtype=np.int64), np.empty(rows, dtype=np.int64)
    log_p, log_q = (np.empty(rows), np.empty(rows)) if labels is not None else (np.empty(0), np.empty(0))
    fused("fused_lm").position_rows(p_values, p_encoding, q_values, q_encoding,
                                    _index(np.empty(0) if labels is None else labels), kl, p_top, q_top, log_p, log_q)
    return kl, p_top, q_top, *((log_p, log_q) if labels is not None else (None, None))


def mixture_rows(p: Distribution, q: Distribution, p_rows: np.ndarray, q_rows: np.ndarray,
                 alphas: tuple[float, ...]) -> np.ndarray:
    """JS, TV, BC, ½ Σ (√p − √q)², χ² both ways and log Σ p^α·q^(1−α) for each of ``alphas``, one row
    per pair of P's ``p_rows`` and Q's ``q_rows`` (the columns of ``fused_mixture.mixture_rows``),
    for operands the fused kernel :func:`takes` (not P given as labels)."""
    values = fused()
    (p_values, p_encoding, p_logits), (q_values, q_encoding, q_logits) = _operand(p, values), _operand(q, values)
    kernel = fused("fused_mixture")
    result = np.zeros((len(p_rows), kernel.RENYI + len(alphas)))
    kernel.mixture_rows(p_values, p_encoding, _index(p_rows), p_logits, q_values, q_encoding, _index(q_rows), q_logits,
                        np.array(alphas, dtype=np.float64), _index(np.arange(len(p_rows))), result)
    return result


def _temperature(d: Distribution) -> float:
    """The temperature ``d``'s rows are softened by: 1.0 where they are not."""
    return float(d.conversion.temperature) if d.tempered else 1.0


@lru_cache(maxsize=4)
def _unit(classes: int) -> np.ndarray:
    """C weights of 1, made once per C (the kernels only read it)."""
    return np.ones(classes)


def _index(rows: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rows, dtype=np.int64)


def _out(terms: np.ndarray | None) -> np.ndarray:
    """The terms array to write into (a 1 × 1 stand-in without one: the kernels never touch it)."""
    return np.empty((1, 1)) if terms is None else terms
