"""How far the operands' rows were from summing to 1 before divcli divided them by their sums: per
operand, the largest |Σ − 1| ÷ Σ of its rows, gathered over blocks, threads and Dask shards so that
the output can say that rows were renormalised, and by how much."""

from __future__ import annotations

from ..vocabulary import ROLES


class Deviations(dict):
    """Per operand (``P``, ``Q``, ``R``, …), the largest |Σ − 1| of its rows divided by their sums
    (:attr:`divcli.numerics.distributions.Distribution.deviation`), only the operands that had such
    a row. Two of them add up to the largest of each operand's: the totals of blocks, threads and
    Dask shards add them as they add their sums."""

    def __add__(self, other: dict) -> "Deviations":
        both = Deviations(self)
        for role, deviation in other.items():
            both[role] = max(both.get(role, 0.0), deviation)
        return both


def deviations(distributions: list) -> Deviations:
    """:class:`Deviations` of the operands ``distributions`` (P, Q, R, … in the order given: each a
    :class:`~divcli.numerics.distributions.Distribution`)."""
    return Deviations({ROLES[index]: d.deviation for index, d in enumerate(distributions) if d.deviation})
