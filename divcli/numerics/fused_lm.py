"""``divcli lm``'s rows on the fused kernel: per pair of logit rows, D(P‖Q) as :mod:`.fused` computes
it (the same passes, the same bits), and from the same passes each row's top token and, with a
label, log p(label) and log q(label).

A row's maximum and normaliser 1 + others (fused_rows.normaliser) are computed once and serve both
D(P‖Q) and log p(label) = (z_label − top) − log1p(others) (z − top as head and tail, as the kernel's
−log p of H(P)): no softmax of the block, no float64 copy of it. The top token is the first index
whose value equals the row's maximum: numpy's argmax of the row (−0 and +0 compare equal there too).

Imported through :func:`divcli.numerics.fast_path.fused` only (it imports numba).
"""

from __future__ import annotations

import numpy as np

from .fused import NO_TERMS, logit_row_sums
from .fused_rows import BUFFERS, CHUNK, head_tail, normaliser
from .fused_values import decoded, jit, row_top


@jit
def _top_index(values, encoding, top):
    """The first index of the row ``values`` whose value is ``top``."""
    for i in range(values.shape[0]):
        if decoded(values, i, encoding) == top:
            return i
    return 0


@jit
def _log_prob(values, encoding, i, row):
    """log p of element ``i`` of a logit row, ``row`` its (maximum, 1 + others, log1p(others))."""
    head, tail = head_tail(decoded(values, i, encoding), row[0])
    return (head - row[2]) + tail


@jit
def position_rows(p_values, p_encoding, q_values, q_encoding, labels, kl, p_top, q_top, log_p, log_q):
    """Row r of two logit operands (as fused.encoded gives them): D(P‖Q) into ``kl[r]``, the top
    tokens into ``p_top[r]``, ``q_top[r]``, and where ``labels`` has rows (else it is empty) log p and
    log q of token ``labels[r]`` into ``log_p[r]``, ``log_q[r]``."""
    buffers = np.empty((BUFFERS, CHUNK))
    terms = np.empty((1, 1))
    for r in range(p_values.shape[0]):
        pv, qv = p_values[r], q_values[r]
        top_p, top_q = row_top(pv, p_encoding), row_top(qv, q_encoding)
        p_row = (top_p, *normaliser(pv, p_encoding, top_p))
        q_row = (top_q, *normaliser(qv, q_encoding, top_q))
        kl[r] = logit_row_sums(pv, p_encoding, qv, q_encoding, p_row, q_row, NO_TERMS, terms, 0, buffers)[0]
        p_top[r], q_top[r] = _top_index(pv, p_encoding, top_p), _top_index(qv, q_encoding, top_q)
        if labels.shape[0]:
            log_p[r], log_q[r] = _log_prob(pv, p_encoding, labels[r], p_row), _log_prob(qv, q_encoding, labels[r], q_row)
