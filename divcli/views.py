"""The output of ``js`` and ``compare`` (many measures per row): ``-q``, CSV, JSON and the table.

The same rules as :mod:`divcli.render`: one sink per format, rows written as the blocks come,
numbers in machine formats as the shortest text that reads back exactly, nothing through Rich but
the table.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from typing import TextIO

from .errors import printable
from .keys import ROLES
from .measures import MeasureReport, MeasureSummary, unit_of
from .render import (TABLE_ROWS, Format, JsonStream, fmt, json_number, json_records, json_texts, lead_fields,
                     number, number_texts, temperature_text, write_csv_rows)

#: A table shows the values of at most this many rows side by side (the reduction after them).
ROW_COLUMNS = 4


def _keys(report: MeasureReport) -> list[str]:
    return list(report.values)


def _row_labels(report: MeasureReport) -> list[str]:
    """The rows' names for a table, escaped (errors.printable): they come from the data."""
    if report.row_names:
        return [printable(name) for name in report.row_names]
    return [str(report.first_row + row + 1) for row in range(report.rows)]


def _columns_text(report: MeasureReport, keys: list[str]) -> list[list[str]]:
    return [number_texts(report.values[key]) for key in keys]


class MeasureQuietSink:
    """``-q``: the reported measure's value (``js``), or ``key<TAB>value`` per measure (``compare``);
    with ``--reduction none``, one line per row (``compare``: tab-separated, after a header)."""

    def __init__(self, out: TextIO):
        self.out = out
        self.header = False

    def rows(self, report: MeasureReport) -> None:
        context = report.context
        if context.reduction not in ("none", "row"):
            return
        keys = [context.primary] if context.primary else _keys(report)
        if not context.primary and not self.header:
            self.out.write("\t".join(keys) + "\n")
            self.header = True
        self.out.write("\n".join("\t".join(cells) for cells in zip(*_columns_text(report, keys))) + "\n")

    def finish(self, summary: MeasureSummary) -> None:
        value = summary.value
        if value is None:
            return
        primary = summary.context.primary
        if primary:
            self.out.write(number(value[primary]) + "\n")
        else:
            self.out.write("".join(f"{key}\t{number(x)}\n" for key, x in value.items()))


class MeasureCsvSink:
    """``-f csv``: ``row`` (and ``name``), then one column per measure; one record per row."""

    def __init__(self, out: TextIO):
        self.out = out
        self.writer = csv.writer(out, lineterminator="\n")
        self.header = False

    def rows(self, report: MeasureReport) -> None:
        keys = _keys(report)
        lead = lead_fields(report.first_row, report.rows, report.row_names, as_json=False)
        if not self.header:
            self.writer.writerow([name for name, _ in lead] + keys)
            self.header = True
        columns = [texts for _, texts in lead] + _columns_text(report, keys)
        write_csv_rows(self.out, self.writer, columns, columns[1] if report.row_names else None)

    def finish(self, summary: MeasureSummary) -> None:
        pass


def describe(context) -> dict:
    """Each measure's name, formula, range, convention and unit (JSON's ``measures``)."""
    described = {measure.key: {"name": measure.name, "formula": measure.formula, "range": measure.range,
                               "convention": measure.convention, "unit": context.unit(measure)}
                 for measure in context.measures}
    if context.weights is not None:  # the n-way form
        described["js_divergence"].update(formula="H(Σ πᵢPᵢ) − Σ πᵢH(Pᵢ)", range="[0, H(π)]")
        described["js_distance"].update(formula="√JS", range="[0, √H(π)]")
    return described


class MeasureJsonSink:
    """``-f json``: one strict JSON object; ``rows`` as they come, then ``value`` and ``reductions``."""

    def __init__(self, out: TextIO):
        self.stream = JsonStream(out)

    @staticmethod
    def _head(context) -> dict:
        head = {
            "command": context.command,
            "direction": "P is the reference (target), Q the model",
            "unit": context.base.unit,
            "base": context.base.text,
            "reduction": context.reduction,
            "n_classes": len(context.classes),
            "classes": context.classes,
            "operands": [{"role": ROLES[index], "source": source, "kind": kind}
                         for index, (source, kind) in enumerate(zip(context.sources, context.kinds))],
            "temperature": context.temperature,
        }
        if context.weights is not None:
            head["weights"] = [float(w) for w in context.weights]
        head["measures"] = describe(context)
        return head

    def rows(self, report: MeasureReport) -> None:
        texts = {key: json_texts(report.values[key]) for key in _keys(report)}
        fields = lead_fields(report.first_row, report.rows, report.row_names, as_json=True)
        self.stream.records(lambda: self._head(report.context), json_records(fields + list(texts.items())))
        primary = report.context.primary
        if report.context.reduction in ("none", "row") and primary:
            self.stream.keep(texts[primary])

    def finish(self, summary: MeasureSummary) -> None:
        context = summary.context
        if summary.value is not None:
            value = {key: json_number(x) for key, x in summary.value.items()}
            text = json.dumps(value[context.primary] if context.primary else value, allow_nan=False)
        else:
            text = None if context.primary else "null"
        self.stream.finish(text, {
            "reductions": {name: {key: json_number(x) for key, x in values.items()}
                           for name, values in summary.reductions.items()},
            "n_rows": summary.rows,
            "warnings": summary.warnings,
        })


class MeasureTableSink:
    """The table for people: each measure with its formula and convention, the values of the first
    rows side by side, the reduction over every row."""

    def __init__(self, console):
        self.console = console
        self.shown: list[tuple[str, dict[str, float]]] = []
        self.tail: deque = deque(maxlen=TABLE_ROWS // 2)  # the last rows of all
        self.context = None

    def rows(self, report: MeasureReport) -> None:
        self.context = report.context
        limit = TABLE_ROWS if report.context.command == "js" else ROW_COLUMNS
        labels = _row_labels(report)

        def entry(row: int):
            return labels[row], {key: float(values[row]) for key, values in report.values.items()}

        self.shown += [entry(row) for row in range(min(report.rows, limit - len(self.shown)))]
        self.tail.extend(entry(row) for row in range(max(0, report.rows - self.tail.maxlen), report.rows))

    def finish(self, summary: MeasureSummary) -> None:
        from rich.text import Text

        context, console = summary.context, self.console
        console.print(Text(_heading(summary), style="bold"))
        for index, (source, kind) in enumerate(zip(context.sources, context.kinds)):
            role = {0: "P (reference)", 1: "Q (model)"}.get(index, ROLES[index])
            console.print(Text(f"  {role}: {printable(source)} read as {kind}"))
        if context.temperature != 1.0:
            console.print(Text("  with " + temperature_text(context.temperature, list(zip(ROLES, context.kinds)))))
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
        cells = [measure.key] + [fmt(values[measure.key]) for _, values in shown]
        if several and summary.value is not None:
            cells.append(fmt(summary.value[measure.key]))
        cells += [context.unit(measure)] + ([measure.formula, measure.range] if formulas else [])
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
    import math

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
        table.add_row(Text(label), fmt(values["js_divergence"]), fmt(values["js_distance"]))
    console.print(table)
    console.print()
    if context.weights is None:
        bound, why = math.log(2) / context.scale, "log 2"
    else:
        weights = [w for w in context.weights if w > 0]
        bound, why = -sum(w * math.log(w) for w in weights) / context.scale, "H(π)"
    console.print(Text(f"  bound: JS ≤ {why} = {fmt(bound)} {context.base.unit}; "
                       f"the distance √JS is a metric (SciPy's jensenshannon)"))
    if summary.value is not None:
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


MEASURE_SINKS = {
    Format.CSV: MeasureCsvSink,
    Format.JSON: MeasureJsonSink,
    Format.QUIET: MeasureQuietSink,
}


# --------------------------------------------------------------------------------------------
# matrix: every pair of rows of one operand

#: The heatmap table shows at most this many rows and columns (the machine formats show all).
MATRIX_TABLE = 24


def write_matrix(chosen: Format, out: TextIO, console, matrix, labels: list[str], measure, base, source: str,
                 kind: str) -> None:
    """The N × N matrix in the chosen format; entry (i, j) has row i as P and row j as Q."""
    unit = unit_of(measure, base)
    if chosen is Format.QUIET:
        out.write("".join(",".join(map(number, row)) + "\n" for row in matrix.tolist()))
    elif chosen is Format.CSV:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row"] + labels)
        writer.writerows([label] + [number(x) for x in row] for label, row in zip(labels, matrix.tolist()))
    elif chosen is Format.JSON:
        document = {
            "command": "matrix", "measure": measure.key, "name": measure.name, "formula": measure.formula,
            "convention": measure.convention, "unit": unit, "base": base.text, "source": source, "kind": kind,
            "direction": "entry [i][j] takes row i as P and row j as Q",
            "labels": labels, "matrix": [[json_number(x) for x in row] for row in matrix.tolist()],
        }
        out.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        _heatmap(console, matrix, [printable(label) for label in labels], measure, unit, printable(source))


def _heatmap(console, matrix, labels, measure, unit, source) -> None:
    import numpy as np
    from rich.table import Table
    from rich.text import Text

    shown = min(len(labels), MATRIX_TABLE)
    finite = matrix[np.isfinite(matrix)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    console.print(Text(f"{measure.name}: {measure.formula}, between every pair of rows of {source}"
                       + (f", in {unit}" if unit else ""), style="bold"))
    direction = "" if measure.symmetric else "; row i is P, column j is Q"
    console.print(Text(f"  {measure.convention}{direction}; darker is larger ({fmt(low)} … {fmt(high)})"))
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
    import math

    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "white on rgb(180,30,30)"
    t = 0.0 if high == low else (value - low) / (high - low)
    r, g, b = (round(255 + (c - 255) * t) for c in (8, 48, 107))
    return f"{'white' if t > 0.5 else 'black'} on rgb({r},{g},{b})"


# --------------------------------------------------------------------------------------------
# libraries: what torch, SciPy and Keras would say


def _agrees(value: float, exact: float) -> bool:
    import math

    if math.isinf(value) or math.isinf(exact):
        return value == exact
    return abs(value - exact) <= 1e-12 * max(1.0, abs(exact))


def write_libraries(chosen: Format, out: TextIO, console, answers, exact: float, unit: str, note: str,
                    sources: tuple[str, str]) -> None:
    """Each library's value beside divcli's exact D(P‖Q) (batchmean), with the reason they differ."""
    rows = [{"library": a.library, "call": a.call, "value": a.value, "difference": a.value - exact,
             "agrees": _agrees(a.value, exact), "why": a.why} for a in answers]
    if chosen is Format.QUIET:
        out.write("".join(f"{row['call']}\t{number(row['value'])}\n" for row in rows))
    elif chosen is Format.CSV:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["library", "call", "value", "difference", "agrees", "why"])
        for row in rows:
            writer.writerow([row["library"], row["call"], number(row["value"]), number(row["difference"]),
                             str(row["agrees"]).lower(), row["why"]])
    elif chosen is Format.JSON:
        document = {"command": "libraries", "quantity": "D(P‖Q), batchmean", "unit": unit, "note": note,
                    "p": sources[0], "q": sources[1], "exact": json_number(exact),
                    "libraries": [{**row, "value": json_number(row["value"]),
                                   "difference": json_number(row["difference"])} for row in rows]}
        out.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")
    else:
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
