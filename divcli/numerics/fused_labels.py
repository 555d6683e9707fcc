"""The fused kernel's rows where P is given as class labels (ce, kl with P as labels, distill's hard
part): one-hot rows, so that per row only Q's normaliser and Q's value at the label count.

H(P) = 0, and H(P,Q) = D(P‖Q) = −log q_y, with log q_y as accurate.py has it for that element:
(z_y − max) − log Σ e^(z − max) with the subtraction's error (logits), log of the entry scaled by a
power of two less log of the scaled sum (probabilities). The one-hot rows are never made: the element
terms are 0 but at the label (p·log(p/q) = −log q_y there, or −w_y·log q_y for ce), +inf where
q_y = 0 (a masked logit), 0 where w_y = 0.
"""

from __future__ import annotations

import math

import numpy as np

from .fused import CE_TERMS, KL_TERMS
from .fused_probs import element_row
from .fused_rows import CHUNK, head_tail
from .fused_values import decoded, jit

_TINY = 2.2250738585072014e-308  # the smallest normal float64


@jit
def _log_q(values, encoding, label, logits, z_row, x_row):
    """log q at ``label`` of one of Q's rows (as stored: ``encoding``), and whether q is 0 exactly there
    (a masked logit, a 0)."""
    v = decoded(values, label, encoding)
    if logits:
        head, tail = head_tail(v, z_row[0])
        return (head - z_row[2]) + tail, v == -math.inf
    scale_1, scale_2, shift, log_total = x_row[0], x_row[1], x_row[2], x_row[3]
    head = v * scale_1 * scale_2
    if head < _TINY and v > 0.0:  # out of the normal range by the scaling: the log from before it
        return (math.log(v) - shift) - log_total, False
    return math.log(head) - log_total, v == 0.0


@jit
def label_rows(labels, p_rows, q_values, q_encoding, q_rows, q_logits, weight, want, out_rows, kl, entropy, cross, loss,
               terms):
    """D(P‖Q), H(P), H(P,Q) of one-hot P (its class ``labels[p_rows[r]]``) against Q's rows
    ``q_values[q_rows[r]]`` (``q_encoding``: what the array holds, fused_values.AS_IS, FLOAT16,
    BFLOAT16) into ``kl``, ``entropy``, ``cross`` at ``out_rows[r]``, in nats, and ce's
    −w_y·log q_y into ``loss`` there (``weight`` w: C weights, or none for 1); with ``want`` KL_TERMS
    or CE_TERMS, the element terms into ``terms[out_rows[r]]``."""
    chunk = np.empty(CHUNK)
    for r in range(p_rows.shape[0]):
        qv, row, label = q_values[q_rows[r]], out_rows[r], labels[p_rows[r]]
        z_row, x_row = element_row(qv, q_encoding, q_logits, chunk)
        log_q, null = _log_q(qv, q_encoding, label, q_logits, z_row, x_row)
        value = math.inf if null else -log_q + 0.0  # + 0.0: no −0.0 where q_y = 1
        w = weight[label] if weight.shape[0] else 1.0
        weighted = 0.0 if not w > 0.0 else math.inf if null else w * value + 0.0
        kl[row], entropy[row], cross[row], loss[row] = value, 0.0, value, weighted
        if want == KL_TERMS or want == CE_TERMS:
            terms[row, :] = 0.0
            terms[row, label] = value if want == KL_TERMS else weighted
