"""Reports → text: a Rich table for people; CSV, JSON and ``-q`` for programs (never through Rich).

One function per format, chosen from :data:`RENDERERS`. Machine formats write every number as the
shortest text that reads back as the same float64 (``repr``), and non-finite numbers as ``inf``,
``-inf``, ``nan`` (JSON: the strings ``"inf"``, ``"-inf"``, ``"nan"``).
"""

from __future__ import annotations

import csv
import enum
import json
import math
from typing import Callable, TextIO

import numpy as np

from .numerics import Reduction
from .report import Command, Report

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


def row_records(report: Report) -> list[dict]:
    """One plain dict per row: the fields of JSON's ``rows`` and of the CSV records."""
    records = []
    for row in range(report.rows):
        active = True if report.active is None else bool(report.active[row])
        record: dict = {"row": row + 1}
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


def _describe(report: Report) -> dict:
    sides = {"p": {"source": report.p.source, "kind": report.p.kind.value}}
    if report.q is not None:
        sides["q"] = {"source": report.q.source, "kind": report.q.kind.value}
    return sides


def _value_for_json(report: Report):
    if report.reduction is Reduction.NONE:
        return [[json_number(x) for x in row] if np.ndim(row) else json_number(row) for row in report.value]
    return json_number(report.value)


def render_json(report: Report, out: TextIO) -> None:
    def clean(record: dict) -> dict:
        return {
            key: ({k: json_number(v) for k, v in value.items()} if isinstance(value, dict)
                  else json_number(value) if isinstance(value, float) else value)
            for key, value in record.items()
        }

    document = {
        "command": report.command.value,
        "quantity": report.command.quantity,
        "formula": FORMULAS[report.command],
        "direction": "P is the reference (target), Q the model" if report.q else "P is the distribution",
        "unit": report.base.unit,
        "base": report.base.text,
        "reduction": report.reduction.value,
        "value": _value_for_json(report),
        "reductions": {name: json_number(value) for name, value in report.reductions.items()},
        "n_rows": report.rows,
        "n_classes": len(report.classes),
        "classes": report.classes,
        **_describe(report),
        "temperature": report.temperature,
        "rows": [clean(record) for record in row_records(report)],
        "warnings": report.warnings,
    }
    if report.command is Command.CE:
        document["label_smoothing"] = report.label_smoothing
        document["weighted"] = report.weighted
    json.dump(document, out, ensure_ascii=False, allow_nan=False)
    out.write("\n")


def render_csv(report: Report, out: TextIO) -> None:
    records = row_records(report)
    fields = [key for key in records[0] if key != "terms"]
    term_fields = [f"term:{name}" for name in report.classes] if "terms" in records[0] else []
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields + term_fields)
    for record in records:
        cells = ["" if record[key] is None else number(record[key]) if isinstance(record[key], float)
                 else str(record[key]).lower() if isinstance(record[key], bool) else record[key]
                 for key in fields]
        if term_fields:
            cells += [number(x) for x in record["terms"].values()]
        writer.writerow(cells)


def render_quiet(report: Report, out: TextIO) -> None:
    if report.reduction is not Reduction.NONE:
        out.write(number(report.value) + "\n")
        return
    for row in report.value:
        out.write((",".join(map(number, row)) if np.ndim(row) else number(row)) + "\n")


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
    return report.row_names[row] if report.row_names else str(row + 1)


def _shown_rows(n: int) -> list[int | None]:
    """Row indices for the table: all of them, or the first and last with ``None`` between."""
    if n <= TABLE_ROWS:
        return list(range(n))
    half = TABLE_ROWS // 2
    return list(range(half)) + [None] + list(range(n - half, n))


def _rows_table(report: Report):
    from rich.table import Table
    from rich.text import Text

    cmd = report.command
    table = Table(title=f"per row, in {report.base.unit}", title_justify="left", show_edge=False)
    table.add_column("row", justify="right")
    if report.labels is not None:
        table.add_column("label", justify="right")
    table.add_column("H(P)", justify="right")
    if cmd is not Command.ENTROPY:
        weighted = cmd is Command.CE and report.weighted
        table.add_column("H(P,Q) weighted" if weighted else "H(P,Q)", justify="right",
                         style="bold" if cmd is Command.CE else None)
        table.add_column("D(P‖Q)", justify="right", style="bold" if cmd is Command.KL else None)
        table.add_column("check: H(P,Q) − H(P) − D(P‖Q)", justify="right")
    for row in _shown_rows(report.rows):
        if row is None:
            table.add_row(f"⋮ {report.rows - TABLE_ROWS} rows", *[""] * (len(table.columns) - 1))
            continue
        ignored = report.active is not None and not report.active[row]
        cells = [_row_name(report, row)]
        if report.labels is not None:
            cells.append(f"{report.labels[row]} (ignored)" if ignored else str(report.labels[row]))
        cells.append("—" if ignored else fmt(report.entropy_p[row]))
        if cmd is not Command.ENTROPY:
            cells.append(fmt(report.cross_entropy[row]))
            cells.append("—" if ignored else fmt(report.kl[row]))
            cells.append("—" if ignored else _check_text(report.check[row]))
        table.add_row(*map(Text, cells))
    return table


def _check_text(value: float) -> str:
    if math.isnan(value):
        return "—"
    return f"✓ {value:.1e}" if abs(value) < 1e-9 else f"✗ {value:.3e}"


TERM_HEADERS = {
    Command.KL: "p·log(p/q)",
    Command.CE: "−p·log q",
    Command.ENTROPY: "−p·log p",
}


def _breakdown(report: Report, row: int):
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
    for col, name in enumerate(report.classes):
        cells = [name] + [fmt(values[col]) for _, values in columns]
        term = float(report.terms[row, col])
        cells += [fmt(term), _share(term, total)]
        table.add_row(*map(Text, cells))
    return table, bool(np.any(report.terms[row] < 0))


def _reductions_table(report: Report):
    from rich.table import Table

    table = Table(title="reductions", title_justify="left", show_edge=False)
    table.add_column("reduction")
    table.add_column(report.base.unit, justify="right")
    table.add_column("how")
    notes = {"sum": "total", "mean": "total ÷ (N·C)", "batchmean": "total ÷ N"}
    if report.command is not Command.KL:
        if report.labels is not None and report.command is Command.CE:
            notes["mean"] = "Σ w_y·l ÷ Σ w_y (rows not ignored)" if report.weighted else "total ÷ rows not ignored"
        else:
            notes["mean"] = "total ÷ N"
    for name, value in report.reductions.items():
        chosen = name == report.reduction.value
        table.add_row(name, fmt(value), notes[name] + ("   ◀ reported" if chosen else ""),
                      style="bold" if chosen else None)
    return table


def render_table(report: Report, console) -> None:
    from rich.text import Text

    cmd = report.command
    heading = Text(f"{cmd.title} {FORMULAS[cmd]}, in {report.base.unit} (log base {report.base.text})", style="bold")
    console.print(heading)
    sides = [report.p] + ([report.q] if report.q else [])
    for side in sides:
        label = side.label if report.q else "P"
        console.print(Text(f"  {label}: {side.source} read as {side.kind.value}, {side.rows} row{'s' if side.rows != 1 else ''}"))
    extras = []
    if report.temperature != 1.0:
        extras.append(f"temperature {report.temperature:g} on logits")
    if cmd is Command.CE and report.label_smoothing:
        extras.append(f"label smoothing {report.label_smoothing:g}")
    if cmd is Command.CE and report.weighted:
        extras.append("class weights")
    if extras:
        console.print(Text("  with " + ", ".join(extras)))
    console.print()
    console.print(_rows_table(report))
    if report.rows <= BREAKDOWN_ROWS and len(report.classes) <= BREAKDOWN_CLASSES:
        negative = False
        for row in range(report.rows):
            if report.active is not None and not report.active[row]:
                continue
            console.print()
            table, has_negative = _breakdown(report, row)
            console.print(table)
            negative |= has_negative
        if negative and cmd is Command.KL:
            console.print(Text("  Terms are negative where q > p; their sum D(P‖Q) is never negative (Gibbs' inequality).",
                               style="italic"))
    console.print()
    console.print(_reductions_table(report))
    console.print()
    if report.reduction is Reduction.NONE:
        shape = "N×C element terms" if cmd is Command.KL else "per-row values"
        console.print(Text(f"reduction none: the {shape} are above; -f csv or -f json gives them all"))
    else:
        console.print(Text(f"{cmd.quantity} = {fmt(report.value)} {report.base.unit}  ({report.reduction.value})",
                           style="bold"))


RENDERERS: dict[Format, Callable] = {
    Format.CSV: render_csv,
    Format.JSON: render_json,
    Format.QUIET: render_quiet,
}
