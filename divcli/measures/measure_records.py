"""The records of js and compare (the ``measures`` family of :mod:`divcli.fields`): what a run shares
(:class:`MeasureContext`, matrix's too), a block's :class:`MeasureReport` (each measure's per-row
values) and the run's :class:`MeasureSummary`. The sinks take them through what they give (their
columns, what ``--top`` ranks, their head), as they take kl's records."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from ..fields import Column, FromContext, Holds, lead_columns, optional_column
from ..vocabulary import ROLES, Intervals, LogBase, Reduction
from .catalogue import Measure, in_base, unit_of

#: compare ranks its rows (``--top``) by this measure.
COMPARE_RANKED_BY = "kl_pq"


@dataclass(frozen=True)
class MeasureContext:
    """What every block of a ``js``, ``compare`` or ``matrix`` run shares."""

    command: str
    measures: list[Measure]
    primary: str | None  # the key -q reports (None: every measure)
    reduction: Reduction  # none, sum, mean or row
    base: LogBase
    classes: list[str]
    sources: list[str]  # the operands' names, P first
    kinds: list[str]
    temperature: float = 1.0
    broadcast: str | None = None  # the role of the operand of one row compared with every row
    weights: np.ndarray | None = None  # js: the mixture weights π of an n-way divergence
    #: lines for the header (JSON's ``notes``): histograms, classes matched by name, smoothing
    notes: tuple[str, ...] = ()
    intervals: Intervals | None = None  # counts: the bootstrap intervals of every measure per row

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

    def describe(self) -> dict:
        """Each measure's name, formula, range, convention and unit (JSON's ``measures``)."""
        described = {measure.key: {"name": measure.name, "formula": self.formula(measure),
                                   "range": self.value_range(measure),
                                   "convention": measure.convention, "unit": self.unit(measure)}
                     for measure in self.measures}
        if self.weights is not None:  # the n-way form
            described["js_divergence"].update(formula="H(Σ πᵢPᵢ) − Σ πᵢH(Pᵢ)", range="[0, H(π)]")
            described["js_distance"].update(formula="√JS", range="[0, √H(π)]")
        return described

    def head(self) -> dict:
        """What a document of this run says before its rows (``-f json``, and ``--top``'s)."""
        head = {
            "command": self.command,
            "direction": "P is the reference (target), Q the model",
            "unit": self.base.unit,
            "base": self.base.text,
            "reduction": self.reduction,
            "n_classes": len(self.classes),
            "classes": self.classes,
            "operands": [{"role": ROLES[index], "source": source, "kind": kind}
                         for index, (source, kind) in enumerate(zip(self.sources, self.kinds))],
            "temperature": self.temperature,
        }
        if self.weights is not None:
            head["weights"] = [float(w) for w in self.weights]
        if self.intervals is not None:
            head["intervals"] = self.intervals.document()
        head["measures"] = self.describe()
        return head


@dataclass(frozen=True)
class MeasureReport:
    """One block of rows: each measure's per-row values. What the sinks take of it is
    :class:`divcli.fields.Rows`."""

    family: ClassVar[str] = "measures"

    context: MeasureContext
    values: dict[str, np.ndarray]
    first_row: int = 0
    row_names: list[str] | None = None
    warnings: list[str] = field(default_factory=list)
    #: per operand (P, Q, R, …), the largest |Σ − 1| of its rows divided by their sums
    deviations: dict[str, float] = field(default_factory=dict)
    #: per operand read as counts, its rows and sample sizes (:func:`divcli.numerics.counts.sample_sizes`)
    sizes: dict[str, tuple] = field(default_factory=dict)
    #: with --bootstrap: per measure, each row's interval (low, high)
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def rows(self) -> int:
        return len(next(iter(self.values.values())))

    def columns(self) -> list[Column]:
        """The per-row fields: ``row``, ``name`` (named rows), then one per measure, by its key (with
        --bootstrap each followed by ``<key>_low`` and ``<key>_high``)."""
        columns = lead_columns(self.first_row, self.rows, self.row_names)
        for key, values in self.values.items():
            columns.append(Column(key, Holds.NUMBER, values))
            if self.intervals is not None:
                columns += [optional_column(f"{key}_{end}", bound, None)
                            for end, bound in zip(("low", "high"), self.intervals[key])]
        return columns

    def measured(self) -> dict[str, np.ndarray]:
        """The values bootstrap intervals are given, per row: every measure's, by its key."""
        return self.values

    def with_intervals(self, intervals: dict[str, tuple[np.ndarray, np.ndarray]]) -> "MeasureReport":
        return replace(self, intervals=intervals)

    def ranked_by(self) -> tuple[str, str]:
        """The measure reported (js), or :data:`COMPARE_RANKED_BY` (compare), and its name."""
        key = self.context.primary or COMPARE_RANKED_BY
        return key, next(measure.name for measure in self.context.measures if measure.key == key)

    def ranked_values(self) -> np.ndarray:
        return np.asarray(self.values[self.ranked_by()[0]], dtype=np.float64)

    def head(self) -> dict:
        return self.context.head()

    def kept(self) -> "MeasureReport":
        """As a Dask task sends it back: all of it (one number per row and measure)."""
        return self

    def renumbered(self, offset: int) -> "MeasureReport":
        return replace(self, first_row=self.first_row + offset)

    def sliced(self, start: int, stop: int) -> "MeasureReport":
        """Rows ``start:stop`` of the block (each measure's values cut), without its warnings."""
        intervals = None if self.intervals is None else \
            {key: (low[start:stop], high[start:stop]) for key, (low, high) in self.intervals.items()}
        return replace(self, values={key: values[start:stop] for key, values in self.values.items()},
                       intervals=intervals,
                       row_names=None if self.row_names is None else self.row_names[start:stop],
                       first_row=self.first_row + start, warnings=[])


@dataclass(frozen=True)
class MeasureSummary(FromContext):
    """The whole run: rows and, per reduction, each measure's reduced value. What the sinks take
    of it is :class:`divcli.fields.RunSummary`."""

    family: ClassVar[str] = "measures"

    context: MeasureContext
    rows: int
    reductions: dict[str, dict[str, float]]
    warnings: list[str]
    #: per operand (P, Q, R, …), the largest |Σ − 1| of the rows divided by their sums, over the whole run
    deviations: dict[str, float] = field(default_factory=dict)
    #: per operand read as counts, its rows and sample sizes over the whole run
    sizes: dict[str, tuple] = field(default_factory=dict)

    @property
    def roles(self) -> str:
        """The operands' roles: P, Q, then R, S, … (js of several)."""
        return ROLES[:len(self.context.sources)]

    @property
    def value(self) -> dict[str, float] | None:
        """Each measure's reported value; None when the values are per row."""
        return None if self.context.reduction.per_row else self.reductions[self.context.reduction]
