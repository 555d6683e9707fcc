"""kl, ce and entropy: the per-row commands, streamed (:func:`divcli.cli.run.run_streamed`)."""

from __future__ import annotations

import click

from ..completion import operand
from ..options import (MAX_KD_TEMPERATURE, BoundedFloat, OperandCommand, engine_options, kd_temperature_refused,
                       operand_pair, own_reading_options, p_as_option, reduction_option, shared_options,
                       smoothing_options)
from ..run import breakdown, run_streamed
from ...vocabulary import ESTIMATORS


@click.command(cls=OperandCommand, examples=(
    'divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3"',
    'divcli kl samples/target.csv samples/uniform.csv -q',
    'divcli kl "-0.7,0.1,-0.1,0.1" "-0.1,0.2,-0.4,0.3" --p-as logits --q-as logits --reduction none',
))
@operand_pair
@reduction_option("kl")
@smoothing_options
@shared_options
@own_reading_options
@engine_options
def kl(p, q, **params):
    """KL divergence D(P‖Q) = Σ p·log(p/q), per row, with the breakdown.

    torch: F.kl_div(log Q, P) (note the order); SciPy: scipy.stats.entropy(P, Q, axis=1).
    """
    from ..request import streamed_request

    if params["temperature"] > MAX_KD_TEMPERATURE:
        raise kd_temperature_refused(params["temperature"], "kl's distillation loss T² × batchmean")
    _run(streamed_request("kl", (p, q), params))


@click.command(cls=OperandCommand, examples=(
    'divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits',
    'divcli ce "2;4;1" samples/logits.csv --q-as logits --label-smoothing 0.1 --weight "1,1,2,1,1"',
))
@operand_pair
@reduction_option("ce")
@click.option("--label-smoothing", type=BoundedFloat(0, 1, hint="give ε from 0 (none) to 1, such as 0.1"),
              default=0.0, show_default=True, metavar="ε",
              help="The target becomes (1−ε)·P + ε/C (torch's formula).")
@click.option("--weight", metavar="W", help="Class weights: a literal or a file of C non-negative numbers.")
@click.option("--ignore-index", type=int, default=-100, show_default=True, metavar="K",
              help="Labels: rows with this label are skipped, as torch.")
@shared_options
@own_reading_options
@engine_options
def ce(p, q, label_smoothing, weight, ignore_index, **params):
    """Cross-entropy H(P,Q) = −Σ p·log q, as torch's F.cross_entropy.

    P: probabilities, or labels (a column of class indices is read as labels); Q usually logits.
    """
    from ..request import streamed_request

    _run(streamed_request("ce", (p, q), params, weight=weight, ignore_index=ignore_index,
                          label_smoothing=label_smoothing))


@click.command(cls=OperandCommand, examples=(
    'divcli entropy "0.5,0.25,0.25" --base 2',
    'divcli entropy samples/hist_a.csv --normalize -q',
    'divcli entropy samples/logits.csv --p-as logits --reduction none -f csv',
))
@operand("p", uniform=False)
@p_as_option()
@click.option("--estimator", type=click.Choice(tuple(ESTIMATORS)), default="plugin", metavar="E",
              help="From counts: plugin (default), miller-madow, chao-shen, shrink, jackknife.")
@reduction_option("entropy")
@shared_options
@engine_options(operands=1)
def entropy(p, estimator, **params):
    """Entropy H(P) = −Σ p·log p per row, as scipy.stats.entropy(P, axis=1).
    """
    from ..request import streamed_request

    if estimator != "plugin" and params["p_as"] not in ("counts", "samples"):
        raise click.BadParameter(f"the {ESTIMATORS[estimator]} estimator corrects the plug-in by the sample size N, "
                                 "which only counts give: pass --p-as counts (whole numbers, N = each row's sum), "
                                 "or --p-as samples (a column of categories, counted)",
                                 param_hint="'--estimator'")
    _run(streamed_request("entropy", (p, None), params, estimator=None if estimator == "plugin" else estimator))


def _run(request) -> None:
    from ...output.registry import Content

    run_streamed(request, breakdown(request), Content.ROWS)


