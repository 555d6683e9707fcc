"""The tables for people (Rich) of js and compare, ``--top``, matrix and libraries."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..errors import printable
from ..vocabulary import ROLES
from ..measures.catalogue import in_base, unit_of
from ..measures.measure_records import MeasureReport, MeasureSummary
from .quiet import ranked_label
from .records import library_records
from .registry import Sink
from .tables import TABLE_ROWS
from .texts import fmt, with_interval, number, renormalised_text, renormalised_texts, sizes_texts, temperature_text

#: A table shows the values of at most this many rows side by side (the reduction after them).
ROW_COLUMNS = 4
#: The heatmap table shows at most this many rows and columns (the machine formats show all).
MATRIX_TABLE = 24


def _row_labels(report) -> list[str]:
    """The rows' names for a table, escaped (errors.printable): they come from the data."""
    if report.row_names:
        return [printable(name) for name in report.row_names]
    return [str(report.first_row + row + 1) for row in range(report.rows)]


class MeasureTableSink(Sink):
    """The table for people: each measure with its formula and convention, the values of the first
    rows side by side, the reduction over every row."""

    for_people = True
    takes = frozenset({"measures"})

    def __init__(self, out, console):
        super().__init__(out, console)
        self.shown: list[tuple[str, dict[str, float]]] = []
        self.tail: deque = deque(maxlen=TABLE_ROWS // 2)  # the last rows of all
        self.context = None

    def rows(self, report: MeasureReport) -> None:
        self.context = report.context
        limit = TABLE_ROWS if report.context.command == "js" else ROW_COLUMNS
        labels = _row_labels(report)

        def entry(row: int):
            shown = {key: float(values[row]) for key, values in report.values.items()}
            for key, (low, high) in (report.intervals or {}).items():  # --bootstrap: value [low, high]
                shown[f"{key}_low"], shown[f"{key}_high"] = float(low[row]), float(high[row])
            return labels[row], shown

        self.shown += [entry(row) for row in range(min(report.rows, limit - len(self.shown)))]
        self.tail.extend(entry(row) for row in range(max(0, report.rows - self.tail.maxlen), report.rows))

    def rows_beside_parts(self, total: int, command: str) -> list[tuple[int, int]]:
        """The rows it shows: compare the first ROW_COLUMNS, js the first TABLE_ROWS and the last
        TABLE_ROWS // 2 (after them)."""
        first = min(total, ROW_COLUMNS if command == "compare" else TABLE_ROWS)
        last = max(first, total - TABLE_ROWS // 2) if command == "js" else total
        return [(0, first)] + ([(last, total)] if last < total else [])

    def finish(self, summary: MeasureSummary) -> None:
        from rich.text import Text

        context, console = summary.context, self.console
        console.print(Text(_heading(summary), style="bold"))
        for index, (source, kind) in enumerate(zip(context.sources, context.kinds)):
            role = {0: "P (reference)", 1: "Q (model)"}.get(index, ROLES[index])
            console.print(Text(f"  {role}: {printable(source)} read as {kind}"))
        for line in renormalised_texts(summary.deviations) + sizes_texts(summary.sizes) + list(context.notes):
            console.print(Text(f"  {printable(line)}"))
        if context.temperature != 1.0:
            console.print(Text("  with " + temperature_text(context.temperature, list(zip(ROLES, context.kinds)))))
        if context.intervals is not None:
            console.print(Text(f"  {context.intervals.text()}"))
        console.print()
        if context.command == "js":
            _js_tables(summary, self.shown, self.tail, console)
        else:
            console.print(_compare_table(summary, self.shown, console.width))
            if summary.rows > ROW_COLUMNS:
                console.print(Text(f"  {summary.rows} rows: the first {ROW_COLUMNS} are shown; "
                                   "-f csv or -f json gives every row"))
            if summary.rows > 1 or console.width < 100:
                console.print(Text("  the formulas and ranges: divcli measures"))
            console.print()
            _conventions(summary, console)


def _heading(summary: MeasureSummary) -> str:
    context = summary.context
    rows = f"{summary.rows} row{'s' if summary.rows != 1 else ''}"
    if context.command == "js":
        if context.weights is not None:
            weights = ", ".join(f"{w:g}" for w in context.weights)
            return (f"Jensen–Shannon divergence of {len(context.sources)} distributions, weights π = ({weights}): "
                    f"H(Σ πᵢPᵢ) − Σ πᵢH(Pᵢ), in {context.base.unit}; {rows}")
        return f"Jensen–Shannon divergence JS = ½D(P‖M) + ½D(Q‖M), M = ½(P+Q), in {context.base.unit}; {rows}"
    return f"every measure between P and Q, {rows} (log base {context.base.text}: {context.base.unit})"


def _compare_table(summary: MeasureSummary, shown, console_width: int):
    """Measures as rows: the values (of the first rows, then the reduction), unit, formula, range."""
    from rich.table import Table
    from rich.text import Text

    context = summary.context
    table = Table(show_edge=False)
    table.add_column("measure", no_wrap=True)
    several = summary.rows > 1
    wide = console_width >= 100  # formula and range; divcli measures lists them otherwise
    for label, _ in shown:
        table.add_column(Text(f"row {label}" if several else "value"), justify="right", no_wrap=True)
    if several and summary.value is not None:
        table.add_column(context.reduction, justify="right", style="bold", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    formulas = wide and not several  # with rows side by side they would not fit
    if formulas:
        table.add_column("formula")
        table.add_column("range", no_wrap=True)
    for measure in context.measures:
        cells = [measure.key] + [with_interval(values, measure.key) for _, values in shown]
        if several and summary.value is not None:
            cells.append(fmt(summary.value[measure.key]))
        cells += [context.unit(measure)] + ([context.formula(measure), context.value_range(measure)] if formulas else [])
        table.add_row(*map(Text, cells))
    return table


def _conventions(summary: MeasureSummary, console) -> None:
    """Where the libraries disagree, what each measure here means: one line each."""
    from rich.text import Text

    console.print(Text("conventions", style="bold"))
    keys: dict[str, list[str]] = {}
    for measure in summary.context.measures:
        keys.setdefault(measure.convention, []).append(measure.key)
    for convention, named in keys.items():
        console.print(Text(f"  {', '.join(named)}: {convention}"))


def _js_tables(summary: MeasureSummary, shown, tail, console) -> None:
    from rich.table import Table
    from rich.text import Text

    context = summary.context
    table = Table(title=f"per row, in {context.base.unit}", title_justify="left", show_edge=False)
    table.add_column("row", justify="right")
    table.add_column("JS divergence", justify="right", style="bold" if context.primary == "js_divergence" else None)
    table.add_column("JS distance √JS", justify="right", style="bold" if context.primary == "js_distance" else None)
    rows = shown if summary.rows <= TABLE_ROWS else shown[:TABLE_ROWS // 2] + [None] + list(tail)
    for entry in rows:
        if entry is None:
            table.add_row(f"⋮ {summary.rows - TABLE_ROWS} rows", "", "")
            continue
        label, values = entry
        table.add_row(Text(label), with_interval(values, "js_divergence"), with_interval(values, "js_distance"))
    console.print(table)
    console.print()
    if context.weights is None:
        bound, why = math.log(2) / context.scale, f"{context.base.log} 2"
    else:
        weights = [w for w in context.weights if w > 0]
        bound, why = -sum(w * math.log(w) for w in weights) / context.scale, "H(π)"
    console.print(Text(f"  bound: JS ≤ {why} = {fmt(bound)} {context.base.unit}; "
                       f"the distance √JS is a metric (SciPy's jensenshannon)"))
    if summary.value is not None:
        _js_reductions(summary, console)


def _js_reductions(summary: MeasureSummary, console) -> None:
    """The reductions of both JS measures, then the reported value."""
    from rich.table import Table
    from rich.text import Text

    context = summary.context
    console.print()
    reductions = Table(title="reductions", title_justify="left", show_edge=False)
    reductions.add_column("reduction")
    reductions.add_column("JS divergence", justify="right")
    reductions.add_column("JS distance", justify="right")
    for name, values in summary.reductions.items():
        chosen = name == context.reduction
        reductions.add_row(name, fmt(values["js_divergence"]), fmt(values["js_distance"]),
                           style="bold" if chosen else None)
    console.print(reductions)
    console.print()
    key = context.primary
    measure = next(m for m in context.measures if m.key == key)
    note = ", the mean of the per-row distances" if key == "js_distance" and context.reduction == "mean" else ""
    console.print(Text(f"{measure.name} = {fmt(summary.value[key])} {context.unit(measure)}  "
                       f"({context.reduction}{note})", style="bold"))


class TopTable(Sink):
    """``--top N``: rank, row and value."""

    for_people = True

    def write(self, ranked) -> None:
        from rich.table import Table
        from rich.text import Text

        summary, console = ranked.summary, self.console
        count = ranked.count
        console.print(Text(f"the {min(count, len(ranked.rows))} rows with the largest {ranked.title} "
                           f"(of {summary.rows} row{'s' if summary.rows != 1 else ''}), in {summary.unit}",
                           style="bold"))
        for line in renormalised_texts(summary.deviations):
            console.print(Text(f"  {line}"))
        if not ranked.rows:
            console.print(Text("  no row has a value (every label is ignored)"))
            return
        table = Table(show_edge=False)
        table.add_column("rank", justify="right")
        table.add_column("row", justify="right")
        table.add_column(ranked.title, justify="right", style="bold")
        for rank, (value, record) in enumerate(ranked.rows, start=1):
            table.add_row(str(rank), Text(printable(ranked_label(record))), fmt(value))
        console.print(table)
        console.print(Text("  equal values keep the input's order; -f csv or -f json gives each row's record"))


class MatrixTable(Sink):
    """matrix: a heatmap of the first :data:`MATRIX_TABLE` rows and columns."""

    for_people = True

    def write(self, matrix, labels, measure, base, source, kind, deviation: float = 0.0) -> None:
        _heatmap(self.console, matrix, [printable(label) for label in labels], measure, unit_of(measure, base),
                 printable(source), in_base(measure.formula, base),
                 [renormalised_text("the", deviation)] if deviation else [])


def _heatmap(console, matrix, labels, measure, unit, source, formula, notes: list[str] = ()) -> None:
    from rich.table import Table
    from rich.text import Text

    shown = min(len(labels), MATRIX_TABLE)
    finite = matrix[np.isfinite(matrix)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    console.print(Text(f"{measure.name}: {formula}, between every pair of rows of {source}"
                       + (f", in {unit}" if unit else ""), style="bold"))
    direction = "" if measure.symmetric else "; row i is P, column j is Q"
    console.print(Text(f"  {measure.convention}{direction}; darker is larger ({fmt(low)} … {fmt(high)})"))
    for note in notes:
        console.print(Text(f"  {note}"))
    console.print()
    table = Table(show_edge=False)
    table.add_column("P \\ Q" if not measure.symmetric else "", justify="right")
    for label in labels[:shown]:
        table.add_column(Text(label), justify="right")
    for i in range(shown):
        cells = [Text(labels[i])]
        for j in range(shown):
            cells.append(Text(fmt(matrix[i, j]), style=_heat(matrix[i, j], low, high)))
        table.add_row(*cells)
    console.print(table)
    if len(labels) > shown:
        console.print(Text(f"  the first {shown} of {len(labels)} rows; -f csv or -f json gives the whole matrix"))


def _heat(value: float, low: float, high: float) -> str:
    """A background from white (low) to deep blue (high); +inf is red."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "white on rgb(180,30,30)"
    t = 0.0 if high == low else (value - low) / (high - low)
    r, g, b = (round(255 + (c - 255) * t) for c in (8, 48, 107))
    return f"{'white' if t > 0.5 else 'black'} on rgb({r},{g},{b})"


class LibrariesTable(Sink):
    """libraries: each library's call, why it differs, and its value beside divcli's."""

    for_people = True

    def write(self, answers, exact, unit, note, sources) -> None:
        rows, console = library_records(answers, exact), self.console
        from rich.table import Table
        from rich.text import Text

        console.print(Text(f"What the libraries return for P = {printable(sources[0])}, Q = {printable(sources[1])}",
                           style="bold"))
        console.print(Text(f"  divcli's exact D(P‖Q) = {number(exact)} {unit} (batchmean: the mean over rows "
                           "of Σ p·log(p/q))"))
        console.print(Text(f"  {note}"))
        console.print()
        table = Table(show_edge=False)
        table.add_column("library", no_wrap=True)
        table.add_column("call, and why it differs")
        table.add_column("returns", justify="right", no_wrap=True)
        table.add_column("vs divcli", justify="right", no_wrap=True)
        for row in rows:
            difference = "agrees" if row["agrees"] else f"{row['difference']:+.6g}"
            call = Text(row["call"], style="bold")
            call.append("\n" + row["why"], style="italic")
            table.add_row(row["library"], call, fmt(row["value"]),
                          Text(difference, style="green" if row["agrees"] else "yellow"))
        console.print(table)
