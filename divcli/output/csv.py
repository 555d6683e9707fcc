"""``-f csv``: a header line, then one record per row (the fields of :mod:`.records`), written as the
blocks come; the whole-document commands as one record per item. Never through Rich."""

from __future__ import annotations

import csv
import json
import math

from ..fields import Holds
from .records import column_names, csv_texts, library_records
from .registry import Content, Sink
from .texts import json_safe, number, write_csv_rows


class CsvSink(Sink):
    """kl, ce, entropy, js and compare (and Dask's CSV parts): one record per row, a block at a time;
    kl with ``--reduction none`` adds a ``term:CLASS`` column per class."""

    takes = frozenset({"rows", "measures"})

    def __init__(self, out, console=None):
        super().__init__(out, console)
        self.writer = csv.writer(out, lineterminator="\n")
        self.header_written = False

    def rows(self, report) -> None:
        columns = report.columns()
        if not self.header_written:
            self.writer.writerow(column_names(columns))
            self.header_written = True
        texts = [csv_texts(column) for column in columns]
        names = next((cells for column, cells in zip(columns, texts) if column.holds is Holds.NAME), None)
        write_csv_rows(self.out, self.writer, texts, names, joined_last=columns[-1].holds is Holds.TERMS)


def cell(value) -> str:
    """A value of a plain record as a CSV cell: ``true``/``false``, a missing number empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "" if math.isnan(value) else number(value)
    if isinstance(value, dict):
        return json.dumps(json_safe(value), ensure_ascii=False)
    return str(value)


class TopCsv(Sink):
    """``--top N -f csv``: ``rank`` and each ranked row's record."""

    def write(self, ranked) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        keys = list(ranked.rows[0][1]) if ranked.rows else ["row", ranked.key]
        writer.writerow(["rank"] + keys)
        for rank, (_, record) in enumerate(ranked.rows, start=1):
            writer.writerow([rank] + [cell(record.get(key)) for key in keys])


class MatrixCsv(Sink):
    """matrix: a header of the rows' labels, then per row its label and its entries."""

    def write(self, matrix, labels, measure, base, source, kind, deviation: float = 0.0) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(["row"] + labels)
        writer.writerows([label] + [number(x) for x in row] for label, row in zip(labels, matrix.tolist()))


class LibrariesCsv(Sink):
    def write(self, answers, exact, unit, note, sources) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(["library", "call", "value", "difference", "agrees", "why"])
        for row in library_records(answers, exact):
            writer.writerow([row["library"], row["call"], number(row["value"]), number(row["difference"]),
                             str(row["agrees"]).lower(), row["why"]])


class ExplainCsv(Sink):
    """explain: the terms per class."""

    def write(self, work: dict) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(["class", "p", "q", "-p*log(p)", "-p*log(q)", "p*log(p/q)"])
        for index, name in enumerate(work["classes"]):
            cells = [work["p"][index], work["q"][index], work["entropy_p"]["terms"][index],
                     work["cross_entropy"]["terms"][index], work["kl_divergence"]["terms"][index]]
            writer.writerow([name] + [number(x) for x in cells])


def distill_parts(document: dict) -> list[tuple[str, float | None]]:
    """distill's parts and the loss each mistake would give, as (part, value)."""
    parts = [(key, document[key]) for key in ("kl_at_t", "t_squared_kl", "ce", "soft_weight", "hard_weight", "loss")]
    return parts + [(f"mistake:{key}", mistake["loss"]) for key, mistake in document["mistakes"].items()]


class DistillCsv(Sink):
    """distill: one record per part (part, value)."""

    def write(self, document: dict) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(["part", "value"])
        writer.writerows([name, "" if value is None else number(value)] for name, value in distill_parts(document))


class CatalogueCsv(Sink):
    def write(self, rows: list[dict]) -> None:
        writer = csv.DictWriter(self.out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


SINKS = {
    Content.ROWS: CsvSink, Content.MEASURES: CsvSink, Content.PARTS: CsvSink, Content.MEASURE_PARTS: CsvSink,
    Content.TOP: TopCsv, Content.MATRIX: MatrixCsv, Content.LIBRARIES: LibrariesCsv, Content.EXPLAIN: ExplainCsv,
    Content.DISTILL: DistillCsv, Content.CATALOGUE: CatalogueCsv, Content.LM: "divcli.output.lm_output:LmCsv",
    Content.FORMATS: "divcli.output.listing:FormatsCsv", Content.DRIFT: "divcli.output.drift_output:DriftCsv",
    Content.MI: "divcli.output.mi_output:MiCsv",
    Content.FORMATS: "divcli.output.listing:FormatsCsv",
}
