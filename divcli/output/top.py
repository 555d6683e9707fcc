"""``--top N``: the N rows with the largest per-row values, found while the blocks stream by.

A min-heap of at most N entries is all that is kept (bounded memory whatever the input): each
block's candidates (its values at least as large as its N-th largest) are offered to the heap. Rows
are ranked by value, largest first; equal values keep the input's order (the earlier row first).
Rows without a value (ce's ignored rows, nan) are never ranked; +inf ranks above every number.

What is ranked is what each block says it ranks (``ranked_by``, ``ranked_values``:
:mod:`divcli.fields`): kl the per-row D(P‖Q), ce the per-row loss H(P,Q) (weighted with --weight),
entropy H(P), js the reported measure (JS divergence, or the distance with --distance), compare
D(P‖Q) (``kl_pq``). Every format lists the same rows: ``-q`` one ``row<TAB>value`` line each (the
row's name when rows are named, else its 1-based number), CSV and JSON ``rank`` and the row's usual
record, the table rank, row and value: the writers are the formats' ``TOP`` sinks (divcli.output).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from .records import records


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


@dataclass
class Ranked:
    """What a ``--top`` writer is given: the count asked for, the key ranked by and its title, the
    command's JSON head, the ranked rows (value, record), largest first, and the run's summary."""

    count: int
    key: str
    title: str
    head: dict | None
    rows: list[tuple[float, dict]]
    summary: object


class TopSink:
    """A sink (``rows`` per block, ``finish`` at the end) that ranks the rows and, once every block
    is in, has ``writer`` (the chosen format's ``TOP`` sink) write the top N."""

    takes = frozenset({"rows", "measures"})

    def __init__(self, count: int, writer):
        self.top = TopRows(count)
        self.writer = writer
        self.head: dict | None = None
        self.key = self.title = ""

    @property
    def console(self):
        return self.writer.console

    def rows(self, report) -> None:
        if self.head is None:
            self.key, self.title = report.ranked_by()
            self.head = report.head()
        self.top.offer(report.ranked_values(), report.first_row, lambda rows: records(report, rows))

    def finish(self, summary) -> None:
        self.writer.write(Ranked(self.top.count, self.key, self.title, self.head, self.top.ranked(), summary))
