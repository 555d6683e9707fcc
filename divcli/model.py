"""The shared records and enums, without numpy (the command line reads them before numpy is imported):
the reduction, kl/ce/entropy's command, the logarithm base and where an operand came from."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .kinds import Kind


class Reduction(str, enum.Enum):
    """How the element or row values become the single reported value (torch's meanings).

    A ``str`` as well, equal to its value (``Reduction.MEAN == "mean"``, the same hash), so records
    and documents hold it as the word the user wrote."""

    NONE = "none"
    SUM = "sum"
    MEAN = "mean"
    BATCHMEAN = "batchmean"
    ROW = "row"  # one value per row: kl's Σ over the classes, the per-row values of the others

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value

    @property
    def per_row(self) -> bool:
        """``none`` and ``row`` report values per row (or element), not one number."""
        return self in (Reduction.NONE, Reduction.ROW)

    @classmethod
    def default_for(cls, command: str) -> "Reduction":
        """The reduction of ``command`` when none is given: kl's batchmean (torch's advice), else mean."""
        return cls.BATCHMEAN if command == "kl" else cls.MEAN

    @classmethod
    def choices_for(cls, command: str) -> tuple[str, ...]:
        """The reductions ``command`` takes: batchmean is kl's only."""
        return tuple(r.value for r in cls if r is not cls.BATCHMEAN or command == "kl")


class Command(enum.Enum):
    KL = "kl"
    CE = "ce"
    ENTROPY = "entropy"

    @property
    def quantity(self) -> str:
        return {"kl": "D(P‖Q)", "ce": "H(P,Q)", "entropy": "H(P)"}[self.value]

    @property
    def title(self) -> str:
        return {"kl": "KL divergence", "ce": "cross-entropy", "entropy": "entropy"}[self.value]

    def __str__(self) -> str:
        return self.value

    @property
    def default_reduction(self) -> Reduction:
        return Reduction.default_for(self.value)


UNITS = {math.e: "nats", 2.0: "bits", 10.0: "bans"}


@dataclass(frozen=True)
class LogBase:
    """A logarithm base as the user wrote it (``e``, ``2``, ``10``, ``3.5``) and its value."""

    text: str
    value: float

    @property
    def unit(self) -> str:
        return UNITS.get(self.value, f"log-base-{self.text} units")


NATURAL = LogBase("e", math.e)


@dataclass(frozen=True)
class Side:
    """Where an operand came from and how it was read."""

    source: str
    kind: Kind
    role: str
    inferred: bool = False  # ce's P read as labels without --p-as labels

    @property
    def label(self) -> str:
        return "P (reference)" if self.role == "P" else "Q (model)"

    @property
    def read_as(self) -> str:
        return "labels (class indices, one per row)" if self.inferred else self.kind.value
