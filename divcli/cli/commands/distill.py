"""distill: Hinton's knowledge-distillation loss, written at once."""

from __future__ import annotations

import re

import click

from ...errors import printable
from ..completion import operand
from ..console import warn, whole_output
from ..options import KINDS, MAX_KD_TEMPERATURE, BoundedFloat, OperandCommand, kd_temperature_refused, shared_options
from ..run import class_weights, operand_blocks


@click.command(cls=OperandCommand, examples=(
    "divcli distill samples/teacher.csv samples/student.csv -T 2",
    'divcli distill samples/teacher.csv samples/student.csv "0;1;2;0;1;2;0;1" -T 4 --alpha 0.7 -q',
), helps={"quiet": "Print only the loss.",
          "temperature": "Soften TEACHER and STUDENT in the KL term: softmax(log p / T)."})
@operand("teacher", stdin=False)
@operand("student", stdin=False)
@operand("labels", required=False)
@click.option("--alpha", type=BoundedFloat(0, 1, hint="give α from 0 to 1, such as 0.5"), metavar="A",
              help="Weight of the KL term; 1 − A weighs CE with LABELS (default 1).")
@click.option("--teacher-as", type=click.Choice(KINDS[:3]), default="logits", show_default=True, metavar="KIND",
              help="TEACHER is logits, probs or log-probs.")
@click.option("--student-as", type=click.Choice(KINDS[:3]), default="logits", show_default=True, metavar="KIND",
              help="STUDENT is logits, probs or log-probs.")
@click.option("--labels-as", type=click.Choice(("labels", "probs")), default="labels", show_default=True,
              metavar="KIND", help="LABELS are class indices from 0 (labels) or probs.")
@click.option("--label-smoothing", type=BoundedFloat(0, 1, hint="give ε from 0 (none) to 1, such as 0.1"),
              default=0.0, show_default=True, metavar="ε", help="ε of the hard term, as ce.")
@click.option("--weight", metavar="W", help="Class weights of the hard term, as ce.")
@click.option("--ignore-index", type=int, default=-100, show_default=True, metavar="K",
              help="Labels skipped by the hard term, as torch.")
@shared_options
def distill(teacher, student, labels, alpha, teacher_as, student_as, labels_as, label_smoothing, weight,
            ignore_index, **params):
    """Hinton's knowledge-distillation loss, its parts, and the usual mistakes.

    loss = α·T²·D(softmax(t/T) ‖ softmax(s/T)) (batchmean) + (1 − α)·CE(labels, s) (mean, T = 1).
    TEACHER and STUDENT are read once per part: files or literals, not - (LABELS may be -).
    """
    from ..request import whole_request

    _check(teacher, student, labels, alpha, params["temperature"])
    request = whole_request("distill", (teacher, student, labels), params, reduction="batchmean", weight=weight)
    from ...computations.distill import distill as compute_distill
    from ...vocabulary import Kind
    from ...engine.threads import available_cpus
    from ...output import registry

    reading, options = request.reading, request.options
    class_weight = None if weight is None else class_weights(weight, reading)
    temperature = options.conversion.temperature
    document = {"command": "distill",
                "formula": "α·T²·D(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(labels, s)",
                "unit": options.base.unit, "base": options.base.text, "temperature": temperature,
                "teacher": {"source": teacher, "kind": teacher_as}, "student": {"source": student, "kind": student_as},
                "labels": None if labels is None else {"source": labels, "kind": labels_as}}
    document.update(_named_operands(lambda: compute_distill(
        lambda: operand_blocks(teacher, reading), lambda: operand_blocks(student, reading),
        None if labels is None else (lambda: operand_blocks(labels, reading)),
        temperature=temperature, alpha=alpha, teacher_kind=Kind(teacher_as), student_kind=Kind(student_as),
        labels_kind=Kind(labels_as), base=options.base, conversion=options.conversion, weight=class_weight,
        ignore_index=ignore_index, label_smoothing=label_smoothing, warn=warn,
        mistakes=not request.writing.quiet, threads=available_cpus())))  # -q prints the loss alone
    with whole_output(request.writing, "divcli distill", registry.Content.DISTILL) as writer:
        writer.write(document)


def _named_operands(compute):
    """``compute()``, its data errors naming distill's options (``--teacher-as``, ``--student-as``,
    ``--labels-as``) where the engine's name ``--p-as`` and ``--q-as``."""
    from ...errors import DataError

    try:
        return compute()
    except DataError as error:
        operands = getattr(error, "operands", None)
        if operands is None:
            raise
        where, what, hint = error.template
        for role, name in zip(("p", "q"), operands):
            what, hint = (None if text is None else text.replace(f"\x1f{role}_as\x1d", f"\x1f{name}_as\x1d")
                          for text in (what, hint))
        if hint is not None:  # LABELS are labels or probs: a fix reading them as scores is none
            scores = re.compile('\x1flabels_as\x1d"(?:logits|log-probs)"\x1d[^\x1f]*\x1f')
            hint = re.sub(scores.pattern + " for scores, ", "", hint)
            hint = None if scores.search(hint) else hint
        raise DataError(where, what, hint) from None


def _check(teacher: str, student: str, labels: str | None, alpha: float | None, temperature: float) -> None:
    """What distill's command line alone refuses (exit 2): TEACHER or STUDENT on standard input,
    --alpha without LABELS, a temperature whose T² is no float64."""
    from ...readers.source import read_once

    for role, spec in (("TEACHER", teacher), ("STUDENT", student)):
        if spec == "-" or read_once(spec):
            shown = "- (standard input)" if spec == "-" else f"{printable(spec)} (a pipe, read once)"
            raise click.UsageError(f"distill reads {role} once per part (three or four passes), so it cannot be "
                                   f"{shown}: give a file or a literal; LABELS may be -")
    if alpha is not None and labels is None:
        raise click.BadParameter("--alpha weighs the soft term against the hard CE with LABELS: give LABELS, "
                                 "or leave --alpha out (α = 1)", param_hint="'--alpha'")
    if temperature > MAX_KD_TEMPERATURE:
        raise kd_temperature_refused(temperature, "T² × KL")
