"""js and compare (the measures, streamed: :func:`divcli.cli.run.run_streamed`), matrix (a
measure between every pair of rows) and measures (the catalogue)."""

from __future__ import annotations

import math

import click

from ...errors import foreign_digit
from ...vocabulary import Kind
from ..completion import operand
from ..terminal import Output
from ..console import make_sink, warn, whole_output
from ..help import SectionedCommand
from ..options import (AlphaType, BoundedFloat, MeasureList, MeasureType, OperandCommand, engine_options,
                       format_option, p_as_option, q_as_option, own_reading_options, reduction_option, shared_options,
                       smoothing_options)
from ..intervals import interval_options
from ..run import run_streamed, whole_operand


def _mixture_weights(text: str | None, count: int) -> list[float] | None:
    """js's weights π: one finite non-negative number (or fraction a/b) per operand, summing to 1.

    The sum is taken exactly (as fractions), so weights such as 1e308,1e308 are refused for what
    they are (they sum to 2e+308, not 1), not with an overflow."""
    if text is None:
        return None
    from fractions import Fraction

    if foreign_digit(text):
        raise click.BadParameter(f"{text!r} is not a list of numbers: {foreign_digit(text)}", param_hint="'--weights'")
    try:
        weights = [Fraction(cell.strip()) for cell in text.split(",")]
    except (ValueError, ZeroDivisionError):
        raise click.BadParameter(f"{text!r} is not a list of numbers such as 0.5,0.25,0.25 (finite ones, "
                                 "or fractions a/b)",
                                 param_hint="'--weights'")
    if len(weights) != count:
        raise click.BadParameter(f"{len(weights)} weights for {count} operands: give one per operand",
                                 param_hint="'--weights'")
    if any(w < 0 for w in weights):
        raise click.BadParameter(f"{text!r}: a weight is negative; weights are proportions ≥ 0 that sum to 1",
                                 param_hint="'--weights'")
    total = sum(weights)
    if abs(total - 1) > Fraction(1, 10**9):
        from decimal import Decimal

        exact = Decimal(total.numerator) / Decimal(total.denominator)  # no float: 1e308 + 1e308 is no float64
        shown = f"{Decimal(f'{exact:.6g}').normalize():g}"
        raise click.BadParameter(f"{text!r} sums to {shown}, not 1; weights are proportions ≥ 0 that "
                                 "sum to 1, such as 0.5,0.5", param_hint="'--weights'")
    return [float(w) for w in weights]


@click.command(cls=OperandCommand, examples=(
    'divcli js samples/hist_a.csv samples/hist_b.csv --normalize --base 2 -q',
    'divcli js "1,0" "0,1" "0.5,0.5" --weights 0.25,0.25,0.5 -q',
))
@operand("operands", nargs=-1, metavar="P Q [R …]")
@click.option("--distance", is_flag=True, help="Report the JS distance √JS (SciPy's jensenshannon) instead.")
@click.option("--weights", metavar="π", help="Mixture weights, one per operand, summing to 1 (default: equal).")
@p_as_option()
@q_as_option()
@reduction_option("js")
@smoothing_options
@interval_options
@shared_options
@own_reading_options
@engine_options
def js(operands, distance, weights, **params):
    """Jensen–Shannon divergence per row: ½D(P‖M) + ½D(Q‖M), M = ½(P+Q).

    Symmetric, finite, at most log 2. More operands (read as --q-as says): H(Σ πᵢPᵢ) − Σ πᵢH(Pᵢ).
    """
    from ..request import streamed_request

    if len(operands) < 2:
        raise click.UsageError("js needs at least two operands, P and Q")
    from ...vocabulary import ROLES

    if len(operands) > len(ROLES):
        raise click.UsageError(f"{len(operands)} operands: js takes at most {len(ROLES)}")
    pi = _mixture_weights(weights, len(operands))
    import numpy as np

    from ...measures.catalogue import named

    measures = [named("js_divergence"), named("js_distance")]
    if pi is None and len(operands) > 2:
        pi = [1 / len(operands)] * len(operands)
    pi = None if pi is None else np.array(pi)
    _run(streamed_request("js", operands, params), measures, weights=pi,
         primary="js_distance" if distance else "js_divergence")


@click.command(cls=OperandCommand, examples=(
    'divcli compare "0.36,0.48,0.16" "1/3,1/3,1/3"',
    'divcli compare samples/hist_a.csv samples/hist_b.csv --normalize --ordered -f csv',
))
@operand("p")
@operand("q")
@click.option("--alpha", type=AlphaType(), default="0.5,2", show_default=True, metavar="α[,α…]",
              help="Orders of the Rényi divergences (comma-separated).")
@click.option("--ordered", is_flag=True,
              help="Classes are ordered, one unit apart: add the 1-Wasserstein distance.")
@click.option("-m", "--measures", "measure", type=MeasureList(), metavar="KEYS",
              help="Only these measures (keys or aliases, such as psi,js), in this order.")
@p_as_option()
@q_as_option()
@reduction_option("compare")
@smoothing_options
@interval_options
@shared_options
@own_reading_options
@engine_options
def compare(p, q, alpha, ordered, measure, **params):
    """Every common divergence between P and Q at once, each with its formula and convention.
    """
    from ..request import streamed_request
    from ...measures.catalogue import catalogue, named

    # -m: those asked for, in their order (-q reports one alone); else every measure
    measures = [named(key, alpha) for key in dict.fromkeys(measure)] if measure else catalogue(alpha, ordered)
    _run(streamed_request("compare", (p, q), params), measures,
         primary=measures[0].key if measure and len(measures) == 1 else None)


def _run(request, measures, **how) -> None:
    """js or compare: the measures of the set, streamed (:func:`divcli.cli.run.run_streamed`)."""
    from ...computations.measure_set import MeasureSet
    from ...output.registry import Content

    run_streamed(request, MeasureSet(request.command, measures, **how), Content.MEASURES)


@click.command(cls=OperandCommand, examples=(
    'divcli matrix samples/teacher.csv --p-as logits',
    'divcli matrix samples/hist_a.csv --normalize --measure hellinger -f csv',
), helps={"quiet": "Print only the matrix: a line per row, comma-separated."})
@operand("file", uniform=False)
@click.option("-m", "--measure", type=MeasureType(), default="js", show_default=True,
              help="A key or alias of `divcli measures`: js, kl, tv, hellinger, renyi_2, …")
@click.option("--max-terms", type=BoundedFloat(1, hint="give a number of terms such as 1e9"), metavar="N",
              help="Compute at most N terms (rows² × classes) [default: 1e8, up to a minute].")
@p_as_option()
@shared_options
def matrix(file, measure, max_terms, **params):
    """The matrix of a measure between every pair of rows of one operand, as a heatmap.

    Entry (i, j) takes row i as P and row j as Q (the same both ways for symmetric measures).
    """
    from ..request import whole_request

    request = whole_request("matrix", (file,), params, reduction="none")
    options = request.options
    if options.p_kind is Kind.LABELS:
        raise click.BadParameter("matrix compares distributions; labels are one class each", param_hint="'--p-as'")
    from ...computations.matrix import pairwise_matrix
    from ...measures.catalogue import named
    from ...output.registry import Content

    measure = named(measure)
    operand = whole_operand(file, request.reading)
    values, deviation = pairwise_matrix(operand, measure, options, max_terms, warn=warn)
    labels = operand.row_names or [str(row + 1) for row in range(operand.rows)]
    _warn_infinite(values, measure)
    with whole_output(request.writing, "divcli matrix", Content.MATRIX) as writer:
        writer.write(values, labels, measure, options.base, operand.name, options.p_kind.value, deviation)


def _warn_infinite(values, measure) -> None:
    """A warning when entries of the matrix are +inf, naming the first."""
    infinite = int((values == math.inf).sum())
    if infinite:
        import numpy as np

        i, j = (int(x) for x in np.argwhere(values == math.inf)[0])
        warn(f"{measure.key} is +inf in {infinite} of {values.size} entries (first: P = row {i + 1}, "
             f"Q = row {j + 1}): a class has probability 0 (or underflows to 0) in Q but not in P")


@click.command(cls=SectionedCommand, examples=(
    'divcli measures',
    'divcli measures -f json',
))
@format_option()
def measures(fmt):
    """The measures of compare and matrix: key, formula, range, unit and convention.
    """
    from ..request import Writing
    from ...measures.catalogue import catalogue

    rows = [{"key": m.key, "name": m.name, "formula": m.formula, "range": m.range,
             "unit": "class steps" if m.unit else "log units (--base)" if m.log_power == 1 else
             "√ log units" if m.log_power else "none", "symmetric": m.symmetric, "convention": m.convention}
            for m in catalogue(ordered=True)]
    from ...output.registry import Content

    with Output(None) as out:
        make_sink(Content.CATALOGUE, Writing(fmt), out).write(rows)


