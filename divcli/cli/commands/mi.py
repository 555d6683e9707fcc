"""mi: the mutual information of two columns of labels, or of a joint table, written at once."""

from __future__ import annotations

import click

from ..completion import complete_operand
from ..console import whole_output
from ..help import SectionedCommand
from ..intervals import interval_options
from ..options import DELIMITERS, LogBaseType, format_option
from ...vocabulary import ESTIMATORS


@click.command(cls=SectionedCommand, examples=(
    "divcli mi samples/pairs.csv --x weather --y umbrella --base 2",
    "divcli mi --joint samples/joint.csv --explain",
), operands="files of labels (one a row, paired by row) or - (stdin); or one FILE with --x, --y")
@click.argument("x_file", metavar="X", required=False, shell_complete=complete_operand)
@click.argument("y_file", metavar="Y", required=False, shell_complete=complete_operand)
@click.option("--x", "x_column", metavar="COL", help="X's column: a name or a number from 1.")
@click.option("--y", "y_column", metavar="COL", help="Y's column (in Y, or in X's file when Y is not given).")
@click.option("--joint", metavar="TABLE",
              help="A table of counts or probabilities instead: rows X, columns Y (a header of Y's names, "
                   "X's names first if any).")
@click.option("--no-header", "no_header", is_flag=True,
              help="The first line holds labels (default: a header, unless it holds a number).")
@click.option("--delimiter", type=click.Choice(list(DELIMITERS)), metavar="CHAR",
              help=", ; | tab or space (default: sniffed).")
@click.option("--base", type=LogBaseType(), default="e", show_default=True, metavar="B",
              help="Log base: e or nats, 2 or bits, 10 or bans, or any b > 1.")
@click.option("--estimator", type=click.Choice(tuple(ESTIMATORS)), default="plugin", metavar="E",
              help="From counts: plugin (default), miller-madow, chao-shen, shrink, jackknife.")
@interval_options
@click.option("--explain", is_flag=True,
              help="Work through I = D(P(X,Y) ‖ P(X)P(Y)) = H(X) − H(X|Y) with the numbers put in.")
@click.option("-q", "--quiet", is_flag=True, help="Print only I(X;Y).")
@format_option()
@click.option("-o", "--output", type=click.Path(readable=False), metavar="PATH",
              help="Write to PATH instead of standard output (atomically).")
@click.option("--svg", type=click.Path(readable=False), metavar="FILE", help="Also save the table as an SVG picture.")
def mi(x_file, y_file, x_column, y_column, joint, no_header, delimiter, base, estimator, bootstrap, ci, seed, explain,
       quiet, fmt, output, svg):
    """Mutual information I(X;Y) of two columns of labels, the entropies and NMI.

    Also H(X), H(Y), H(X,Y), H(X|Y) and H(Y|X); or of a joint table (--joint).

    I(X;Y) = D(P(X,Y) ‖ P(X)P(Y)), from the pairs' frequencies (plug-in values; --estimator: less
    biased ones). NMI divides I by the arithmetic, geometric, min or max mean of H(X) and H(Y), as
    scikit-learn's normalized_mutual_info_score. With counts, the G-test of independence: G = 2·N·I
    (nats), its p-value with SciPy (pip install 'divcli[stats]').
    """
    from ..intervals import count_intervals
    from ..request import Writing, check_output
    from ...output.registry import Content
    from ...vocabulary import LogBase

    _check(x_file, y_file, x_column, y_column, joint, quiet, explain)
    writing = Writing(fmt, quiet, output, svg)
    check_output(writing, _given(), (x_file, y_file, joint))
    chosen = LogBase(*base)
    intervals = count_intervals(bootstrap, ci, seed, ("counts",), dask=False)
    reading = {"delimiter": DELIMITERS.get(delimiter), "header": False if no_header else None}
    if joint is not None:
        document = _from_joint(joint, chosen, explain, reading["delimiter"], estimator, intervals)
    else:
        document = _from_labels(x_file, y_file, x_column, y_column, chosen, explain, reading, estimator, intervals)
    with whole_output(writing, "divcli mi", Content.MI) as writer:
        writer.write(document)


def _given() -> frozenset[str]:
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return frozenset(name for name in ctx.params if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE)


def _check(x_file, y_file, x_column, y_column, joint, quiet, explain) -> None:
    """What mi's command line alone refuses (exit 2): labels and --joint together, neither, --explain with -q."""
    if joint is not None and (x_file is not None or x_column is not None or y_column is not None):
        raise click.UsageError("give either labels (X Y, or FILE --x COL --y COL) or --joint TABLE, not both")
    if joint is None and x_file is None:
        raise click.UsageError("give two columns of labels (X Y, or FILE --x COL --y COL) or --joint TABLE")
    if joint is None and y_file is None and (x_column is None) != (y_column is None):
        raise click.UsageError("one FILE holds both columns: name X's with --x and Y's with --y "
                               "(or give a file of two columns and neither)")
    if x_file == "-" and y_file == "-":
        raise click.UsageError("X and Y cannot both be - (standard input is read once): give a file for one")
    if quiet and explain:
        raise click.UsageError("-q prints I alone and --explain its working: give one of them")


def _from_labels(x_file, y_file, x_column, y_column, base, explain, reading, estimator, intervals) -> dict:
    """The document of two columns of labels: X's and Y's files (one file when Y is not given)."""
    import sys

    from ...computations.mi import contingency, mi_document
    from ...computations.mi_inputs import ColumnWords, read_label_pair

    words = ColumnWords("--x", "--y", "--x COL --y COL")
    pair = read_label_pair(x_file, y_file, x_column, y_column, words, stdin=sys.stdin.buffer,
                           delimiter=reading["delimiter"], header=reading["header"])
    if pair.warning:
        from ..console import warn

        warn(pair.warning)
    table, x_names, y_names = contingency(pair.x_labels, pair.y_labels)
    return mi_document(table, base, counts=True, x=pair.x, y=pair.y, x_names=x_names, y_names=y_names,
                       explain=explain, estimator=estimator, intervals=intervals)


def _from_joint(spec: str, base, explain: bool, delimiter: str | None, estimator: str, intervals) -> dict:
    """The document of a joint table: its first column is X's names when it is not numbers."""
    import sys

    from ...computations.mi import joint_counts, mi_document
    from ...computations.mi_inputs import read_joint_table

    operand = read_joint_table(spec, sys.stdin.buffer, delimiter)
    counts = joint_counts(operand.values, operand.name, operand.lines, operand.cells, operand.written_columns,
                          names=(operand.row_names, operand.classes))
    if not counts and estimator != "plugin":
        raise click.BadParameter(f"the {ESTIMATORS[estimator]} estimator corrects the plug-in by the sample size N, "
                                 f"and {operand.name} holds probabilities (not whole numbers): give the table "
                                 "of counts, or leave --estimator out", param_hint="'--estimator'")
    if not counts and intervals is not None:
        raise click.BadParameter(f"the intervals resample the N pairs counted, and {operand.name} holds probabilities "
                                 "(not whole numbers): give the table of counts, or leave --bootstrap and --ci out",
                                 param_hint="'--bootstrap' / '--ci'")
    x = {"source": operand.name, "column": None, "as": "rows of the table"}
    y = {"source": operand.name, "column": None, "as": "columns of the table"}
    return mi_document(operand.values, base, counts=counts, x=x, y=y, x_names=operand.row_names,
                       y_names=operand.classes, explain=explain, estimator=estimator, intervals=intervals)
