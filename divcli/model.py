"""The shared enums, without numpy (the command line reads them before numpy is imported)."""

from __future__ import annotations

import enum


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
