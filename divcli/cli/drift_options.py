"""``divcli drift``'s parameter types and checks: ``--bins``, ``--thresholds``, ``--measure``, the
smoothing, and ``--fail-above``'s gate (exit 3). Click only: numpy is not imported here."""

from __future__ import annotations

import math

import click

from ..errors import foreign_digit, printable

#: The measures ``--measure`` takes (the keys of the report: ``divcli drift -f json``).
DRIFT_MEASURES = ("psi", "kl_ref_cur", "kl_cur_ref", "js_distance", "hellinger", "wasserstein_1", "ks", "chi2")
#: The exit status when a column's measure is above ``--fail-above``.
DRIFT_FOUND = 3


class BinsType(click.ParamType):
    """``quantile:N``, ``uniform:N``, ``fd`` or ``edges:E1,E2,…`` (:class:`divcli.numerics.binning.BinRule`)."""

    name = "RULE"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        from ..numerics.binning import BinRule

        try:
            return BinRule.parse(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class ThresholdsType(click.ParamType):
    """``A,B``: PSI below A is stable, up to B moderate, above B major (0 ≤ A ≤ B, finite)."""

    name = "A,B"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        parts = [part.strip() for part in str(value).split(",")]
        hint = "give two numbers A,B with 0 ≤ A ≤ B, such as 0.1,0.25"
        if len(parts) != 2:
            self.fail(f"{value!r} is not two thresholds; {hint}", param, ctx)
        numbers = []
        for part in parts:
            try:
                number = float(part) if not foreign_digit(part) else math.nan
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or number < 0:
                self.fail(f"{part!r} is not a threshold; {hint}", param, ctx)
            numbers.append(number)
        if numbers[0] > numbers[1]:
            self.fail(f"{value!r}: the first threshold is above the second; {hint}", param, ctx)
        return tuple(numbers)


def check_smoothing(pseudocount: float | None, epsilon: float | None) -> None:
    """One smoothing at most (exit 2)."""
    if pseudocount is not None and epsilon is not None:
        raise click.UsageError("--pseudocount and --epsilon are two ways to smooth empty bins: give one of them")


def check_gate(fail_above: float | None, measure: str | None) -> str:
    """The measure ``--fail-above`` reads (psi by default); ``--measure`` without it is refused."""
    if measure is not None and fail_above is None:
        raise click.BadParameter("--measure chooses what --fail-above reads: give --fail-above X too",
                                 param_hint="'--measure'")
    return measure or "psi"


def gate(report, fail_above: float | None, measure: str) -> None:
    """Exit 3, naming the columns on standard error, when any column's ``measure`` is above
    ``fail_above``; a measure no column has (W₁ of categorical columns alone) is a usage error."""
    if fail_above is None:
        return
    from .console import say

    if all(column.measures.get(measure) is None for column in report.columns):
        raise click.BadParameter(f"{measure} is not measured for any of these columns (W₁ and KS are for numeric "
                                 "columns, χ² for categorical ones): choose another --measure",
                                 param_hint="'--measure'")
    above = report.above(measure, fail_above)
    if not above:
        return
    from ..output.texts import number

    listed = ", ".join(f"{printable(column.column)} ({number(column.measures[measure])})" for column in above)
    say(f"divcli drift: {measure} above {fail_above:g} in {len(above)} of {len(report.columns)} "
        f"column{'s' if len(report.columns) > 1 else ''}: {listed}")
    raise click.exceptions.Exit(DRIFT_FOUND)
