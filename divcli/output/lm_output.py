"""``divcli lm`` in the formats for programs: ``-f csv``, ``-f json`` and ``-q`` (the table for
people is :mod:`.lm_tables`).

Each sink is given the blocks of positions as they are computed (``rows``: written only with
``--reduction row``) and the run's summary (``finish``): the statistics, and with ``--top`` the
worst positions.

- CSV: ``statistic,value`` per statistic; with ``--reduction row`` one record per position; with
  ``--top N`` the worst positions, ranked (with ``--tokens``, each line ends with its tokens:
  :mod:`.lm_tokens`).
- JSON: one object: the head (the operands, the vocabulary), ``rows`` with ``--reduction row`` (as
  they come), ``worst`` with ``--top`` (with ``--tokens``, each with its ``tokens``), then ``value``
  (the mean KL) and ``statistics``.
- ``-q``: the mean KL; with ``--reduction row`` one KL a line; with ``--top`` ``position<TAB>KL``.
"""

from __future__ import annotations

import csv
import json

from ..computations.lm_sketch import ALPHA
from ..computations.lm_topk import ListedContext
from ..fields import Holds
from .csv import cell
from .json import JsonStream, dumps
from .lm_tokens import csv_cells, csv_header, json_worst
from .lm_listed import listed_head
from .records import csv_texts, json_values, records
from .registry import Sink
from .texts import inputs_document, json_number, json_records, number, number_texts, write_csv_rows


def head(context) -> dict:
    """What a JSON document of ``divcli lm`` says before its positions (of top-k inputs:
    :func:`.lm_listed.listed_head`)."""
    if isinstance(context, ListedContext):
        return listed_head(context)
    return {
        "command": "lm",
        "quantity": "D(P‖Q)",
        "formula": "D(P‖Q) = Σ p·log(p/q) per position",
        "direction": "P is the base model (the reference), Q the candidate",
        "unit": "nats",
        "reduction": "row" if context.per_position else "mean",
        "p": {"source": context.p.source, "kind": context.p.kind.value},
        "q": {"source": context.q.source, "kind": context.q.kind.value},
        "labels": None if context.labels_operand is None else {"source": context.labels_operand.name},
        "vocabulary": context.vocabulary,
        "percentiles": "numpy's default: linear interpolation between the sorted values" if not context.approx else
                       f"D(P‖Q)'s from a log-scale sketch, each within a relative {ALPHA:g} of numpy's default",
    }


def _fields(block) -> list[tuple[str, list[str]]]:
    return [(column.name, json_values(column)) for column in block.columns()]


class LmCsv(Sink):
    """``-f csv``: the positions as they come (``--reduction row``), else at the end the worst
    positions (``--top``) or the statistics."""

    def __init__(self, out, console=None):
        super().__init__(out, console)
        self.writer = csv.writer(out, lineterminator="\n")
        self.header_written = False

    def rows(self, block) -> None:
        if not block.per_position:
            return
        columns = block.columns()
        if not self.header_written:
            self.writer.writerow([column.name for column in columns])
            self.header_written = True
        texts = [csv_texts(column) for column in columns]
        tokens = [text for column, cells in zip(columns, texts) if column.holds is Holds.NAME for text in cells]
        write_csv_rows(self.out, self.writer, texts, tokens)  # a token's text quoted where CSV needs it

    def finish(self, summary) -> None:
        if summary.context.per_position:
            return
        if summary.worst is not None:
            ranked, tokens = records(summary.worst), csv_header(summary.tokens)
            self.writer.writerow(["rank"] + list(ranked[0]) + tokens)
            for rank, record in enumerate(ranked, start=1):
                found = csv_cells(summary.tokens[rank - 1], len(tokens)) if tokens else []
                self.writer.writerow([rank] + [cell(value) for value in record.values()] + found)
            return
        self.writer.writerow(["statistic", "value"])
        for key, value in summary.statistics.items():
            self.writer.writerow([key, cell(value)])


class LmJson(Sink):
    """``-f json``: one object, the positions streamed with ``--reduction row``."""

    def __init__(self, out, console=None):
        super().__init__(out, console)
        self.stream = JsonStream(out)

    def rows(self, block) -> None:
        if block.per_position:
            self.stream.records(lambda: head(block.context), json_records(_fields(block)))

    def finish(self, summary) -> None:
        context = summary.context
        tail = {}
        if summary.worst is not None:
            tail["worst"] = json_worst([json.loads(text) for text in json_records(_fields(summary.worst))],
                                       summary.tokens)
        tail.update(statistics={key: json_number(value) if isinstance(value, float) else value
                                for key, value in summary.statistics.items()},
                    n_positions=summary.positions, inputs=inputs_document("PQ", summary.deviations),
                    warnings=summary.warnings)
        if context.per_position:
            self.stream.finish(json.dumps(json_number(summary.value)), tail, lambda: head(context))
            return
        self.out.write(dumps({**head(context), "value": summary.value, **tail}) + "\n")


class LmQuiet(Sink):
    """``-q``: the mean KL; one KL a line with ``--reduction row``; ``position<TAB>KL`` with ``--top``."""

    def rows(self, block) -> None:
        if block.per_position:
            self.out.write("\n".join(number_texts(block.kl)) + "\n")

    def finish(self, summary) -> None:
        if summary.context.per_position:
            return
        if summary.worst is not None:
            worst = summary.worst
            self.out.write("".join(f"{position}\t{text}\n" for position, text
                                   in zip(worst.position.tolist(), number_texts(worst.kl))))
            return
        self.out.write(number(summary.value) + "\n")
