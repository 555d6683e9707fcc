"""drift: how far a current sample has moved from a reference one, column by column; exit 3 gates a
pipeline."""

from __future__ import annotations

import click

from ..completion import complete_operand
from ..drift_options import DRIFT_FOUND, DRIFT_MEASURES, BinsType, ThresholdsType, WholeNumber
from ..options import DELIMITERS, BoundedFloat, OperandCommand, format_option


@click.command(cls=OperandCommand, examples=(
    "divcli drift samples/drift_ref.csv samples/drift_cur.csv --categorical city",
    "divcli drift samples/drift_ref.csv samples/drift_cur.csv --categorical city --column age",
    "divcli drift samples/drift_ref.csv samples/drift_cur.csv --select score --fail-above 0.25 -q",
), operands="files of raw samples, a row an observation (CSV, TSV, JSON Lines, .npy, Parquet), or - (stdin)")
@click.argument("reference", shell_complete=complete_operand)
@click.argument("current", shell_complete=complete_operand)
@click.option("--bins", type=BinsType(), default="quantile:10", show_default=True, metavar="RULE",
              help="quantile:N, uniform:N, fd or edges:E1,E2,…")
@click.option("--categorical", metavar="COLS", help="Columns counted per category (text or integer codes).")
@click.option("--min-share", type=BoundedFloat(0, 1, hint="give a share from 0 to 1, such as 0.01"), default=0.0,
              metavar="S", help="Fold categories below share S on both sides into (other).")
@click.option("--pseudocount", type=BoundedFloat(0, low_open=True, hint="give a count > 0, such as 0.5"),
              metavar="A", help="Add A to every bin's count (empty bins: finite PSI).")
@click.option("--epsilon", type=BoundedFloat(0, 1, low_open=True, high_open=True,
                                           hint="give a share well below 1/bins, such as 1e-4"),
              metavar="E", help="Floor every share at E, then renormalise.")
@click.option("--thresholds", type=ThresholdsType(), default="0.1,0.25", show_default=True, metavar="A,B",
              help="PSI < A: stable; ≤ B: moderate; > B: major.")
@click.option("--fail-above", type=BoundedFloat(0, hint="give a number ≥ 0, such as 0.25"), metavar="X",
              help="Exit 3 when any column's measure is above X.")
@click.option("--measure", type=click.Choice(DRIFT_MEASURES), metavar="M",
              help="The measure --fail-above reads: psi (default) or a key of -f json.")
@click.option("--p-values", is_flag=True, help="χ²'s p for categorical columns, KS's for numeric ones (SciPy).")
@click.option("--bootstrap", type=WholeNumber(1, "give a number of resamples such as 1000"), metavar="N",
              help="Resample both samples' rows N times: a [low, high] per measure.")
@click.option("--seed", type=WholeNumber(0, "give a seed such as 0"), default=0, show_default=True, metavar="S",
              help="The resamples' seed: the same seed, the same intervals.")
@click.option("--ci", type=BoundedFloat(0, 1, low_open=True, hint="give a level in (0, 1], such as 0.95"),
              default=0.95, show_default=True, metavar="C", help="The intervals' confidence level.")
@click.option("--column", metavar="NAME", help="Show this column's bins: shares, PSI terms, bars.")
@click.option("--binned", is_flag=True, help="REFERENCE and CURRENT are histograms (bin,count), matched by bin name.")
@click.option("--select", metavar="COLS", help="Columns to compare: names, numbers from 1, ranges 2-5.")
@click.option("--drop", metavar="COLS", help="Columns to leave out (as --select).")
@click.option("--delimiter", type=click.Choice(list(DELIMITERS)), metavar="CHAR",
              help=", ; | tab or space (default: by extension; sniffed for .txt and -).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the PSI of each column, one a line.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", hidden=True)
@click.option("--scheduler", metavar="ADDRESS", hidden=True)
@click.option("-v", "--verbose", is_flag=True, hidden=True)
@format_option()
@click.option("-o", "--output", type=click.Path(readable=False), metavar="PATH",
              help="Write to PATH instead of standard output (atomically).")
@click.option("--svg", type=click.Path(readable=False), metavar="FILE",
              help="Also draw each column's two histograms over each other (SVG).")
def drift(reference, current, **params):
    """Drift between two samples, column by column: PSI, KL, JS, Hellinger, W₁, KS, a verdict.

    REFERENCE and CURRENT: raw samples, the same columns. Numeric columns are binned at the
    reference's edges, categorical ones counted per category, missing values in a bin of their own;
    PSI = Σ (c − r)·ln(c/r), in nats. Exit 3: a column above --fail-above.
    """
    from ..request import drift_request

    from ...errors import cli_words
    from ...readers.columns import UnknownColumn

    request = drift_request((reference, current), params)
    try:
        report = _compute(request)
    except UnknownColumn as error:  # a mistyped --select or --drop: the command line's mistake
        raise click.UsageError(error.message(cli_words) + close_name(error.item, error.header)) from None
    if request.column is not None:
        _check_column(report, request.column)
        report.focus = request.column
    _check_measure(report, request.fail_above, request.measure)
    _write(report, request.writing)
    if request.svg is not None:
        _draw(report, request.svg)
    gate(report, request.fail_above, request.measure)


def close_name(name: str, names) -> str:
    """``(did you mean 'age'?)`` when one of ``names`` is close to ``name``, else nothing."""
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_column(report, name: str) -> None:
    """--column names one of the report's columns; else a usage error (exit 2) listing them."""
    names = [column.column for column in report.columns]
    if name not in names:
        from ...errors import show_value

        raise click.BadParameter(f"no column {show_value(name)}{close_name(name, names)}; the columns are "
                                 f"{', '.join(show_value(found) for found in names)}", param_hint="'--column'")


def _compute(request):
    """Both samples read (whole, or a piece at a time when larger than memory, or by Dask), then
    every column's drift."""
    from ...computations.drift_stream import files_drift
    from ..console import warn
    from ..run import stdin_for

    reading = request.reading
    choice = reading.column_choice()
    if request.settings.p_values:
        from ...numerics.p_values import NO_SCIPY, scipy_installed

        if not scipy_installed():
            warn(NO_SCIPY)
    if request.binned:
        return _binned(request)
    if click.get_current_context().params.get("engine") == "dask":
        return _dask(request, choice)
    return files_drift(request.specs, tuple(stdin_for(spec) for spec in request.specs), reading.delimiter, choice,
                       request.settings, warn)


def _binned(request):
    """--binned: two bin,count histograms, read whole (the options for raw samples refused already)."""
    from ...computations.drift_binned import binned_drift, read_error
    from ...readers.reading import read_operand
    from ..console import warn
    from ..run import stdin_for

    from ...errors import DataError

    try:
        reference, current = (read_operand(spec, stdin_for(spec), request.reading.delimiter) for spec in request.specs)
    except DataError as error:
        raise read_error(error) from None
    return binned_drift(reference, current, request.settings, warn)


def _dask(request, choice):
    """--engine dask: the report from passes over the shards (:mod:`divcli.dask_engine.drift`)."""
    from ...dask_engine.drift import dask_drift
    from ...errors import EngineError, EngineUsage
    from ..console import say, warn
    from ..run import engine_failure

    params = click.get_current_context().params
    try:
        return dask_drift(request.specs, request.settings, request.reading.delimiter, choice,
                          scheduler=params.get("scheduler"), warn=warn, say=say if params.get("verbose") else None)
    except EngineUsage as error:
        raise click.UsageError(str(error)) from None
    except EngineError as error:
        raise engine_failure(error) from None


def _write(report, writing) -> None:
    from ...output.registry import Content
    from ..console import whole_output

    with whole_output(writing, "divcli drift", Content.DRIFT) as writer:
        writer.write(report)


def _draw(report, path: str) -> None:
    """--svg: the histograms of every column (of --column's alone), stacked in one picture."""
    from ...output.drift_svg import report_svg
    from ..terminal import write_text

    write_text(path, report_svg(report))


def _check_measure(report, fail_above: float | None, measure: str) -> None:
    """Before anything is written: a gate on a measure no column has (W₁ of categorical columns
    alone) is a usage error."""
    if fail_above is None or any(column.measures.get(measure) is not None for column in report.columns):
        return
    numeric = [column for column in report.columns if column.kind == "numeric"]
    if measure in ("wasserstein_1", "ks") and numeric:
        from ...errors import show_value

        empty = [column for column in numeric if _valueless(column)]
        why = (f"column {', '.join(show_value(column.column) for column in empty)} holds no values on one side "
               "or both (every one is missing), where W₁ and KS need values on both sides" if empty else
               "W₁ and KS are left out of samples read a piece at a time")
    else:
        why = "W₁ and KS are for numeric columns, χ² for categorical ones"
    raise click.BadParameter(f"{measure} is not measured for any of these columns ({why}): choose another "
                             "--measure", param_hint="'--measure'")


def _valueless(column) -> bool:
    """Whether a numeric column has no value that is not missing on a side (W₁ and KS then have none)."""
    missing = 1 if column.binning.missing else 0
    return any(float(counts[:len(counts) - missing].sum()) == 0
               for counts in (column.reference_counts, column.current_counts))


def gate(report, fail_above: float | None, measure: str) -> None:
    """Exit 3, naming the columns on standard error, when any column's ``measure`` is above
    ``fail_above`` (a column without that measure is never above)."""
    if fail_above is None:
        return
    from ...errors import printable
    from ..console import say

    above = report.above(measure, fail_above)
    if not above:
        return
    from ...output.texts import number

    listed = ", ".join(f"{printable(column.column)} ({number(column.measures[measure])})" for column in above)
    say(f"divcli drift: {measure} above {fail_above:g} in {len(above)} of {len(report.columns)} "
        f"column{'s' if len(report.columns) > 1 else ''}: {listed}")
    raise click.exceptions.Exit(DRIFT_FOUND)
