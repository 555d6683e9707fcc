"""``divcli distill``: Hinton's knowledge-distillation loss, its parts, and what the usual mistakes give.

    loss = α · T² · D(softmax(t/T) ‖ softmax(s/T))  (batchmean)  +  (1 − α) · CE(labels, s)  (mean, T = 1)

with α = 1 when there are no labels. Every part is computed by the engine
(:func:`divcli.computations.runs.run_divergence`) with the ``kl`` and ``ce`` commands, one pass over
the operands each: KL at T and the cross-entropy with the labels for the loss; for the usual mistakes (``mistakes=True``: the table, CSV and JSON, not
``-q``) also the reversed KL D(student‖teacher) at T and the KL with T on the teacher only. So the
teacher is read up to three times and the student four: they must be files or literals.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Callable

import numpy as np

from ..readers.blocks import Blocks
from ..vocabulary import NATURAL, Options, Conversion, Kind, Reduction, Command, make_options
from ..engine.collect import Collect
from .runs import run_divergence
from ..errors import DataError


@contextlib.contextmanager
def _operands(p: str, q: str):
    """A :class:`DataError` of the pass inside notes which operands its P and Q were (``teacher``,
    ``student``, ``labels``) in ``error.operands``, so that a command line with an option per operand
    (``--teacher-as``) can name the right one instead of ``--p-as``."""
    try:
        yield
    except DataError as error:
        error.operands = (p, q)
        raise


def _kl(teacher: Callable[[], Blocks], student: Callable[[], Blocks], options: Options, warn, threads: int,
        roles: tuple[str, str] = ("teacher", "student")) -> dict:
    sink = Collect(keep_rows=False)
    with _operands(*roles):
        run_divergence(Command.KL, teacher(), student(), options, sink, warn=warn, threads=threads)
    return sink.summary


def distill(teacher: Callable[[], Blocks], student: Callable[[], Blocks], labels: Callable[[], Blocks] | None,
            *, temperature: float, alpha: float | None, teacher_kind: Kind = Kind.LOGITS,
            student_kind: Kind = Kind.LOGITS, labels_kind: Kind = Kind.LABELS, base=NATURAL,
            conversion: Conversion = Conversion(), weight: np.ndarray | None = None, ignore_index: int = -100,
            label_smoothing: float = 0.0, warn=lambda message: None, mistakes: bool = True,
            threads: int = 1) -> dict:
    """Every part of the distillation loss (a plain dict, JSON's document without its head).

    ``teacher``, ``student`` and ``labels`` give fresh blocks of their operand at each call (one per
    pass). ``alpha`` None means 1 without labels; with labels it is required to be in [0, 1].
    ``mistakes`` False: the loss and its parts only (one KL pass at T, one CE pass), without the
    two passes the usual mistakes take; ``parts["mistakes"]`` is then None. ``threads``: as
    :func:`divcli.computations.runs.run_divergence` (the same numbers whatever it is)."""
    a = 1.0 if alpha is None else float(alpha)
    t = float(temperature)
    soft = make_options(teacher_kind, student_kind, Reduction.BATCHMEAN, base, tolerance=conversion.tolerance,
                        normalize=conversion.normalize, temperature=t, given=conversion.given)
    at_t = _kl(teacher, student, soft, warn, threads)
    kl, squared = at_t.reductions["batchmean"], t * t
    parts = {
        "kl_at_t": kl, "t_squared_kl": squared * kl, "ce": None,
        "alpha": a, "soft_weight": a, "hard_weight": 1.0 - a,
    }
    soft_term = a * squared * kl
    hard_term = 0.0
    labels_deviation = None
    if labels is not None:
        hard = make_options(labels_kind, student_kind, Reduction.MEAN, base, tolerance=conversion.tolerance,
                            normalize=conversion.normalize, ignore_index=ignore_index, given=conversion.given,
                            label_smoothing=label_smoothing)
        sink = Collect(keep_rows=False)
        with _operands("labels", "student"):
            run_divergence(Command.CE, labels(), student(), hard, sink, weight, warn=warn, threads=threads)
        parts["ce"] = sink.summary.value
        labels_deviation = sink.summary.deviations.get("P", 0.0)
        hard_term = (1.0 - a) * parts["ce"] if a != 1.0 else 0.0  # α = 1: the hard term is gone, even if +inf
    parts.update(soft_term=soft_term, hard_term=hard_term, loss=soft_term + hard_term, n_rows=at_t.rows,
                 mistakes=None, warnings=at_t.warnings, inputs=_inputs(at_t.deviations, labels_deviation))
    if mistakes:
        parts["mistakes"] = _mistakes(teacher, student, soft, at_t, a, t, hard_term, threads)
    return parts


def _inputs(deviations: dict[str, float], labels: float | None = None) -> dict:
    """JSON's ``inputs`` for the teacher (P of the KL pass), the student (Q) and the labels (P of the
    CE pass, when given): whether rows within the tolerance of 1 but not 1 were divided by their
    sums, and the largest |Σ − 1|."""
    found = {name: deviations.get(role, 0.0) for name, role in (("teacher", "P"), ("student", "Q"))}
    if labels is not None:
        found["labels"] = labels
    return {name: {"renormalised": bool(deviation), "largest_deviation": float(deviation)}
            for name, deviation in found.items()}


def _mistakes(teacher: Callable[[], Blocks], student: Callable[[], Blocks], soft: Options, at_t, a: float, t: float,
              hard_term: float, threads: int) -> dict:
    """What the usual mistakes give: the soft term and the loss of each (two more KL passes)."""
    reversed_ = _kl(student, teacher, replace(soft, p_kind=soft.q_kind, q_kind=soft.p_kind), lambda m: None, threads,
                    roles=("student", "teacher"))
    one_side = _kl(teacher, student, replace(soft, q_conversion=replace(soft.conversion, temperature=1.0)),
                   lambda m: None, threads)
    kl, squared = at_t.reductions["batchmean"], t * t

    def with_soft(value: float) -> float:
        """The loss with ``value`` in place of T²·KL."""
        return a * value + hard_term

    return {
        "no_t_squared": {"soft": kl, "loss": with_soft(kl),
                         "how": "KL at T without the T² factor: the soft gradients shrink by 1/T²"},
        "mean_not_batchmean": {"soft": squared * at_t.reductions["mean"],
                               "loss": with_soft(squared * at_t.reductions["mean"]),
                               "how": "KLDivLoss(reduction='mean') divides by N·C, not N: C times too small"},
        "reversed": {"soft": squared * reversed_.reductions["batchmean"],
                     "loss": with_soft(squared * reversed_.reductions["batchmean"]),
                     "how": "D(student‖teacher): kl_div's arguments swapped (torch takes log Q first)"},
        "t_on_teacher_only": {"soft": squared * one_side.reductions["batchmean"],
                              "loss": with_soft(squared * one_side.reductions["batchmean"]),
                              "how": "softmax(t/T) against log_softmax(s): the student not divided by T"},
    }
