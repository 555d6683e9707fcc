"""``--bootstrap N``, ``--ci C`` and ``--seed S`` of entropy, kl, js and compare: bootstrap intervals of
their values on counts (:mod:`divcli.computations.count_intervals`), checked here (exit 2) and made into
the request's :class:`divcli.vocabulary.Intervals`. The help shows them on one line (help.py's MERGED)."""

from __future__ import annotations

import click

from ..vocabulary import MAX_RESAMPLES, Intervals
from .drift_options import WholeNumber
from .options import BoundedFloat

#: Resamples when only --ci is given, and the level when only --bootstrap is.
DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95


def interval_options(command):
    """--bootstrap, --ci and --seed (applied bottom-up: the help lists them in the other order)."""
    decorators = [
        click.option("--seed", type=WholeNumber(0, "give a seed such as 0"), metavar="S",
                     help="The resamples' seed (default: a random one, printed): the same seed, the same intervals."),
        click.option("--ci", type=BoundedFloat(0, 1, low_open=True, hint="give a level such as 0.95"),
                     metavar="C", help=f"The intervals' confidence level (default {DEFAULT_CONFIDENCE})."),
        click.option("--bootstrap", type=WholeNumber(1, "give a number of resamples such as 1000"), metavar="N",
                     help=f"Counts: resample each row's counts N times (default {DEFAULT_RESAMPLES}), an interval a value."),
    ]
    for decorator in decorators:
        command = decorator(command)
    return command


def count_intervals(resamples: int | None, confidence: float | None, seed: int | None, kinds: tuple,
                    dask: bool) -> Intervals | None:
    """The intervals --bootstrap, --ci and --seed ask for, or None when none of them is given (or the
    command has them not); refused (exit 2) without counts or samples among the operands' ``kinds`` (--p-as,
    --q-as) to resample, with --engine dask (``dask``), with --ci 1, too many resamples, or --seed alone."""
    if resamples is None and confidence is None:
        if seed is not None:
            raise click.BadParameter("--seed seeds the bootstrap's resamples: give --bootstrap N too, such as "
                                     "--bootstrap 1000", param_hint="'--seed'")
        return None
    which = "'--bootstrap'" if resamples is not None else "'--ci'"
    if "counts" not in kinds and "samples" not in kinds:
        raise click.BadParameter("the intervals resample counts (each row's N samples): pass --p-as counts "
                                 "(and --q-as counts), whole numbers, N = each row's sum, or --p-as samples",
                                 param_hint=which)
    if dask:
        raise click.BadParameter("the intervals are the local engine's: leave out --engine dask", param_hint=which)
    if confidence is not None and confidence >= 1:
        raise click.BadParameter(f"{confidence:g} is not a confidence level below 1; give one such as 0.95",
                                 param_hint="'--ci'")
    if resamples is not None and resamples > MAX_RESAMPLES:
        raise click.BadParameter(f"{resamples} resamples are more than the {MAX_RESAMPLES:,} divcli draws; "
                                 "give fewer, such as 1000 or 10000", param_hint="'--bootstrap'")
    if seed is None:
        import secrets

        seed = secrets.randbelow(2 ** 31)  # said in the header and JSON: the run can be repeated
    return Intervals(resamples or DEFAULT_RESAMPLES, confidence or DEFAULT_CONFIDENCE, seed)
