"""``--top N``: the N rows with the largest per-row values, found while the blocks stream by.

A min-heap of at most N entries is all that is kept (bounded memory whatever the input): each
block's candidates (its values at least as large as its N-th largest) are offered to the heap. Rows
are ranked by value, largest first; equal values keep the input's order (the earlier row first).
Rows without a value (ce's ignored rows, nan) are never ranked; +inf ranks above every number.

What is ranked: kl the per-row D(P‖Q), ce the per-row loss H(P,Q) (weighted with --weight), entropy
H(P), js the reported measure (JS divergence, or the distance with --distance), compare D(P‖Q)
(``kl_pq``). Every format lists the same rows: ``-q`` one ``row<TAB>value`` line each (the row's
name when rows are named, else its 1-based number), CSV and JSON ``rank`` and the row's usual
record, the table rank, row and value.
"""

from __future__ import annotations

import heapq
import json
import math
from typing import TextIO

import numpy as np

from .errors import printable
from .render import FORMULAS, Format, fmt, json_safe, number
from .report import Command, Report

#: compare ranks its rows by this measure.
COMPARE_RANKED_BY = "kl_pq"
#: What each command ranks, as (the record's key, the table's title).
RANKED = {Command.KL: ("kl_divergence", "D(P‖Q)"), Command.CE: ("cross_entropy", "H(P,Q)"),
          Command.ENTROPY: ("entropy_p", "H(P)")}


class TopRows:
    """The N largest values offered so far, with their rows: a min-heap of (value, −row, record)."""

    def __init__(self, count: int):
        self.count = count
        self.heap: list[tuple[float, int, dict]] = []

    def offer(self, values: np.ndarray, first_row: int, record) -> None:
        """A block's values (nan: no value), its first row (0-based in the input), and
        ``record(indices)``, the plain records of those rows of the block."""
        values = np.asarray(values, dtype=np.float64)
        valid = np.flatnonzero(~np.isnan(values))
        if valid.size > self.count:  # the block's own top N, with every tie at the threshold
            threshold = np.partition(values[valid], valid.size - self.count)[valid.size - self.count]
            valid = valid[values[valid] >= threshold]
        if self.heap and len(self.heap) == self.count:
            valid = valid[values[valid] >= self.heap[0][0]]
        if not valid.size:
            return
        for index, rec in zip(valid.tolist(), record(valid.tolist())):
            entry = (float(values[index]), -(first_row + index), rec)
            if len(self.heap) < self.count:
                heapq.heappush(self.heap, entry)
            elif entry[:2] > self.heap[0][:2]:
                heapq.heapreplace(self.heap, entry)

    def ranked(self) -> list[tuple[float, dict]]:
        """Largest first; equal values in the input's order."""
        return [(value, rec) for value, _, rec in sorted(self.heap, key=lambda e: (-e[0], -e[1]))]


def _label(record: dict) -> str:
    return str(record.get("name", record["row"]))


class TopSink:
    """A sink (``rows`` per block, ``finish`` at the end) that ranks the rows and writes the top N
    in the chosen format once every block is in."""

    def __init__(self, count: int, chosen: Format, out: TextIO | None = None, console=None):
        self.top = TopRows(count)
        self.chosen, self.out, self.console = chosen, out, console
        self.head: dict | None = None
        self.key = self.title = ""

    def rows(self, report) -> None:
        if isinstance(report, Report):
            self._rows_of_report(report)
        else:
            self._rows_of_measures(report)

    def _rows_of_report(self, report: Report) -> None:
        from .render import JsonSink, row_records

        if self.head is None:
            self.key, self.title = RANKED[report.command]
            self.head = JsonSink._head(report)
            self.head["formula"] = FORMULAS[report.command]
        values = np.array(report.row_values, dtype=np.float64)
        if report.active is not None:
            values[~np.asarray(report.active, dtype=bool)] = np.nan
        self.top.offer(values, report.first_row, lambda rows: row_records(report, rows))

    def _rows_of_measures(self, report) -> None:
        from .views import MeasureJsonSink

        context = report.context
        if self.head is None:
            self.key = context.primary or COMPARE_RANKED_BY
            self.title = next(m.name for m in context.measures if m.key == self.key)
            self.head = MeasureJsonSink._head(context)

        def records(rows):
            out = []
            for row in rows:
                record: dict = {"row": report.first_row + row + 1}
                if report.row_names:
                    record["name"] = report.row_names[row]
                record.update((key, float(values[row])) for key, values in report.values.items())
                out.append(record)
            return out

        self.top.offer(report.values[self.key], report.first_row, records)

    def finish(self, summary) -> None:
        ranked = self.top.ranked()
        if self.chosen is Format.QUIET:
            self.out.write("".join(f"{_label(record)}\t{number(value)}\n" for value, record in ranked))
        elif self.chosen is Format.CSV:
            self._csv(ranked)
        elif self.chosen is Format.JSON:
            self._json(ranked, summary)
        else:
            self._table(ranked, summary)

    def _csv(self, ranked) -> None:
        import csv

        writer = csv.writer(self.out, lineterminator="\n")
        keys = list(ranked[0][1]) if ranked else ["row", self.key]
        writer.writerow(["rank"] + keys)
        for rank, (_, record) in enumerate(ranked, start=1):
            writer.writerow([rank] + [_cell(record.get(key)) for key in keys])

    def _json(self, ranked, summary) -> None:
        document = dict(self.head or {})
        reductions = summary.reductions
        document.update(
            top=self.top.count, ranked_by=self.key,
            rows=[{"rank": rank, **record} for rank, (_, record) in enumerate(ranked, start=1)],
            value=[value for value, _ in ranked],
            reductions=reductions, n_rows=summary.rows, warnings=summary.warnings,
        )
        self.out.write(json.dumps(json_safe(document), ensure_ascii=False, allow_nan=False) + "\n")

    def _table(self, ranked, summary) -> None:
        from rich.table import Table
        from rich.text import Text

        console = self.console
        unit = summary.base.unit if hasattr(summary, "base") else summary.context.base.unit
        count = self.top.count
        console.print(Text(f"the {min(count, len(ranked))} rows with the largest {self.title} "
                           f"(of {summary.rows} row{'s' if summary.rows != 1 else ''}), in {unit}", style="bold"))
        if not ranked:
            console.print(Text("  no row has a value (every label is ignored)"))
            return
        table = Table(show_edge=False)
        table.add_column("rank", justify="right")
        table.add_column("row", justify="right")
        table.add_column(self.title, justify="right", style="bold")
        for rank, (value, record) in enumerate(ranked, start=1):
            table.add_row(str(rank), Text(printable(_label(record))), fmt(value))
        console.print(table)
        console.print(Text("  equal values keep the input's order; -f csv or -f json gives each row's record"))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "" if math.isnan(value) else number(value)
    if isinstance(value, dict):
        return json.dumps(json_safe(value), ensure_ascii=False)
    return str(value)
