"""libraries and explain: two operands read whole, one document written at once."""

from __future__ import annotations

import math

import click

from ..completion import operand
from ..console import warn, whole_output
from ..options import OperandCommand, operand_pair, own_reading_options, p_as_option, q_as_option, shared_options
from ..run import whole_operands


@click.command(cls=OperandCommand, examples=(
    'divcli libraries "9/25,12/25,4/25" "1/3,1/3,1/3"',
    'divcli libraries samples/hist_a.csv samples/hist_b.csv --normalize',
    'divcli libraries samples/teacher.csv samples/student.csv --p-as logits --q-as logits -f json',
), helps={"quiet": "Print only each library's expression and its value, tab-separated."})
@operand_pair
@shared_options
@own_reading_options
def libraries(p, q, **params):
    """What torch, SciPy and Keras return for D(P‖Q) on these inputs, and why each differs.

    Computed with divcli's own formulas, following each library's documentation (none of them is
    needed): KLDivLoss's mean against batchmean, argument order, a forgotten .log(), cross_entropy's
    log_softmax, SciPy's silent normalising, Keras's clipping to 1e-7.
    """
    from ..request import whole_request

    request = whole_request("libraries", (p, q), params, reduction="batchmean", stdin_once=True)
    operands = whole_operands(request)
    from ...computations.libraries import compare_libraries
    from ...output.texts import renormalised_texts
    from ...output.registry import Content

    options = request.options
    found, exact, renormalised = compare_libraries(operands, options)
    unit = options.base.unit
    note = "every library computes in nats"
    if options.base.value != math.e:
        note += (f"; their values are shown ÷ ln {options.base.text} (jensenshannon, a square root, with "
                 f"base={options.base.text})")
    if options.conversion.normalize:
        note += "; --normalize rescaled P and Q for divcli, the libraries get the numbers as given"
    for line in renormalised_texts(renormalised):
        note += f"; {line} (by divcli; the libraries get the numbers as given)"
    note += _softmax_note(options)
    with whole_output(request.writing, "divcli libraries", Content.LIBRARIES) as writer:
        writer.write(found, exact, unit, note, (operands[0].name, operands[1].name))


def _softmax_note(options) -> str:
    """What P and Q stand for in the libraries' calls: labels' one-hot rows, or softmax(x / T)."""
    p_as, q_as, temperature = options.p_kind.value, options.q_kind.value, options.conversion.temperature
    note = ""
    if p_as == "labels":
        note += "; P in the calls stands for the labels' one-hot rows"
    converted = [role for role, kind in (("P", p_as), ("Q", q_as))
                 if kind not in ("probs", "labels") or temperature != 1 and kind != "labels"]
    if converted:
        shown = f" / {temperature:g}" if temperature != 1 else ""
        stand = "stand" if len(converted) > 1 else "stands"
        note += f"; {' and '.join(converted)} in the calls {stand} for the probabilities softmax(x{shown})"
        if temperature != 1:
            note += " (x: logits, or the logs of the probabilities)"
    return note


@click.command(cls=OperandCommand, examples=(
    'divcli explain "9/25,12/25,4/25" "1/3,1/3,1/3"',
    'divcli explain samples/labels.csv samples/logits.csv --p-as labels --q-as logits --row 2',
), helps={"quiet": "Print only H(P), H(P,Q) and D(P‖Q), tab-separated."})
@operand("p")
@operand("q")
@click.option("--row", type=click.IntRange(min=1), default=1, show_default=True, help="The row to explain (1 = first).")
@click.option("--all-classes", is_flag=True,
              help="List every class of a wide row (the table lists the 20 with the largest KL terms).")
@p_as_option()
@q_as_option()
@shared_options
@own_reading_options
def explain(p, q, row, all_classes, **params):
    """Work through H(P), H(P,Q) and D(P‖Q) for one row, with the numbers put in.

    Why H(P,Q) = H(P) + D(P‖Q), why KL's terms can be negative while their sum is not, and the
    checks that hold (Gibbs, Pinsker, the Jensen–Shannon bound). -f json gives every number.
    """
    from ..request import whole_request

    request = whole_request("explain", (p, q), params, reduction="batchmean", stdin_once=True)
    operands = whole_operands(request)
    from ...computations.explain import for_row
    from ...output.registry import Content

    work = for_row(operands, request.options, row)
    if work["kl_divergence"]["value"] == math.inf:
        infinite = [name for name, t in zip(work["classes"], work["kl_divergence"]["terms"]) if t == math.inf]
        warn(f"D(P‖Q) is +inf: row {row}, class {infinite[0]!r}: q = 0 (or underflows to 0) where p > 0")
    with whole_output(request.writing, "divcli explain", Content.EXPLAIN) as writer:
        writer.all_classes = all_classes  # read by the table only: -f csv and json hold every class
        writer.write(work)


