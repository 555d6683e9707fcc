"""``-q``: the reduced value alone (or one line per row), for a shell variable or a pipe."""

from __future__ import annotations

from .records import value_texts
from .registry import Content, Sink
from .texts import number, number_texts


class QuietSink(Sink):
    """kl, ce, entropy: the reduced value, or for ``none`` and ``row`` one line per row as the rows come."""

    takes = frozenset({"rows"})

    def rows(self, report) -> None:
        if report.reduction.per_row:
            self.out.write("\n".join(value_texts(report.values, False)) + "\n")

    def finish(self, summary) -> None:
        if summary.value is not None:
            self.out.write(number(summary.value) + "\n")

    def rows_beside_parts(self, total: int, command: str) -> list[tuple[int, int]]:
        return []  # the reduced value only: the rows are in the parts


class MeasureQuietSink(Sink):
    """js and compare: the reported measure's value (``js``), or ``key<TAB>value`` per measure
    (``compare``); with ``--reduction none``, one line per row (``compare``: tab-separated, after a header)."""

    takes = frozenset({"measures"})

    def __init__(self, out, console=None):
        super().__init__(out, console)
        self.header = False

    def rows(self, report) -> None:
        context = report.context
        if not context.reduction.per_row:
            return
        keys = [context.primary] if context.primary else list(report.values)
        if not context.primary and not self.header:
            self.out.write("\t".join(keys) + "\n")
            self.header = True
        columns = [number_texts(report.values[key]) for key in keys]
        self.out.write("\n".join("\t".join(cells) for cells in zip(*columns)) + "\n")

    def finish(self, summary) -> None:
        value = summary.value
        if value is None:
            return
        primary = summary.context.primary
        if primary:
            self.out.write(number(value[primary]) + "\n")
        else:
            self.out.write("".join(f"{key}\t{number(x)}\n" for key, x in value.items()))

    def rows_beside_parts(self, total: int, command: str) -> list[tuple[int, int]]:
        return []  # the reduced values only: the rows are in the parts


def ranked_label(record: dict) -> str:
    """A ranked row: its name when rows are named, else its 1-based number."""
    return str(record.get("name", record["row"]))


class TopQuiet(Sink):
    """``--top N -q``: one ``row<TAB>value`` line per ranked row."""

    def write(self, ranked) -> None:
        self.out.write("".join(f"{ranked_label(record)}\t{number(value)}\n" for value, record in ranked.rows))


class MatrixQuiet(Sink):
    """matrix: the entries, a line per row."""

    def write(self, matrix, labels, measure, base, source, kind, deviation: float = 0.0) -> None:
        self.out.write("".join(",".join(map(number, row)) + "\n" for row in matrix.tolist()))


class LibrariesQuiet(Sink):
    def write(self, answers, exact, unit, note, sources) -> None:
        self.out.write("".join(f"{answer.call}\t{number(answer.value)}\n" for answer in answers))


class ExplainQuiet(Sink):
    """explain: H(P), H(P,Q), D(P‖Q), tab-separated."""

    def write(self, work: dict) -> None:
        self.out.write("\t".join(number(work[key]["value"]) for key in ("entropy_p", "cross_entropy", "kl_divergence"))
                       + "\n")


class DistillQuiet(Sink):
    """distill: the loss."""

    def write(self, document: dict) -> None:
        self.out.write(number(document["loss"]) + "\n")


SINKS = {
    Content.ROWS: QuietSink, Content.MEASURES: MeasureQuietSink, Content.TOP: TopQuiet, Content.MATRIX: MatrixQuiet,
    Content.LIBRARIES: LibrariesQuiet, Content.EXPLAIN: ExplainQuiet, Content.DISTILL: DistillQuiet,
    Content.LM: "divcli.output.lm_output:LmQuiet", Content.DRIFT: "divcli.output.drift_output:DriftQuiet",
    Content.MI: "divcli.output.mi_output:MiQuiet",
}
