"""drift: how far a current sample has moved from a reference one, column by column; exit 3 gates a
pipeline."""

from __future__ import annotations

import click

from ..completion import complete_operand
from ..drift_options import DRIFT_MEASURES, BinsType, ThresholdsType
from ..options import DELIMITERS, BoundedFloat, OperandCommand, format_option


@click.command(cls=OperandCommand, examples=(
    "divcli drift samples/drift_ref.csv samples/drift_cur.csv --categorical city",
    "divcli drift samples/drift_ref.csv samples/drift_cur.csv --categorical city --column age",
    "divcli drift samples/drift_ref.csv samples/drift_cur.csv --select score --fail-above 0.25 -q",
), operands="files of raw samples, a row an observation (CSV, TSV, JSON Lines, .npy, Parquet), or - (stdin)")
@click.argument("reference", shell_complete=complete_operand)
@click.argument("current", shell_complete=complete_operand)
@click.option("--bins", type=BinsType(), default="quantile:10", show_default=True, metavar="RULE",
              help="quantile:N (the reference's quantiles), uniform:N, fd or edges:E1,E2,…")
@click.option("--categorical", metavar="COLS", help="Columns counted per category (text or integer codes).")
@click.option("--min-share", type=BoundedFloat(0, 1, hint="give a share from 0 to 1, such as 0.01"), default=0.0,
              metavar="S", help="Fold categories below share S on both sides into (other).")
@click.option("--pseudocount", type=BoundedFloat(0, low_open=True, hint="give a count > 0, such as 0.5"),
              metavar="A", help="Add A to every bin's count (empty bins: finite PSI).")
@click.option("--epsilon", type=BoundedFloat(0, 1, low_open=True, hint="give a share in (0, 1), such as 1e-4"),
              metavar="E", help="Floor every share at E, then renormalise.")
@click.option("--thresholds", type=ThresholdsType(), default="0.1,0.25", show_default=True, metavar="A,B",
              help="PSI < A: stable; ≤ B: moderate; > B: major.")
@click.option("--fail-above", type=BoundedFloat(0, hint="give a number ≥ 0, such as 0.25"), metavar="X",
              help="Exit 3 when any column's measure is above X.")
@click.option("--measure", type=click.Choice(DRIFT_MEASURES), metavar="M",
              help="The measure --fail-above reads (default psi): " + ", ".join(DRIFT_MEASURES[1:]) + ".")
@click.option("--column", metavar="NAME", help="Show this column's bins: shares, PSI terms, bars.")
@click.option("--select", metavar="COLS", help="Columns to compare: names, numbers from 1, ranges 2-5.")
@click.option("--drop", metavar="COLS", help="Columns to leave out (as --select).")
@click.option("--delimiter", type=click.Choice(list(DELIMITERS)), metavar="CHAR",
              help=", ; | tab or space (default: by extension; sniffed for .txt and -).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the PSI of each column, one a line.")
@format_option()
@click.option("-o", "--output", type=click.Path(readable=False), metavar="PATH",
              help="Write to PATH instead of standard output (atomically).")
def drift(reference, current, bins, categorical, min_share, pseudocount, epsilon, thresholds, fail_above, measure,
          column, select, drop, delimiter, **params):
    """Drift between two samples, column by column: PSI, KL, JS, Hellinger, W₁, KS, a verdict.

    REFERENCE and CURRENT: raw samples, the same columns. Numeric columns are binned at the
    reference's edges, categorical ones counted per category, missing values in a bin of their own;
    PSI = Σ (c − r)·ln(c/r), in nats. Exit 3: a column above --fail-above.
    """
    from ...computations.drift import DriftSettings
    from ...readers.columns import split_items
    from ..drift_options import check_gate, check_smoothing, gate
    from ..request import Writing, check_output, one_stdin

    one_stdin(reference, current)
    check_smoothing(pseudocount, epsilon)
    measure = check_gate(fail_above, measure)
    writing = Writing(params["fmt"], params["quiet"], params["output"])
    check_output(writing, _given(), (reference, current))
    settings = DriftSettings(bins, split_items(categorical), min_share, pseudocount, epsilon, thresholds)
    report = _compute((reference, current), settings, DELIMITERS.get(delimiter), select, drop)
    if column is not None:
        report.column(column)  # a DataError naming the columns when there is none
        report.focus = column
    _write(report, writing)
    gate(report, fail_above, measure)


def _given() -> frozenset[str]:
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return frozenset(name for name in ctx.params if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE)


def _compute(specs: tuple[str, str], settings, delimiter: str | None, select: str | None, drop: str | None):
    """Both samples read whole, then every column's drift."""
    from ...computations.drift import drift as compute_drift
    from ...readers.columns import ColumnChoice
    from ...readers.samples import read_samples
    from ..console import warn
    from ..run import stdin_for

    choice = ColumnChoice.parse(select, drop)
    reference, current = (read_samples(spec, stdin_for(spec), delimiter, choice) for spec in specs)
    return compute_drift(reference, current, settings, warn)


def _write(report, writing) -> None:
    from ...output.registry import Content
    from ..console import whole_output

    with whole_output(writing, "divcli drift", Content.DRIFT) as writer:
        writer.write(report)
