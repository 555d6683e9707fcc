"""The tables for people (Rich), kl, ce and entropy: the first and last rows, the per-class breakdown
when the input is small, the reductions. Numbers are formatted before they go in (:func:`fmt`),
names from the data escaped. The other commands' tables: :mod:`.measure_tables`, :mod:`.explain_tables`.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..errors import printable
from ..vocabulary import ESTIMATORS, Reduction, Command
from ..computations.divergence_records import BREAKDOWN_ROWS, FORMULAS, Report, Summary
from .records import records as row_records
from .registry import Content, Sink
from .texts import fmt, with_interval, renormalised_texts, sizes_texts, temperature_text
from .wide import Listed, largest_terms

#: Row counts above this show the first and last rows only in a table.
TABLE_ROWS = 20
#: The per-class breakdown is shown when there are at most BREAKDOWN_ROWS rows (a fact of the
#: records: past them a Dask task keeps no N×C arrays); of a row of more than BREAKDOWN_CLASSES
#: classes it lists the TOP_CLASSES with the largest |term| and sums up the rest.
BREAKDOWN_CLASSES = 32

#: The column of the rows table that holds each command's per-row value (``--reduction row``).
ROW_COLUMN_TITLES = {Command.KL: "D(P‖Q)", Command.CE: "H(P,Q)", Command.ENTROPY: "H(P)"}


def _share(term: float, total: float) -> str:
    if not math.isfinite(total) or total == 0 or not math.isfinite(term):
        return "—"
    return f"{100 * term / total:.1f}%"


def _row_name(report: Report, row: int) -> str:
    return report.row_names[row] if report.row_names else str(report.first_row + row + 1)


def _rows_table(summary: Summary, records: list[dict | None]):
    """Per row H(P), H(P,Q), D(P‖Q) and the check; ``None`` stands for the rows left out."""
    from rich.table import Table
    from rich.text import Text

    cmd = summary.command
    table = Table(title=f"per row, in {summary.base.unit}", title_justify="left", show_edge=False)
    table.add_column("row", justify="right")
    if summary.labels:
        table.add_column("label", justify="right")
    bounds = " [low, high]" if summary.context.intervals else ""
    table.add_column(Text((f"H(P) {ESTIMATORS[summary.estimator]}" if summary.estimator else "H(P)")
                          + (bounds if cmd is Command.ENTROPY else "")), justify="right")
    if summary.estimator:
        table.add_column("H(P) plug-in", justify="right")
    if cmd is not Command.ENTROPY:
        table.add_column("H(P,Q) weighted" if summary.weighted else "H(P,Q)", justify="right",
                         style="bold" if cmd is Command.CE else None)
        table.add_column(Text("D(P‖Q)" + (bounds if cmd is Command.KL else "")), justify="right",
                         style="bold" if cmd is Command.KL else None)
        table.add_column("check: H(P,Q) − H(P) − D(P‖Q)", justify="right")
    for record in records:
        if record is None:
            table.add_row(f"⋮ {summary.rows - TABLE_ROWS} rows", *[""] * (len(table.columns) - 1))
            continue
        ignored = record.get("ignored", False)
        cells = [printable(record.get("name", str(record["row"])))]
        if summary.labels:
            cells.append(f"{record['label']} (ignored)" if ignored else str(record["label"]))
        cells.append(with_interval(record, "entropy_p"))
        if summary.estimator:
            cells.append(fmt(record["entropy_plugin"]))
        if cmd is not Command.ENTROPY:
            cells += [fmt(record["cross_entropy"]), with_interval(record, "kl_divergence"), check_text(record)]
        table.add_row(*map(Text, cells))
    return table


#: The identity holds when H(P,Q) − H(P) − D(P‖Q) is within this many times the largest of the
#: three values (and of 1): each is a sum rounded in float64, so what is left scales with them.
CHECK_RELATIVE = 1e-12


def check_holds(check: float, *values: float | None) -> bool:
    """Whether the check H(P,Q) − H(P) − D(P‖Q) is rounding: ``|check| ≤ 1e-12·max(1, |H(P,Q)|,
    |H(P)|, |D(P‖Q)|)``."""
    scale = max([1.0] + [abs(v) for v in values if v is not None and math.isfinite(v)])
    return abs(check) <= CHECK_RELATIVE * scale


def check_text(record: dict) -> str:
    """The check column of a row: ✓ when the identity holds to rounding, ✗ with the value when not."""
    value = record["check"]
    if value is None or math.isnan(value):
        return "—"
    holds = check_holds(value, record["cross_entropy"], record["entropy_p"], record["kl_divergence"])
    return f"✓ {value:.1e}" if holds else f"✗ {value:.3e}"


def term_header(command: Command, base, weighted: bool = False) -> str:
    """The header of a breakdown's terms, its logarithm in ``base``: ``p·log₂(p/q)``, ``−p·log q``."""
    log = base.log
    if command is Command.KL:
        return f"p·{log}(p/q)"
    if command is Command.CE:
        return f"−w·p·{log} q" if weighted else f"−p·{log} q"
    return f"−p·{log} p"


def _breakdown_columns(report: Report, row: int, target: str) -> list[tuple[str, np.ndarray]]:
    """The breakdown's columns before the terms: p and q, and the logs the command uses, in the
    report's base (``log₂ p``), so that each term is p times them, to rounding."""
    columns = [(target, report.p_probs), ("q", report.q_probabilities())]
    logs = []
    if report.command is not Command.CE:
        logs.append((f"{report.base.log} p", report.p_log))
    if report.command is not Command.ENTROPY:
        logs.append((f"{report.base.log} q", report.q_log))
    scale = report.scale
    return [(title, values[row]) for title, values in columns if values is not None] + \
        [(title, values[row] / scale) for title, values in logs if values is not None]


def _breakdown(report: Report, row: int, width: int = 10_000):
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    cmd = report.command
    total = float(report.terms[row].sum())
    target = "p (smoothed)" if cmd is Command.CE and report.label_smoothing else "p"
    header = term_header(cmd, report.base, cmd is Command.CE and report.weighted)
    table = Table(title=f"row {escape(printable(_row_name(report, row)))}: {report.command.quantity} = {fmt(total)} {report.base.unit}",
                  title_justify="left", show_edge=False, show_footer=True)
    columns = _breakdown_columns(report, row, target)
    table.add_column("class", footer="total")
    for title, values in columns:
        footer = fmt(values.sum()) if not title.startswith("log") else ""
        table.add_column(title, justify="right", footer=footer)
    table.add_column(header, justify="right", footer=fmt(total))
    table.add_column("share", justify="right", footer=_share(total, total))
    bars = width >= BARS_FROM  # on a narrow screen the numbers matter more
    if bars:
        table.add_column("", no_wrap=True)
    terms = report.terms[row]
    finite = np.abs(terms[np.isfinite(terms)])
    largest = float(finite.max()) if finite.size else 0.0
    listed = Listed(list(range(len(report.classes)))) if len(report.classes) <= BREAKDOWN_CLASSES \
        else largest_terms(terms)
    if listed.hidden:  # a wide row: the largest terms, then what the others add up to
        table.caption, table.caption_justify = listed.rest_line(report.base.unit), "left"
    for col in listed.indices:
        name = report.classes[col]
        cells = [printable(name)] + [fmt(values[col]) for _, values in columns]
        term = float(terms[col])
        cells += [fmt(term), _share(term, total)]
        table.add_row(*map(Text, cells), *([bar(term, largest)] if bars else []))
    return table, bool(np.any(report.terms[row] < 0))


BAR_WIDTH = 12
#: The breakdown shows its bars from this console width on.
BARS_FROM = 96
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, largest: float, width: int = BAR_WIDTH):
    """An inline bar of |value| ÷ largest, in eighths of a character: green for a positive value,
    red (after a minus sign) for a negative one, a full red bar marked ∞ for +inf."""
    from rich.text import Text

    if math.isinf(value):
        return Text("█" * width + " ∞", style="red")
    if not largest or math.isnan(value):
        return Text("")
    eighths = round(abs(value) / largest * width * 8)
    blocks = "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")
    return Text(blocks, style="green") if value >= 0 else Text("−" + blocks, style="red")


def _reductions_table(summary: Summary):
    from rich.table import Table

    table = Table(title="reductions", title_justify="left", show_edge=False)
    table.add_column("reduction")
    table.add_column(summary.base.unit, justify="right")
    table.add_column("how")
    notes = {"sum": "total", "mean": "total ÷ (N·C)", "batchmean": "total ÷ N",
             "kd_loss": f"T² × batchmean = {summary.temperature:g}² × batchmean (Hinton's distillation loss)"}
    if summary.command is not Command.KL:
        if summary.labels and summary.command is Command.CE:
            notes["mean"] = "Σ w_y·l ÷ Σ w_y (rows not ignored)" if summary.weighted else "total ÷ rows not ignored"
        else:
            notes["mean"] = "total ÷ N"
    for name, value in summary.reductions.items():
        chosen = name == summary.reduction.value
        table.add_row(name, fmt(value), notes[name] + ("   ◀ reported" if chosen else ""),
                      style="bold" if chosen else None)
    return table


class TableSink(Sink):
    """The table for people: the first and last rows, the per-class breakdown when the input is
    small, the reductions. Keeps only those rows, so a table of any input fits in memory."""

    for_people = True
    takes = frozenset({"rows"})

    def __init__(self, out, console):
        super().__init__(out, console)
        self.head: list[dict] = []
        self.tail: deque = deque(maxlen=TABLE_ROWS // 2)
        self.first: Report | None = None

    def rows(self, report: Report) -> None:
        if self.first is None:
            self.first = report
        self.head += row_records(report, range(min(report.rows, TABLE_ROWS - len(self.head))))
        self.tail.extend(row_records(report, range(max(0, report.rows - self.tail.maxlen), report.rows)))

    def finish(self, summary: Summary) -> None:
        records = self.head if summary.rows <= TABLE_ROWS else \
            self.head[:TABLE_ROWS // 2] + [None] + list(self.tail)[-(TABLE_ROWS // 2):]
        render_table(summary, records, self.first, self.console)

    def rows_beside_parts(self, total: int, command: str) -> list[tuple[int, int]]:
        """The rows it shows: every row of a short input, else the first and last TABLE_ROWS // 2."""
        half = TABLE_ROWS // 2
        return [(0, total)] if total <= 2 * half else [(0, half), (total - half, total)]


def render_table(summary: Summary, records: list[dict | None], first: Report, console) -> None:
    """The heading, the rows, the breakdown of each row of a small input, the reductions, the value."""
    from rich.text import Text

    _heading(summary, console)
    console.print()
    console.print(_rows_table(summary, records))
    if summary.rows <= BREAKDOWN_ROWS and not summary.estimator:  # the terms are the plug-in's
        _breakdowns(summary, first, console)
    console.print()
    console.print(_reductions_table(summary))
    console.print()
    cmd = summary.command
    if summary.value is None:
        shape = "N×C element terms" if cmd is Command.KL and summary.reduction is Reduction.NONE else \
            f"per-row values ({ROW_COLUMN_TITLES[cmd]})"
        console.print(Text(f"reduction {summary.reduction.value}: the {shape} are above; "
                           "-f csv or -f json gives them all"))
    else:
        console.print(Text(f"{cmd.quantity} = {fmt(summary.value)} {summary.base.unit}  ({summary.reduction.value})",
                           style="bold"))


def _heading(summary: Summary, console) -> None:
    """The command and its formula, each operand as read, and the options that change the values."""
    from rich.text import Text

    cmd = summary.command
    console.print(Text(f"{cmd.title} {FORMULAS[cmd]}, in {summary.base.unit} (log base {summary.base.text})",
                       style="bold"))
    for side, rows in ((summary.p, summary.p_rows), (summary.q, summary.q_rows)):
        if side is not None:
            label = side.label if summary.q else "P"
            console.print(Text(f"  {label}: {printable(side.source)} read as {side.read_as}, {rows} row{'s' if rows != 1 else ''}"))
    for line in renormalised_texts(summary.deviations) + sizes_texts(summary.sizes) + list(summary.context.notes):
        console.print(Text(f"  {printable(line)}"))
    extras = []
    if summary.temperature != 1.0:
        sides = [(side.role, side.kind.value) for side in (summary.p, summary.q) if side is not None]
        extras.append(temperature_text(summary.temperature, sides))
    if cmd is Command.CE and summary.label_smoothing:
        extras.append(f"label smoothing {summary.label_smoothing:g}")
    if cmd is Command.CE and summary.weighted:
        extras.append("class weights")
    if summary.estimator:
        extras.append(f"the {ESTIMATORS[summary.estimator]} estimator (its bias correction from each row's N)")
    if extras:
        console.print(Text("  with " + ", ".join(extras)))
    if summary.context.intervals:
        console.print(Text(f"  {summary.context.intervals.text()}"))


def _breakdowns(summary: Summary, first: Report, console) -> None:
    """The per-class breakdown of each row not ignored, and why KL's terms may be negative."""
    from rich.text import Text

    negative = False
    for row in range(first.rows):
        if first.active is not None and not first.active[row]:
            continue
        console.print()
        table, has_negative = _breakdown(first, row, console.width)
        console.print(table)
        negative |= has_negative
    if negative and summary.command is Command.KL:
        console.print(Text("  Terms are negative where q > p; their sum D(P‖Q) is never negative (Gibbs' inequality).",
                           style="italic"))


SINKS = {
    Content.ROWS: TableSink,
    Content.MEASURES: "divcli.output.measure_tables:MeasureTableSink",
    Content.TOP: "divcli.output.measure_tables:TopTable",
    Content.MATRIX: "divcli.output.measure_tables:MatrixTable",
    Content.LIBRARIES: "divcli.output.measure_tables:LibrariesTable",
    Content.EXPLAIN: "divcli.output.explain_tables:ExplainTable",
    Content.DISTILL: "divcli.output.explain_tables:DistillTable",
    Content.LM: "divcli.output.lm_tables:LmTable",
    Content.DRIFT: "divcli.output.drift_tables:DriftTable",
    Content.MI: "divcli.output.mi_table:MiTable",
    Content.CATALOGUE: "divcli.output.explain_tables:CatalogueTable",
    Content.FORMATS: "divcli.output.listing:FormatsTable",
}
