"""Reports → text: a Rich table for people; CSV, JSON and ``-q`` for programs (never through Rich).

One sink per format, chosen from :data:`SINKS`: each takes the blocks of rows as they are computed
(``rows``) and the summary at the end (``finish``), so output never needs the whole input in memory.
Machine formats write every number as the shortest text that reads back as the same float64
(``repr``), and non-finite numbers as ``inf``, ``-inf``, ``nan`` (JSON: the strings ``"inf"``,
``"-inf"``, ``"nan"``).
"""

from __future__ import annotations

import csv
import enum
import json
import math
from collections import deque
from typing import TextIO

import numpy as np

from .numerics import Reduction
from .report import Command, Report, Summary

#: Row counts above this show the first and last rows only in a table.
TABLE_ROWS = 20
#: The per-class breakdown is shown when there are at most this many rows and classes.
BREAKDOWN_ROWS = 4
BREAKDOWN_CLASSES = 32


class Format(enum.Enum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    QUIET = "quiet"


FORMULAS = {
    Command.KL: "D(P‖Q) = Σ p·log(p/q)",
    Command.CE: "H(P,Q) = −Σ p·log q",
    Command.ENTROPY: "H(P) = −Σ p·log p",
}


def number(x: float) -> str:
    """The shortest text that reads back as the same float64: ``0.1``, ``inf``, ``nan``."""
    return repr(float(x))


def json_number(x) -> float | str | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else number(x)


# --------------------------------------------------------------------------------------------
# records shared by CSV and JSON


def _optional(values: np.ndarray | None, row: int, active: bool) -> float | None:
    if values is None or not active:
        return None
    value = float(values[row])
    return None if math.isnan(value) else value


def row_records(report: Report, rows=None) -> list[dict]:
    """One plain dict per row (all, or ``rows`` of the block): JSON's ``rows`` and the CSV records."""
    records = []
    for row in range(report.rows) if rows is None else rows:
        active = True if report.active is None else bool(report.active[row])
        record: dict = {"row": report.first_row + row + 1}
        if report.row_names:
            record["name"] = report.row_names[row]
        if report.labels is not None:
            record["label"] = int(report.labels[row])
        if report.active is not None:
            record["ignored"] = not active
        record["entropy_p"] = _optional(report.entropy_p, row, active)
        if report.command is not Command.ENTROPY:
            record["cross_entropy"] = float(report.cross_entropy[row])
            record["kl_divergence"] = _optional(report.kl, row, active)
            record["check"] = _optional(report.check, row, active)
        if report.command is Command.KL and report.reduction is Reduction.NONE:
            record["terms"] = dict(zip(report.classes, map(float, report.terms[row])))
        records.append(record)
    return records


def _values_text(values: np.ndarray) -> list[str]:
    """``-q --reduction none``: one line per row, a row's values separated by commas."""
    if values.ndim == 1:
        return [number(x) for x in values.tolist()]
    return [",".join(map(number, row)) for row in values.tolist()]


class QuietSink:
    """``-q``: the reduced value alone, or for ``none`` one line per row as the rows come."""

    def __init__(self, out: TextIO):
        self.out = out

    def rows(self, report: Report) -> None:
        if report.reduction is Reduction.NONE:
            self.out.write("\n".join(_values_text(report.values)) + "\n")

    def finish(self, summary: Summary) -> None:
        if summary.value is not None:
            self.out.write(number(summary.value) + "\n")


class CsvSink:
    """``-f csv``: a header line, then one record per row as the rows come."""

    def __init__(self, out: TextIO):
        self.writer = csv.writer(out, lineterminator="\n")
        self.fields: list[str] | None = None

    def rows(self, report: Report) -> None:
        records = row_records(report)
        terms = report.command is Command.KL and report.reduction is Reduction.NONE
        if self.fields is None:
            self.fields = [key for key in records[0] if key != "terms"]
            self.writer.writerow(self.fields + ([f"term:{name}" for name in report.classes] if terms else []))
        for record in records:
            cells = [_csv_cell(record[key]) for key in self.fields]
            if terms:
                cells += [number(x) for x in record["terms"].values()]
            self.writer.writerow(cells)

    def finish(self, summary: Summary) -> None:
        pass


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return number(value) if isinstance(value, float) else str(value)


def _json_record(record: dict) -> dict:
    return {key: ({k: json_number(v) for k, v in value.items()} if isinstance(value, dict)
                  else json_number(value) if isinstance(value, float) else value)
            for key, value in record.items()}


class JsonSink:
    """``-f json``: one strict JSON object; its rows are written as they come, and the reported value
    and the reductions after them (for ``none`` the values are kept in a spool file until then)."""

    def __init__(self, out: TextIO):
        import tempfile

        self.out = out
        self.started = False
        self.values = tempfile.SpooledTemporaryFile(max_size=1 << 24, mode="w+", encoding="utf-8")
        self.first_value = True

    def _start(self, report: Report) -> None:
        head = {
            "command": report.command.value,
            "quantity": report.command.quantity,
            "formula": FORMULAS[report.command],
            "direction": "P is the reference (target), Q the model" if report.q else "P is the distribution",
            "unit": report.base.unit,
            "base": report.base.text,
            "reduction": report.reduction.value,
            "n_classes": len(report.classes),
            "classes": report.classes,
            "p": {"source": report.p.source, "kind": report.p.kind.value},
        }
        if report.q is not None:
            head["q"] = {"source": report.q.source, "kind": report.q.kind.value}
        head["temperature"] = report.temperature
        if report.command is Command.CE:
            head["label_smoothing"] = report.label_smoothing
            head["weighted"] = report.weighted
        self.out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        self.started = True

    def rows(self, report: Report) -> None:
        first = not self.started
        if first:
            self._start(report)
        parts = [json.dumps(_json_record(record), ensure_ascii=False, allow_nan=False)
                 for record in row_records(report)]
        self.out.write(("" if first else ", ") + ", ".join(parts))
        if report.reduction is Reduction.NONE:
            for row in report.values.tolist():
                cell = [json_number(x) for x in row] if isinstance(row, list) else json_number(row)
                self.values.write(("" if self.first_value else ", ") + json.dumps(cell, allow_nan=False))
                self.first_value = False

    def finish(self, summary: Summary) -> None:
        self.out.write('], "value": ')
        if summary.value is None:
            self.out.write("[")
            self.values.seek(0)
            while chunk := self.values.read(1 << 16):
                self.out.write(chunk)
            self.out.write("]")
        else:
            self.out.write(json.dumps(json_number(summary.value)))
        tail = {
            "reductions": {name: json_number(value) for name, value in summary.reductions.items()},
            "n_rows": summary.rows,
            "warnings": summary.warnings,
        }
        self.out.write(", " + json.dumps(tail, ensure_ascii=False, allow_nan=False)[1:] + "\n")
        self.values.close()


# --------------------------------------------------------------------------------------------
# the table for people


def fmt(x) -> str:
    """A number for a table: six decimals where that reads well, scientific elsewhere."""
    if x is None:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x) or x == 0:
        return {math.inf: "+inf", -math.inf: "-inf"}.get(x, "0")
    if 1e-4 <= abs(x) < 1e7:
        return f"{x:.6f}"
    return f"{x:.3e}"


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
    table.add_column("H(P)", justify="right")
    if cmd is not Command.ENTROPY:
        table.add_column("H(P,Q) weighted" if summary.weighted else "H(P,Q)", justify="right",
                         style="bold" if cmd is Command.CE else None)
        table.add_column("D(P‖Q)", justify="right", style="bold" if cmd is Command.KL else None)
        table.add_column("check: H(P,Q) − H(P) − D(P‖Q)", justify="right")
    for record in records:
        if record is None:
            table.add_row(f"⋮ {summary.rows - TABLE_ROWS} rows", *[""] * (len(table.columns) - 1))
            continue
        ignored = record.get("ignored", False)
        cells = [record.get("name", str(record["row"]))]
        if summary.labels:
            cells.append(f"{record['label']} (ignored)" if ignored else str(record["label"]))
        cells.append(fmt(record["entropy_p"]))
        if cmd is not Command.ENTROPY:
            cells += [fmt(record["cross_entropy"]), fmt(record["kl_divergence"]), _check_text(record["check"])]
        table.add_row(*map(Text, cells))
    return table


def _check_text(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"✓ {value:.1e}" if abs(value) < 1e-9 else f"✗ {value:.3e}"


TERM_HEADERS = {
    Command.KL: "p·log(p/q)",
    Command.CE: "−p·log q",
    Command.ENTROPY: "−p·log p",
}


def _breakdown(report: Report, row: int, width: int = 10_000):
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    cmd = report.command
    total = float(report.terms[row].sum())
    target = "p (smoothed)" if cmd is Command.CE and report.label_smoothing else "p"
    header = TERM_HEADERS[cmd] if not (cmd is Command.CE and report.weighted) else "−w·p·log q"
    table = Table(title=f"row {escape(_row_name(report, row))}: {report.command.quantity} = {fmt(total)} {report.base.unit}",
                  title_justify="left", show_edge=False, show_footer=True)
    columns = [(target, report.p_probs), ("q", report.q_probs)]
    if cmd is not Command.CE:
        columns.append(("log p", report.p_log))
    if cmd is not Command.ENTROPY:
        columns.append(("log q", report.q_log))
    columns = [(title, values[row]) for title, values in columns if values is not None]
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
    for col, name in enumerate(report.classes):
        cells = [name] + [fmt(values[col]) for _, values in columns]
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


class TableSink:
    """The table for people: the first and last rows, the per-class breakdown when the input is
    small, the reductions. Keeps only those rows, so a table of any input fits in memory."""

    def __init__(self, console):
        self.console = console
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


def render_table(summary: Summary, records: list[dict | None], first: Report, console) -> None:
    from rich.text import Text

    cmd = summary.command
    heading = Text(f"{cmd.title} {FORMULAS[cmd]}, in {summary.base.unit} (log base {summary.base.text})",
                   style="bold")
    console.print(heading)
    for side, rows in ((summary.p, summary.p_rows), (summary.q, summary.q_rows)):
        if side is not None:
            label = side.label if summary.q else "P"
            console.print(Text(f"  {label}: {side.source} read as {side.kind.value}, {rows} row{'s' if rows != 1 else ''}"))
    extras = []
    if summary.temperature != 1.0:
        extras.append(f"temperature {summary.temperature:g} on logits")
    if cmd is Command.CE and summary.label_smoothing:
        extras.append(f"label smoothing {summary.label_smoothing:g}")
    if cmd is Command.CE and summary.weighted:
        extras.append("class weights")
    if extras:
        console.print(Text("  with " + ", ".join(extras)))
    console.print()
    console.print(_rows_table(summary, records))
    if summary.rows <= BREAKDOWN_ROWS and len(summary.classes) <= BREAKDOWN_CLASSES:
        negative = False
        for row in range(first.rows):
            if first.active is not None and not first.active[row]:
                continue
            console.print()
            table, has_negative = _breakdown(first, row, console.width)
            console.print(table)
            negative |= has_negative
        if negative and cmd is Command.KL:
            console.print(Text("  Terms are negative where q > p; their sum D(P‖Q) is never negative (Gibbs' inequality).",
                               style="italic"))
    console.print()
    console.print(_reductions_table(summary))
    console.print()
    if summary.value is None:
        shape = "N×C element terms" if cmd is Command.KL else "per-row values"
        console.print(Text(f"reduction none: the {shape} are above; -f csv or -f json gives them all"))
    else:
        console.print(Text(f"{cmd.quantity} = {fmt(summary.value)} {summary.base.unit}  ({summary.reduction.value})",
                           style="bold"))


SINKS = {
    Format.CSV: CsvSink,
    Format.JSON: JsonSink,
    Format.QUIET: QuietSink,
}
