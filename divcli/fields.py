"""What a per-row record gives the sinks that write it, the same for every family of records.

A family is a kind of block and its run's summary: ``rows`` (kl, ce, entropy:
:class:`~divcli.computations.divergence_records.Report` and ``Summary``) and ``measures`` (js,
compare: :class:`~divcli.measures.measure_records.MeasureReport` and ``MeasureSummary``); its name
is the ``family`` of each, and a sink says which families it takes. A block gives its per-row fields
as a list of :class:`Column` (:meth:`Rows.columns`): each field's name, what it holds and its values
for every row. The formats decide how each kind of value is written (``divcli.output.records``).

This module imports no numpy (the catalogue of measures, read at start-up, names it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import numpy as np


class Holds(enum.Enum):
    """What a column's values are, which decides how each format writes them."""

    ROW = "row"            # the 1-based row numbers (a range)
    NAME = "name"          # the rows' names (strings from the data)
    INTEGER = "integer"    # class labels
    FLAG = "flag"          # true / false
    NUMBER = "number"      # float64, always there
    OPTIONAL = "optional"  # float64, missing where ``missing`` is set (nan, an ignored row)
    TERMS = "terms"        # rows × classes float64, one term per class (``classes`` names them)


@dataclass(frozen=True)
class Column:
    name: str
    holds: Holds
    values: Any
    missing: np.ndarray | None = None  # OPTIONAL: where there is no value; None when it is everywhere
    classes: list[str] | None = None  # TERMS: the classes, one per column of ``values``


def lead_columns(first_row: int, rows: int, row_names) -> list[Column]:
    """The fields every per-row record starts with: ``row`` (1-based), and ``name`` when rows have names."""
    columns = [Column("row", Holds.ROW, range(first_row + 1, first_row + 1 + rows))]
    if row_names:
        columns.append(Column("name", Holds.NAME, row_names))
    return columns


def optional_column(name: str, values: np.ndarray, inactive: np.ndarray | None) -> Column:
    """A column of numbers missing where they are nan and where ``inactive`` is set."""
    import numpy as np

    missing = np.isnan(values)
    if inactive is not None:
        missing |= inactive
    return Column(name, Holds.OPTIONAL, values, missing if missing.any() else None)


class Rows(Protocol):
    """One block of rows of any family, as the sinks and the Dask engine take it."""

    family: ClassVar[str]  # "rows" or "measures"
    context: Any  # what every block of the run shares
    first_row: int  # 0-based, in the whole input
    row_names: list[str] | None
    warnings: list[str]
    deviations: dict[str, float]

    @property
    def rows(self) -> int: ...

    def columns(self) -> list[Column]:
        """The per-row fields, in the order every format writes them."""

    def ranked_by(self) -> tuple[str, str]:
        """What ``--top`` ranks: the field's name and its title for people."""

    def ranked_values(self) -> np.ndarray:
        """The per-row values ``--top`` ranks, nan where a row has none."""

    def head(self) -> dict:
        """What a document of this run says before its rows (JSON's head)."""

    def kept(self) -> "Rows":
        """The block as a Dask task sends it back: without the arrays nothing downstream reads."""

    def renumbered(self, offset: int) -> "Rows":
        """A kept block as the sinks take it, its rows numbered ``offset`` rows further on."""

    def sliced(self, start: int, stop: int) -> "Rows":
        """Rows ``start:stop`` of the block, without its warnings (they were shown)."""


class RunSummary(Protocol):
    """The whole run of any family, as the sinks take it after the last block."""

    family: ClassVar[str]
    context: Any
    rows: int
    reductions: dict  # each reduction's value (rows), or each measure's (measures)
    warnings: list[str]
    deviations: dict[str, float]

    @property
    def value(self) -> Any:
        """The reported value (measures: per measure), None when the values are per row."""

    @property
    def reduction(self) -> Any:
        """The reduction asked for (a :class:`divcli.vocabulary.Reduction`)."""

    @property
    def base(self) -> Any:
        """The logarithm's base (a :class:`divcli.vocabulary.LogBase`)."""

    @property
    def unit(self) -> str:
        """The base's unit: ``nats``, ``bits``."""

    @property
    def roles(self) -> str:
        """The operands' roles: ``PQ``, ``P``, ``PQR``."""


class FromContext:
    """What every summary takes from its run's context (``self.context``): the reduction, the
    logarithm's base and its unit (:class:`RunSummary`)."""

    @property
    def reduction(self) -> Any:
        return self.context.reduction

    @property
    def base(self) -> Any:
        return self.context.base

    @property
    def unit(self) -> str:
        return self.context.base.unit
