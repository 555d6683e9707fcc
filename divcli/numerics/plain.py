"""Pure numpy numerics: log-softmax, entropy, cross-entropy, KL divergence and their reductions.

No I/O, no Click, no Rich. Every function works on float64 arrays of shape ``(N, C)``: N
distributions (rows) over C classes, P the reference ("true") distribution and Q the model.

Zero conventions (as ``scipy.special.rel_entr`` and torch's ``xlogy``): a term with ``p_i = 0`` is 0,
even where ``q_i = 0``; a term with ``p_i > 0`` and ``q_i = 0`` is ``+inf``.

Identities that hold row by row (and that the tests check)::

    cross_entropy(p, q) == entropy(p) + kl_divergence(p, q)
    kl_divergence(p, p) == 0,  kl_divergence(p, q) >= 0   (Gibbs' inequality)
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np



def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log-softmax along ``axis``, stable for logits of any size (log-sum-exp).

    ``log_softmax(z)_i = z_i - max(z) - log(sum_j exp(z_j - max(z)))``. Entries of ``-inf`` are
    masked classes (probability 0); a row must hold at least one finite entry. One temporary of the
    input's size besides the result (the exponentials), whatever the number of rows.
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):  # z − max below −1.8e308: −inf, a probability of 0 in float64
        shifted = z - np.max(z, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    log_total = np.log(np.sum(exps, axis=axis, keepdims=True))
    del exps
    return np.subtract(shifted, log_total, out=shifted)


#: Up to this many classes the row reductions below take numpy's einsum kernel (one SIMD loop over
#: each C-contiguous row) and a tree of ``np.maximum`` over columns, instead of ``sum(axis=1)`` and
#: ``max(axis=1)``, which cost 15-40 ns a row whatever C (a loop set up per row); beyond it the rows
#: are long enough for numpy's own reductions.
SHORT_ROWS = 128

#: The kernels below take a block's rows in chunks of about this many values (1 MiB of float64 per
#: array): every pass over a chunk then finds it in cache, and the block is read from memory and
#: written to it once, instead of once per numpy call; smaller chunks cost more calls than they save
#: (measured with kernel.py on blocks of 2^19 values: 2^16 and 2^18 both slower). A row's numbers
#: do not depend on the chunk it falls in.
CHUNK_ELEMENTS = 1 << 17


class _Kept(threading.local):
    """A thread's arrays of the blocks before, for :func:`empty` to hand out again."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []


_KEPT = _Kept()
#: How many arrays :func:`empty` keeps a thread (a block asks for ten: four of N × C, six of N).
KEEP = 16


def empty(shape: tuple[int, ...]) -> np.ndarray:
    """``np.empty(shape)`` of float64, in the memory of an array an earlier block let go of, when
    one of the right size (up to twice) is free: nothing refers to it any more, nor to a view of it
    (its reference count is this list's alone). Fresh memory comes from the operating system a
    page at a time, zeroed: when a block's arrays are freed at its end, malloc gives them back
    and the next block pays a page fault every 4 KiB, as much time as the block's arithmetic. The
    :data:`KEEP` arrays last asked for are kept, per thread; an array still in use when it leaves
    the list is simply not handed out again."""
    size = max(int(np.prod(shape)), 1)
    arrays = _KEPT.arrays
    for index in range(len(arrays)):
        # free: referred to by the list and by getrefcount's argument only (a view adds one)
        if size <= arrays[index].size <= 2 * size and sys.getrefcount(arrays[index]) == 2:
            array = arrays.pop(index)
            break
    else:
        array = np.empty(size)
        if len(arrays) >= KEEP:
            del arrays[0]
    arrays.append(array)
    return array[:int(np.prod(shape))].reshape(shape)


def chunks(rows: int, classes: int) -> list[slice]:
    """The row slices of :data:`CHUNK_ELEMENTS` values (one row at least) that cover ``rows`` rows."""
    step = max(1, CHUNK_ELEMENTS // max(classes, 1))
    return [slice(start, min(start + step, rows)) for start in range(0, rows, step)]


def row_sums(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x.sum(axis=1)`` for a 2-D float64 array, in one pass for short rows.

    Up to :data:`SHORT_ROWS` classes the sum is ``np.einsum("ij->i")`` (over a C-contiguous copy
    when ``x`` is not one): its order is fixed by C and the CPU's SIMD width alone (lanes of 4 or 8,
    then their sum), so a row gives the same bits whatever block, offset or neighbours it comes
    with, and its error is that of a pairwise sum (a depth of C/lanes + log₂ lanes). Longer rows:
    numpy's pairwise ``sum(axis=1)``. As numpy's sum, a row of −0.0 sums to 0.0."""
    if x.shape[1] > SHORT_ROWS:
        return np.add.reduce(x, axis=1, out=out)
    return np.einsum("ij->i", np.ascontiguousarray(x), out=out)


def row_dots(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``Σ_i a_i·b_i`` per row: ``einsum("ij,ij->i")`` up to :data:`SHORT_ROWS` classes (the products
    fused into the sum, one rounding less than ``(a * b).sum(axis=1)``; in the order of
    :func:`row_sums`), numpy's pairwise sum of the products beyond. Broadcast operands (one row for
    many) are read as C-contiguous rows, so a row's value does not depend on how it was given."""
    if a.shape[1] > SHORT_ROWS:
        return np.add.reduce(a * b, axis=1, out=out)
    return np.einsum("ij,ij->i", np.ascontiguousarray(a), np.ascontiguousarray(b), out=out)


def _max_into(x: np.ndarray, out: np.ndarray, free: np.ndarray) -> None:
    """The rows' maxima of ``x`` into ``out``: the first half of the columns against the second
    (read as the rows of ``x.T``, C/2 contiguous rows of N), then the same again over those rows
    until one is left; ``free`` holds the levels between. numpy's ``max(axis=1)`` sets a loop up per
    row, 40 ns each for 16 classes; this is log₂ C passes. A maximum is exact, so both give the same
    numbers (but for the sign of a zero maximum), NaN where the row has one."""
    rows = x.shape[0]
    if x.shape[1] == 1:
        out[:] = x[:, 0]
        return
    level = x.T
    while level.shape[0] > 1:
        count = level.shape[0]
        half = count // 2
        if half == 1:
            target = out[None, :]
        else:
            target, free = free[:half * rows].reshape(half, rows), free[half * rows:]
        np.maximum(level[:half], level[half:2 * half], out=target)
        if count % 2:
            np.maximum(target[0], level[-1], out=target[0])
        level = target


def softmax(z: np.ndarray, axis: int = -1, refuse=None, divide: bool = True) -> tuple:
    """Softmax and log-softmax of rows (``axis`` 1 or −1) from one ``exp`` per element:
    ``(e / Σe, z − max − log Σe)`` with ``e = exp(z − max)``; ``-inf`` masks a class (probability 0).

    ``refuse``, if given, is called where a row's maximum is not finite (a nan, a +inf, or a row of
    −inf), before anything of that chunk is computed: it should raise (:mod:`divcli.numerics.distributions` says what
    is wrong there), so that the check costs no pass of its own. With ``divide=False`` the first item
    is ``(e, Σe)`` instead of ``e / Σe``: the division is left to whoever needs the probabilities
    (:class:`divcli.numerics.distributions.Distribution` when first asked, or :func:`kl_rows` chunk by chunk). The
    results are C-contiguous, whatever the layout of ``z``. The rows go in chunks (:func:`chunks`).
    """
    z = np.asarray(z, dtype=np.float64)
    if axis not in (1, -1) or z.ndim != 2:
        raise ValueError("softmax takes rows: a 2-D array, axis 1")
    rows, classes = z.shape
    exps, shifted, top, total = empty(z.shape), empty(z.shape), empty((rows,)), empty((rows,))
    parts = chunks(rows, classes)
    free = np.empty(classes * (parts[0].stop if parts else 0))
    for part in parts:
        chunk, top_chunk, total_chunk = z[part], top[part], total[part]
        if classes > SHORT_ROWS:
            np.max(chunk, axis=1, out=top_chunk)
        else:
            _max_into(chunk, top_chunk, free)
        if refuse is not None and not np.isfinite(top_chunk).all():
            refuse()
        shifted_chunk, exps_chunk = shifted[part], exps[part]
        with np.errstate(over="ignore"):  # z − max below −1.8e308: −inf, a probability of 0 in float64
            np.subtract(chunk, top_chunk[:, None], out=shifted_chunk)
        np.exp(shifted_chunk, out=exps_chunk)
        row_sums(exps_chunk, out=total_chunk)
        np.subtract(shifted_chunk, np.log(total_chunk)[:, None], out=shifted_chunk)
        if divide:
            np.divide(exps_chunk, total_chunk[:, None], out=exps_chunk)
    return (exps if divide else (exps, total[:, None])), shifted


def logsumexp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(z)))`` along ``axis`` without overflow; ``-inf`` for a row of ``-inf``."""
    z = np.asarray(z, dtype=np.float64)
    shift = np.max(z, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(z - shift), axis=axis, keepdims=True))
    return np.squeeze(total + shift, axis=axis)


def _where_positive(p: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``p * values`` where ``p > 0``, 0 elsewhere (never ``0 * inf = nan``)."""
    p, values = np.broadcast_arrays(p, values)
    out = np.zeros(p.shape, dtype=np.float64)
    np.multiply(p, values, out=out, where=p > 0)
    return out


def entropy_terms(p: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """Element terms of the entropy, ``-p_i log p_i`` (0 where ``p_i = 0``).

    Row sums are ``H(P) = -sum_i p_i log p_i``, as ``scipy.stats.entropy(p, axis=1)``.
    """
    return _where_positive(p, -log_p)


def cross_entropy_terms(p: np.ndarray, log_q: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Element terms of the cross-entropy, ``-w_i p_i log q_i`` (0 where ``w_i p_i = 0``).

    With class weights ``w`` and ``p`` a (possibly label-smoothed) target, the row sums are torch's
    per-row ``cross_entropy(..., weight=w, reduction="none")``; ``+inf`` where ``q_i = 0 < p_i``.
    """
    return _where_positive(p if weight is None else p * weight, -log_q)  # w = 0: no term, even where q = 0


def kl_terms(p: np.ndarray, log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """Element terms of the KL divergence, ``p_i (log p_i - log q_i)`` (0 where ``p_i = 0``).

    As ``torch.nn.functional.kl_div(log_q, p, reduction="none")`` and ``scipy.special.rel_entr``.
    A term is negative where ``q_i > p_i``; the row sums are ``>= 0`` all the same.
    """
    p, log_p, log_q = np.broadcast_arrays(p, log_p, log_q)
    difference = np.zeros(p.shape, dtype=np.float64)
    np.subtract(log_p, log_q, out=difference, where=p > 0)
    return _where_positive(p, difference)


def kl_rows(p: np.ndarray, log_p: np.ndarray, log_q: np.ndarray, total: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """D(P‖Q) per element and per row, with H(P) and H(P,Q) per row, in one sweep over the rows:
    ``(terms, D, H, H(P,Q))``.

    The terms are :func:`kl_terms` to the last bit, D their :func:`row_sums`; ``H = −Σ p·log p`` and
    ``H(P,Q) = −Σ p·log q`` are :func:`row_dots` (0 where ``p_i = 0``: the conventions of
    :func:`entropy_terms` and :func:`cross_entropy_terms`). A row's numbers depend on that row alone:
    a chunk with zeros in P takes the masked forms, which give the same bits as the plain ones on
    every row without zeros. ``p``, ``log_p`` and ``log_q`` may be broadcast views (one row against
    many). With ``total`` (rows × 1), ``p`` is a softmax's ``e`` (:func:`softmax` with
    ``divide=False``), divided by ``total`` in place here, a chunk at a time: afterwards it holds P.
    """
    if total is None:
        p, log_p, log_q = np.broadcast_arrays(p, log_p, log_q)
    else:
        log_p, log_q = np.broadcast_arrays(log_p, log_q)
    rows, classes = log_p.shape
    terms = empty((rows, classes))
    kl, entropy, cross = empty((rows,)), empty((rows,)), empty((rows,))
    for part in chunks(rows, classes):
        p_chunk, log_p_chunk, log_q_chunk, terms_chunk = p[part], log_p[part], log_q[part], terms[part]
        if total is not None:
            np.divide(p_chunk, total[part], out=p_chunk)
        if p_chunk.min(initial=np.inf) > 0:  # no zeros (nor nan): one SIMD pass, no mask
            np.subtract(log_p_chunk, log_q_chunk, out=terms_chunk)
            np.multiply(p_chunk, terms_chunk, out=terms_chunk)
        else:  # zeros in P: no term of theirs, however log p and log q came out (−inf, nan)
            terms_chunk[...] = kl_terms(p_chunk, log_p_chunk, log_q_chunk)
            positive = p_chunk > 0
            log_p_chunk, log_q_chunk = np.where(positive, log_p_chunk, 0.0), np.where(positive, log_q_chunk, 0.0)
        row_sums(terms_chunk, out=kl[part])
        row_dots(p_chunk, log_p_chunk, out=entropy[part])
        row_dots(p_chunk, log_q_chunk, out=cross[part])
    # 0.0 − s, not −s: a row of zero terms (one-hot P) has the entropy +0.0, as a sum of −0.0 terms
    return terms, kl, np.subtract(0.0, entropy, out=entropy), np.subtract(0.0, cross, out=cross)


def smooth_labels(p: np.ndarray, epsilon: float, active: np.ndarray | None = None) -> np.ndarray:
    """torch's label smoothing: ``(1 - ε) p + ε / C`` on the rows that take part (``active``)."""
    if epsilon == 0:
        return p
    smoothed = (1.0 - epsilon) * p + epsilon / p.shape[-1]
    if active is not None:
        smoothed = np.where(active[:, None], smoothed, 0.0)
    return smoothed


def log_base(base: float) -> float:
    """The divisor that turns nats into units of ``base`` (1.0 for e, exactly)."""
    return 1.0 if base == math.e else math.log(base)
