"""The collector: a sink that keeps every block's record and the summary."""

from __future__ import annotations

from typing import Any

import numpy as np


class Collect:
    """A sink that keeps every block's record and the summary: what ``--reduction none`` reports, for
    the Python API and the tests (any computation's records: ``values`` per block, the summary's ``value``)."""

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.reports: list[Any] = []
        self.summary: Any = None

    def rows(self, report) -> None:
        self.parts.append(report.values)
        self.reports.append(report)

    def finish(self, summary: Any) -> None:
        self.summary = summary

    @property
    def value(self):
        """The reduced value, or the per-row (kl: per-element) values for ``none``."""
        if self.summary.value is not None:
            return self.summary.value
        return np.concatenate(self.parts)
