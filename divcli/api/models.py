"""distill and lm as functions: a teacher's and a student's logits (``divcli distill``), two language
models' outputs position by position (``divcli lm``)."""

from __future__ import annotations

from ..vocabulary import make_options
from .operands import operand, weights as class_weights


def distillation_loss(teacher_logits, student_logits, temperature, labels=None, *, alpha=None, base="e",
                      weight=None, ignore_index=-100, label_smoothing=0.0):
    """Hinton's knowledge-distillation loss α·T²·D(softmax(t/T) ‖ softmax(s/T)) (batchmean)
    + (1 − α)·CE(labels, s) (mean, at T = 1); α = 1 without ``labels``. As ``divcli distill``
    (without labels: the ``kd_loss`` of ``divcli kl … --p-as logits --q-as logits -T T``).

    Parameters
    ----------
    teacher_logits, student_logits : array_like
        N rows × C classes of logits (P and Q).
    temperature : float
        T > 0.
    labels : array_like, optional
        N class indices for the hard term.
    alpha : float in [0, 1], optional
        The soft term's weight (only with ``labels``).
    base : "e", 2, 10, "nats", "bits", "bans" or any number above 1
    weight, ignore_index, label_smoothing
        As :func:`cross_entropy`, for the hard term.

    Returns
    -------
    float
    """
    import numpy as np

    from ..readers.blocks import ArrayBlocks
    from ..computations.distill import distill

    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, not {temperature!r}")
    if alpha is not None and labels is None:
        raise ValueError("alpha weighs the soft term against the hard cross-entropy with labels: give labels")
    if alpha is not None and not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], not {alpha!r}")
    options = make_options("logits", "logits", None, base, temperature=temperature)
    teacher, student = operand(teacher_logits, "teacher"), operand(student_logits, "student")
    hard = None
    if labels is not None:
        hard = operand(np.asarray(labels, dtype=np.float64).reshape(-1, 1), "labels")
    weights = class_weights(weight)
    parts = distill(lambda: ArrayBlocks(teacher), lambda: ArrayBlocks(student),
                    None if hard is None else (lambda: ArrayBlocks(hard)), temperature=temperature, alpha=alpha,
                    base=options.base, conversion=options.conversion, weight=weights, ignore_index=ignore_index,
                    label_smoothing=label_smoothing, mistakes=False)
    return parts["loss"]


def lm_report(base, candidate, labels=None, *, base_as="logits", candidate_as="logits", top=None,
              per_position=False, tolerance=1e-6, normalize=False, threads=1):
    """Two language models compared position by position, as ``divcli lm``: D(P‖Q) per position
    (mean ± SE, percentiles), how often the top tokens agree and, with ``labels``, PPL and Δp.

    Parameters
    ----------
    base, candidate : array_like or str
        P (the reference model) and Q: (positions, vocab) or (batch, sequence, vocab) arrays (float16,
        float32 and bfloat16 are read as stored, never copied whole to float64), or files.
    labels : array_like or str, optional
        The next token's id at each position.
    base_as, candidate_as : {"logits", "log-probs", "probs"}
    top : int, optional
        Also the ``top`` positions of largest D(P‖Q), under ``"worst"``.
    per_position : bool
        Also every position, under ``"rows"``.
    tolerance, normalize, threads
        As :func:`kl_divergence`.

    Returns
    -------
    dict
        The statistics, keyed as ``divcli lm -f json``'s; ``"worst"``, ``"rows"``: arrays by field.
    """
    from ..computations.lm_runs import lm_run

    return lm_run(base, candidate, labels, base_as=base_as, candidate_as=candidate_as, top=top,
                  per_position=per_position, tolerance=tolerance, normalize=normalize, threads=threads)
