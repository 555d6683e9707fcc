"""The collector: the one sink that keeps what a run computes, for whoever reads it afterwards (the
Python API, distill's passes, a Dask task, the tests) rather than writing it."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


class Collect:
    """A sink that keeps the summary and every block's record (any computation's: kl's ``Report``,
    js's ``MeasureReport``), in order.

    ``keep_rows`` False keeps the summary alone (distill's passes, a Dask task whose rows nothing
    shows); ``trim``, when given, makes each record lighter before it is kept (a Dask task sends its
    records back: it leaves out the N×C arrays nothing downstream reads)."""

    def __init__(self, keep_rows: bool = True, trim: Callable[[Any], Any] | None = None):
        self.keep_rows = keep_rows
        self.trim = trim
        self.reports: list[Any] = []
        self.summary: Any = None

    def rows(self, report) -> None:
        if self.keep_rows:
            self.reports.append(report if self.trim is None else self.trim(report))

    def finish(self, summary: Any) -> None:
        self.summary = summary

    @property
    def value(self):
        """The reduced value, or the per-row (kl: per-element) values for ``none``: an array, or for
        a set of measures (js, compare) a dict of them, measure by measure."""
        if self.summary.value is not None:
            value = self.summary.value
            return dict(value) if isinstance(value, dict) else value
        parts = [report.values for report in self.reports]
        if parts and isinstance(parts[0], dict):
            return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        return np.concatenate(parts)
