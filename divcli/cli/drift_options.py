"""``divcli drift``'s parameter types and checks: ``--bins``, ``--thresholds``, ``--measure`` and the
smoothing (the gate itself, exit 3, is the command's). Click only: numpy is not imported here."""

from __future__ import annotations

import math
from dataclasses import dataclass

import click

from ..errors import foreign_digit, printable
from .options import one_line_usage

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


class WholeNumber(click.ParamType):
    """A whole number ≥ ``low`` (--bootstrap's resamples, --seed), refused with ``hint`` (exit 2)."""

    name = "N"

    def __init__(self, low: int, hint: str):
        self.low, self.hint = low, hint

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) < self.low:
            self.fail(f"{value!r} is not a whole number ≥ {self.low}; {self.hint}", param, ctx)
        return int(text)


def check_bootstrap(bootstrap: int | None, given: frozenset[str]) -> None:
    """--seed and --ci set the bootstrap: without --bootstrap they are refused (exit 2)."""
    stray = [name for name in ("seed", "ci") if name in given]
    if stray and bootstrap is None:
        raise click.BadParameter(f"--{stray[0]} sets the bootstrap's intervals: give --bootstrap N too, "
                                 "such as --bootstrap 1000", param_hint=f"'--{stray[0]}'")


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


@dataclass(frozen=True)
class DriftRequest:
    """drift's request: the two samples, how they are read, the computation's settings
    (:class:`divcli.computations.drift.DriftSettings`), the column whose bins to show, the gate
    (``--fail-above`` and the measure it reads) and how the report is written."""

    specs: tuple[str, str]
    settings: object
    reading: object  #: how the samples are read: a :class:`divcli.cli.request.Reading`
    writing: object  #: how the report is written: a :class:`divcli.cli.request.Writing`
    column: str | None = None
    fail_above: float | None = None
    measure: str = "psi"
    #: ``--svg FILE``: the two histograms of each column, drawn (not the table's picture)
    svg: str | None = None
    #: ``--binned``: REFERENCE and CURRENT are histograms (bin,count), not raw samples
    binned: bool = False


def check_picture(svg: str | None, output: str | None, inputs: tuple[str, ...]) -> None:
    """drift's --svg (with any format): neither -o's file nor an input (exit 2)."""
    if svg is None:
        return
    from .targets import input_written, same_target

    if same_target(output, svg):
        raise click.BadParameter("-o and --svg name the same file; give each its own", param_hint="'--svg'")
    spec = None if svg == "-" else input_written(svg, list(inputs))
    if spec is not None:
        shown = "standard input" if spec == "-" else f"the input {printable(spec)}"
        raise one_line_usage(f"--svg {printable(svg)} is also {shown} (the same file): write the picture to "
                             "another file, or the input would be lost")


#: drift's options that bin, choose or resample raw samples: none of them means anything with --binned
RAW_ONLY = ("bins", "categorical", "min_share", "bootstrap", "select", "drop")


def check_binned(given: frozenset[str], engine: str) -> None:
    """--binned with an option for raw samples, or with --engine dask: exit 2."""
    for name in RAW_ONLY + (("engine",) if engine == "dask" else ()):
        if name in given:
            raise click.UsageError(f"--{name.replace('_', '-')} is for raw samples: --binned reads histograms "
                                   "already binned")
