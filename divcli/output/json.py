"""``-f json``: one strict JSON object per run (``inf``, ``-inf``, ``nan`` as strings). The row
commands write their ``rows`` as the blocks come (:class:`JsonStream`); the others one document."""

from __future__ import annotations

import json

from .records import json_values, library_records, value_texts
from .registry import Content, Sink, TemporaryFileError
from .texts import inputs_document, notes_document, json_number, json_records, json_safe


def dumps(document) -> str:
    return json.dumps(json_safe(document), ensure_ascii=False, allow_nan=False)


class JsonStream:
    """One strict JSON object written as it goes: the head, then ``"rows"`` block by block, then
    ``"value"`` and the tail. The values of ``--reduction none`` are kept in a spool file until
    ``"value"`` is due, so nothing of a long input is held in memory. Shared by every JSON sink."""

    def __init__(self, out):
        import tempfile

        self.out = out
        self.started = self.written = self.kept = False
        self.values = tempfile.SpooledTemporaryFile(max_size=1 << 24, mode="w+", encoding="utf-8")

    def records(self, head, texts: list[str]) -> None:
        """A block's row objects, already JSON; ``head()`` gives the head before the first block."""
        if not self.started:
            self.out.write(dumps(head())[:-1] + ', "rows": [')
            self.started = True
        if texts:
            self.out.write((", " if self.written else "") + ", ".join(texts))
            self.written = True

    def keep(self, texts: list[str]) -> None:
        """Values (JSON texts) for a ``"value"`` list written at the end."""
        if texts:
            try:
                self.values.write((", " if self.kept else "") + ", ".join(texts))
            except OSError as error:  # TMPDIR full, or RLIMIT_FSIZE, once past the spool's memory
                import tempfile

                raise TemporaryFileError(error, tempfile.gettempdir(),
                                         ' (-f json keeps the values of --reduction none in a temporary file there '
                                         'until its "value" is written; set TMPDIR to a folder with room, or write '
                                         '-f csv)') from None
            self.kept = True

    def finish(self, value: str | None, tail: dict, head) -> None:
        """``"value"``: the JSON text given, or (None) the kept values as a list; then ``tail``.
        ``head()`` gives the head when no block came (``-o DIR``: the rows are in the parts)."""
        self.records(head, [])
        self.out.write('], "value": ')
        if value is None:
            self.out.write("[")
            self.values.seek(0)
            while chunk := self.values.read(1 << 16):
                self.out.write(chunk)
            self.out.write("]")
        else:
            self.out.write(value)
        self.out.write(", " + dumps(tail)[1:] + "\n")
        self.values.close()


class JsonSink(Sink):
    """kl, ce and entropy: the head, ``rows`` as they come, then the reported value and the
    reductions (for ``none`` the values are kept in a spool file until then)."""

    takes = frozenset({"rows"})

    def __init__(self, out, console=None):
        super().__init__(out, console)
        self.stream = JsonStream(out)

    def rows(self, report) -> None:
        fields = [(column.name, json_values(column)) for column in report.columns()]
        self.stream.records(report.head, json_records(fields))
        if report.reduction.per_row:
            self.stream.keep(value_texts(report.values, True))

    def finish(self, summary) -> None:
        value = None if summary.value is None else json.dumps(json_number(summary.value), allow_nan=False)
        self.stream.finish(value, {
            "reductions": {name: json_number(value) for name, value in summary.reductions.items()},
            "n_rows": summary.rows,
            "inputs": inputs_document(summary.roles, summary.deviations, summary.sizes),
            **notes_document(summary.context.notes),
            "warnings": summary.warnings,
        }, summary.context.head)

    def rows_beside_parts(self, total: int, command: str) -> list[tuple[int, int]]:
        return []  # the rows are in the parts


class MeasureJsonSink(Sink):
    """js and compare: the head, ``rows`` as they come, then ``value`` and ``reductions``."""

    takes = frozenset({"measures"})

    def __init__(self, out, console=None):
        super().__init__(out, console)
        self.stream = JsonStream(out)

    def rows(self, report) -> None:
        fields = [(column.name, json_values(column)) for column in report.columns()]
        self.stream.records(report.head, json_records(fields))
        primary = report.context.primary
        if report.context.reduction.per_row and primary:
            self.stream.keep(dict(fields)[primary])

    def finish(self, summary) -> None:
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
            "inputs": inputs_document(summary.roles, summary.deviations, summary.sizes),
            **notes_document(summary.context.notes),
            "warnings": summary.warnings,
        }, summary.context.head)

    def rows_beside_parts(self, total: int, command: str) -> list[tuple[int, int]]:
        return []  # the rows are in the parts


class TopJson(Sink):
    """``--top N -f json``: the command's head, then the ranked rows' records and values."""

    def write(self, ranked) -> None:
        summary = ranked.summary
        document = dict(ranked.head or {})
        document.update(
            top=ranked.count, ranked_by=ranked.key,
            rows=[{"rank": rank, **record} for rank, (_, record) in enumerate(ranked.rows, start=1)],
            value=[value for value, _ in ranked.rows],
            reductions=summary.reductions, n_rows=summary.rows,
            inputs=inputs_document(summary.roles, summary.deviations), warnings=summary.warnings,
        )
        self.out.write(dumps(document) + "\n")


class MatrixJson(Sink):
    def write(self, matrix, labels, measure, base, source, kind, deviation: float = 0.0) -> None:
        from ..measures.catalogue import unit_of

        document = {
            "command": "matrix", "measure": measure.key, "name": measure.name, "formula": measure.formula,
            "convention": measure.convention, "unit": unit_of(measure, base), "base": base.text, "source": source,
            "kind": kind, "direction": "entry [i][j] takes row i as P and row j as Q",
            "labels": labels, "matrix": [[json_number(x) for x in row] for row in matrix.tolist()],
            "inputs": inputs_document("P", {"P": deviation}),
        }
        self.out.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")


class LibrariesJson(Sink):
    def write(self, answers, exact, unit, note, sources) -> None:
        document = {"command": "libraries", "quantity": "D(P‖Q), batchmean", "unit": unit, "note": note,
                    "p": sources[0], "q": sources[1], "exact": json_number(exact),
                    "libraries": [{**row, "value": json_number(row["value"]),
                                   "difference": json_number(row["difference"])}
                                  for row in library_records(answers, exact)]}
        self.out.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return json_number(value) if isinstance(value, float) else value


class ExplainJson(Sink):
    """explain: every number of the working."""

    def write(self, work: dict) -> None:
        document = {"command": "explain", "row": work["row"], **work["sources"],
                    **{key: _clean(value) for key, value in work.items()
                       if key not in ("row", "sources", "p", "q", "deviations")},
                    "p_values": _clean(work["p"]), "q_values": _clean(work["q"]),
                    "inputs": inputs_document("PQ", work.get("deviations", {}))}
        self.out.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")


class DistillJson(Sink):
    def write(self, document: dict) -> None:
        self.out.write(dumps(document) + "\n")


class CatalogueJson(Sink):
    def write(self, rows: list[dict]) -> None:
        self.out.write(json.dumps({"measures": rows, "renyi": "renyi_α for any order α > 0 (compare --alpha)"},
                                  ensure_ascii=False) + "\n")


SINKS = {
    Content.ROWS: JsonSink, Content.MEASURES: MeasureJsonSink, Content.TOP: TopJson, Content.MATRIX: MatrixJson,
    Content.LIBRARIES: LibrariesJson, Content.EXPLAIN: ExplainJson, Content.DISTILL: DistillJson,
    Content.CATALOGUE: CatalogueJson, Content.LM: "divcli.output.lm_output:LmJson",
    Content.FORMATS: "divcli.output.listing:FormatsJson", Content.DRIFT: "divcli.output.drift_output:DriftJson",
    Content.MI: "divcli.output.mi_output:MiJson",
    Content.FORMATS: "divcli.output.listing:FormatsJson",
}
