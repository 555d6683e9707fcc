"""The records of js and compare: what a run shares (:class:`MeasureContext`, matrix's too), a
block's :class:`MeasureReport` (each measure's per-row values) and the run's :class:`MeasureSummary`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..vocabulary import Reduction
from .catalogue import Measure, in_base, unit_of

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class MeasureContext:
    """What every block of a ``js``, ``compare`` or ``matrix`` run shares."""

    command: str
    measures: list[Measure]
    primary: str | None  # the key -q reports (None: every measure)
    reduction: Reduction  # none, sum, mean or row
    base: object  # model.LogBase
    classes: list[str]
    sources: list[str]  # the operands' names, P first
    kinds: list[str]
    temperature: float = 1.0
    broadcast: str | None = None  # the role of the operand of one row compared with every row
    weights: np.ndarray | None = None  # js: the mixture weights π of an n-way divergence

    @property
    def scale(self) -> float:
        from ..numerics.plain import log_base

        return log_base(self.base.value)

    def with_sources(self, sources: list[str], broadcast: str | None) -> "MeasureContext":
        """The same run with its operands named ``sources`` and ``broadcast`` (the Dask engine's)."""
        return replace(self, sources=list(sources), broadcast=broadcast)

    def unit(self, measure: Measure) -> str:
        return unit_of(measure, self.base)

    def formula(self, measure: Measure) -> str:
        """``measure``'s formula in this run's base (:func:`in_base`): ``2^H(P)``, ``Σ p·log₂(p/q)``."""
        return in_base(measure.formula, self.base)

    def value_range(self, measure: Measure) -> str:
        """``measure``'s range in this run's base: ``[0, log₂ 2]``."""
        return in_base(measure.range, self.base)


@dataclass(frozen=True)
class MeasureReport:
    """One block of rows: each measure's per-row values."""

    context: MeasureContext
    values: dict[str, np.ndarray]
    first_row: int = 0
    row_names: list[str] | None = None
    warnings: list[str] = field(default_factory=list)
    #: per operand (P, Q, R, …), the largest |Σ − 1| of its rows divided by their sums
    deviations: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(next(iter(self.values.values())))


@dataclass(frozen=True)
class MeasureSummary:
    """The whole run: rows and, per reduction, each measure's reduced value."""

    context: MeasureContext
    rows: int
    reductions: dict[str, dict[str, float]]
    warnings: list[str]
    #: per operand (P, Q, R, …), the largest |Σ − 1| of the rows divided by their sums, over the whole run
    deviations: dict[str, float] = field(default_factory=dict)

    @property
    def roles(self) -> str:
        """The operands' roles: P, Q, then R, S, … (js of several)."""
        from ..vocabulary import ROLES

        return ROLES[:len(self.context.sources)]

    @property
    def value(self) -> dict[str, float] | None:
        return None if self.context.reduction.per_row else self.reductions[self.context.reduction]
