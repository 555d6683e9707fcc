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
import functools
import json
import math
import re
from collections import deque
from typing import TextIO

import numpy as np

from .errors import printable
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


#: The column of the rows table that holds each command's per-row value (``--reduction row``).
ROW_COLUMN_TITLES = {Command.KL: "D(P‖Q)", Command.CE: "H(P,Q)", Command.ENTROPY: "H(P)"}

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


def json_safe(value):
    """A document for ``json.dumps(..., allow_nan=False)``: every float in it (in dicts, lists and
    tuples) as :func:`json_number` gives it, so ``inf``, ``-inf`` and ``nan`` become the strings
    ``"inf"``, ``"-inf"`` and ``"nan"``, never JSON's missing Infinity and NaN."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return json_number(value)
    return value


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


#: Columns at least this long are written by orjson when it is installed (the ``fast`` extra).
FAST_TEXTS = 256
#: orjson writes the same digits as ``repr`` (the shortest that read back as the same float64)
#: and the same text, except for magnitudes in [1e-9, 1e-4) (``1e-5`` for ``1e-05``, ``0.00005``
#: for ``5e-05``) and non-finite numbers: these go through ``repr``. Before first use it is
#: checked on these numbers, and not used if it writes any of them differently.
_REPR_BAND = (1e-9, 1e-4)
_PROBE = (0.0, -0.0, 1e-4, -1.0000000000000002e-4, 0.1, 1 / 3, 2.0, -100.0, 123456.789, 2.0**52,
          1e15, 9999999999999998.0, 1e16, -1.5e17, 1.7976931348623157e308, 9.999999999999999e-10,
          4.440892098500626e-16, -2.5e-20, 1.234e-300, 5e-324, 0.30000000000000004, 12.5)


@functools.cache
def _orjson_dumps():
    """A function writing a 1-D numeric array as a list of texts with orjson, or ``None`` when
    orjson is missing or writes the probe numbers differently from ``repr`` (found once)."""
    try:
        import orjson
    except ImportError:
        return None

    def dumps(values: np.ndarray) -> list[str]:
        text = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY).decode("ascii")
        return text[1:-1].split(",") if values.size else []

    return dumps if dumps(np.array(_PROBE)) == list(map(repr, _PROBE)) else None


def _reprs(values: np.ndarray) -> list[str]:
    """``repr`` of every float64 of a contiguous 1-D array: through orjson for long columns when
    it is installed (many times faster; the few numbers it writes differently go through
    ``repr``), else ``repr`` of each (``tolist`` gives Python floats)."""
    dumps = _orjson_dumps() if values.size >= FAST_TEXTS else None
    if dumps is None:
        return list(map(repr, values.tolist()))
    texts = dumps(values)
    magnitude = np.abs(values)
    in_band = (magnitude >= _REPR_BAND[0]) & (magnitude < _REPR_BAND[1])
    for index in np.flatnonzero(in_band | ~np.isfinite(values)).tolist():
        texts[index] = repr(float(values[index]))
    return texts


def json_records(fields: list[tuple[str, list[str]]]) -> list[str]:
    """One JSON object per row, from each field's name and its texts, already JSON, row by row."""
    template = "{{" + ", ".join(json.dumps(name, ensure_ascii=False).replace("{", "{{").replace("}", "}}")
                                + ": {}" for name, _ in fields) + "}}"
    return list(map(template.format, *(texts for _, texts in fields)))


def row_numbers(first: int, count: int) -> list[str]:
    """The texts of the integers ``first, first + 1, …`` (the row column)."""
    dumps = _orjson_dumps() if count >= FAST_TEXTS else None
    if dumps is None:
        return list(map(str, range(first, first + count)))
    return dumps(np.arange(first, first + count, dtype=np.int64))


def lead_fields(first_row: int, rows: int, row_names, as_json: bool) -> list[tuple[str, list[str]]]:
    """The fields every per-row record starts with: ``row`` (1-based), and ``name`` when rows have
    names (JSON strings for JSON, the names themselves for CSV), each as the texts of every row."""
    fields = [("row", row_numbers(first_row + 1, rows))]
    if row_names:
        fields.append(("name", [json.dumps(name, ensure_ascii=False) if as_json else str(name) for name in row_names]))
    return fields


def number_texts(values: np.ndarray) -> list[str]:
    """``repr`` of every float64 of a 1-D array, in one pass.

    A long column of few distinct values (the check column holds a few multiples of an ulp; a
    one-hot P's entropy is all 0) formats each distinct bit pattern once: ``-0.0`` and ``0.0`` stay
    apart, and the texts are the same ``repr``."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    if values.size >= 1024:
        bits = values.view(np.int64)
        sample = bits[::bits.size // 512]
        if np.unique(sample).size * 4 < sample.size:
            distinct, inverse = np.unique(bits, return_inverse=True)
            texts = _reprs(distinct.view(np.float64))
            return list(map(texts.__getitem__, inverse.ravel().tolist()))
    return _reprs(values)


def _blank(texts: list[str], mask: np.ndarray | None, blank: str) -> list[str]:
    """``texts`` with ``blank`` where ``mask`` is set (few rows, usually none)."""
    if mask is not None:
        for index in np.flatnonzero(mask).tolist():
            texts[index] = blank
    return texts


def json_texts(values: np.ndarray, missing: np.ndarray | None = None) -> list[str]:
    """JSON numbers: finite ones as ``repr``, non-finite ones as strings, ``null`` where ``missing``."""
    texts = number_texts(values)
    for index in np.flatnonzero(~np.isfinite(values)).tolist():
        texts[index] = f'"{texts[index]}"'
    return _blank(texts, missing, "null")


def _missing(values: np.ndarray, inactive: np.ndarray | None) -> np.ndarray | None:
    """Where an optional per-row value does not exist: ``nan``, or an ignored row."""
    missing = np.isnan(values)
    if inactive is not None:
        missing |= inactive
    return missing if missing.any() else None


def _fields(report: Report, as_json: bool) -> list[tuple[str, list[str]]]:
    """The per-row fields of a block (JSON's ``rows``, the CSV columns), each as the texts of every
    row, built a column at a time: what :func:`row_records` gives, without a dict per row."""
    inactive = None if report.active is None else ~np.asarray(report.active, dtype=bool)
    fields = lead_fields(report.first_row, report.rows, report.row_names, as_json)
    if report.labels is not None:
        fields.append(("label", list(map(str, np.asarray(report.labels).tolist()))))
    if inactive is not None:
        fields.append(("ignored", ["true" if flag else "false" for flag in inactive.tolist()]))

    def optional(values: np.ndarray) -> list[str]:
        missing = _missing(values, inactive)
        if as_json:
            return json_texts(values, missing)
        if missing is not None and missing.all():
            return [""] * len(values)
        return _blank(number_texts(values), missing, "")

    fields.append(("entropy_p", optional(report.entropy_p)))
    if report.command is not Command.ENTROPY:
        cross = report.cross_entropy
        fields.append(("cross_entropy", json_texts(cross) if as_json else number_texts(cross)))
        fields.append(("kl_divergence", optional(report.kl)))
        fields.append(("check", optional(report.check)))
    return fields


def _has_terms(report: Report) -> bool:
    return report.command is Command.KL and report.reduction is Reduction.NONE


def _row_texts(values: np.ndarray, as_json: bool) -> list[str]:
    """``--reduction none`` values: per row one number, or a row of numbers joined by commas (CSV,
    ``-q``) or a JSON list."""
    if values.ndim == 1:
        return json_texts(values) if as_json else number_texts(values)
    flat = json_texts(values.ravel()) if as_json else number_texts(values.ravel())
    width = values.shape[1]
    joined = map((", " if as_json else ",").join, (flat[start:start + width] for start in range(0, len(flat), width)))
    return [f"[{row}]" for row in joined] if as_json else list(joined)


class QuietSink:
    """``-q``: the reduced value alone, or for ``none`` one line per row as the rows come."""

    def __init__(self, out: TextIO):
        self.out = out

    def rows(self, report: Report) -> None:
        if report.reduction.per_row:
            self.out.write("\n".join(_row_texts(report.values, False)) + "\n")

    def finish(self, summary: Summary) -> None:
        if summary.value is not None:
            self.out.write(number(summary.value) + "\n")


#: Characters that make the csv module quote a cell (with its default dialect and "\n" lines).
_CSV_SPECIAL = re.compile(r'[,"\r\n]')


def write_csv_rows(out: TextIO, writer, columns: list[list[str]], names: list[str] | None = None,
                   joined_last: bool = False) -> None:
    """A block's records, from the texts of each column: joined by commas in one write, unless a
    name needs quoting (numbers never do); then through ``writer``, the csv module, which quotes
    them as it did the header. ``joined_last``: the last column holds cells already joined by
    commas (numbers), to be split for the csv module."""
    if names and any(_CSV_SPECIAL.search(name) for name in names):
        writer.writerows([*cells[:-1], *cells[-1].split(",")] if joined_last else cells for cells in zip(*columns))
        return
    out.write("\n".join(map(",".join, zip(*columns))) + "\n")


class CsvSink:
    """``-f csv``: a header line, then one record per row as the rows come, a block at a time."""

    def __init__(self, out: TextIO):
        self.out = out
        self.writer = csv.writer(out, lineterminator="\n")
        self.header_written = False

    def rows(self, report: Report) -> None:
        fields = _fields(report, as_json=False)
        terms = _has_terms(report)
        if not self.header_written:
            self.writer.writerow([name for name, _ in fields]
                                 + ([f"term:{name}" for name in report.classes] if terms else []))
            self.header_written = True
        columns = [texts for _, texts in fields]
        if terms:
            columns.append(_row_texts(report.terms, False))  # a row's terms, joined by commas
        write_csv_rows(self.out, self.writer, columns, columns[1] if report.row_names else None, joined_last=terms)

    def finish(self, summary: Summary) -> None:
        pass


class JsonStream:
    """One strict JSON object written as it goes: the head, then ``"rows"`` block by block, then
    ``"value"`` and the tail. The values of ``--reduction none`` are kept in a spool file until
    ``"value"`` is due, so nothing of a long input is held in memory. Shared by every JSON sink."""

    def __init__(self, out: TextIO):
        import tempfile

        self.out = out
        self.started = self.written = self.kept = False
        self.values = tempfile.SpooledTemporaryFile(max_size=1 << 24, mode="w+", encoding="utf-8")

    def records(self, head, texts: list[str]) -> None:
        """A block's row objects, already JSON; ``head()`` gives the head before the first block."""
        if not self.started:
            self.out.write(json.dumps(json_safe(head()), ensure_ascii=False, allow_nan=False)[:-1] + ', "rows": [')
            self.started = True
        if texts:
            self.out.write((", " if self.written else "") + ", ".join(texts))
            self.written = True

    def keep(self, texts: list[str]) -> None:
        """Values (JSON texts) for a ``"value"`` list written at the end."""
        if texts:
            self.values.write((", " if self.kept else "") + ", ".join(texts))
            self.kept = True

    def finish(self, value: str | None, tail: dict) -> None:
        """``"value"``: the JSON text given, or (None) the kept values as a list; then ``tail``."""
        self.out.write('], "value": ')
        if value is None:
            self.out.write("[")
            self.values.seek(0)
            while chunk := self.values.read(1 << 16):
                self.out.write(chunk)
            self.out.write("]")
        else:
            self.out.write(value)
        self.out.write(", " + json.dumps(json_safe(tail), ensure_ascii=False, allow_nan=False)[1:] + "\n")
        self.values.close()


class JsonSink:
    """``-f json``: one strict JSON object; its rows are written as they come, and the reported value
    and the reductions after them (for ``none`` the values are kept in a spool file until then)."""

    def __init__(self, out: TextIO):
        self.stream = JsonStream(out)

    @staticmethod
    def _head(report: Report) -> dict:
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
        return head

    def rows(self, report: Report) -> None:
        fields = _fields(report, as_json=True)
        if _has_terms(report):
            flat, width = json_texts(report.terms.ravel()), len(report.classes)
            fields.append(("terms", json_records([(name, flat[index::width])
                                                  for index, name in enumerate(report.classes)])))
        self.stream.records(lambda: self._head(report), json_records(fields))
        if report.reduction.per_row:
            self.stream.keep(_row_texts(report.values, True))

    def finish(self, summary: Summary) -> None:
        value = None if summary.value is None else json.dumps(json_number(summary.value), allow_nan=False)
        self.stream.finish(value, {
            "reductions": {name: json_number(value) for name, value in summary.reductions.items()},
            "n_rows": summary.rows,
            "warnings": summary.warnings,
        })


# --------------------------------------------------------------------------------------------
# the table for people


def temperature_text(temperature: float, sides: list[tuple[str, str]]) -> str:
    """How a temperature T ≠ 1 was applied to each operand (role, kind): every kind becomes
    softmax(log p / T); written in the terms of its kind."""
    t = f"{temperature:g}"
    how = {"logits": "softmax(z/{t}) of its logits",
           "probs": "{r}^(1/{t}) renormalised = softmax(log {r}/{t})",
           "log-probs": "softmax(log {r}/{t}) of its log-probabilities",
           "labels": "one-hot, unchanged by T"}
    return f"temperature T = {t}: " + "; ".join(f"{role} as " + how[kind].format(t=t, r=role.lower())
                                                 for role, kind in sides)


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
        cells = [printable(record.get("name", str(record["row"])))]
        if summary.labels:
            cells.append(f"{record['label']} (ignored)" if ignored else str(record["label"]))
        cells.append(fmt(record["entropy_p"]))
        if cmd is not Command.ENTROPY:
            cells += [fmt(record["cross_entropy"]), fmt(record["kl_divergence"]), check_text(record)]
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
    table = Table(title=f"row {escape(printable(_row_name(report, row)))}: {report.command.quantity} = {fmt(total)} {report.base.unit}",
                  title_justify="left", show_edge=False, show_footer=True)
    columns = [(target, report.p_probs), ("q", report.q_probabilities())]
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
            console.print(Text(f"  {label}: {printable(side.source)} read as {side.read_as}, {rows} row{'s' if rows != 1 else ''}"))
    extras = []
    if summary.temperature != 1.0:
        sides = [(side.role, side.kind.value) for side in (summary.p, summary.q) if side is not None]
        extras.append(temperature_text(summary.temperature, sides))
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
        shape = "N×C element terms" if cmd is Command.KL and summary.reduction is Reduction.NONE else \
            f"per-row values ({ROW_COLUMN_TITLES[cmd]})"
        console.print(Text(f"reduction {summary.reduction.value}: the {shape} are above; "
                           "-f csv or -f json gives them all"))
    else:
        console.print(Text(f"{cmd.quantity} = {fmt(summary.value)} {summary.base.unit}  ({summary.reduction.value})",
                           style="bold"))


SINKS = {
    Format.CSV: CsvSink,
    Format.JSON: JsonSink,
    Format.QUIET: QuietSink,
}
