"""Wide rows in the tables for people: which classes of a row of many classes are listed (the
largest terms), and the one line that sums up the rest, so explain's working and kl's or ce's
per-class breakdown stay readable at 32,000 classes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .texts import fmt

#: A row of more classes than this lists the classes with the largest |term| only (then one line
#: for the rest); explain's --all-classes lists every one.
TOP_CLASSES = 20


@dataclass(frozen=True)
class Listed:
    """The classes of one row a table lists, largest |term| first, and what the others add up to."""

    indices: list[int]
    hidden: int = 0
    negative: float = 0.0  # the sum of the negative terms of the classes left out
    positive: float = 0.0  # … and of the positive ones

    def rest_line(self, unit: str) -> str:
        """``… 31,980 more classes (-0.001234 / +0.005678, total 0.004444 nats)``: the negative and the
        positive terms of the classes left out, and their sum; '' when none is left out."""
        if not self.hidden:
            return ""
        classes = "class" if self.hidden == 1 else "classes"
        if self.negative == 0 and self.positive == 0:
            return f"… {self.hidden:,} more {classes} (every term 0)"
        total = self.negative + self.positive
        return (f"… {self.hidden:,} more {classes} ({fmt(self.negative)} / +{fmt(self.positive)}, "
                f"total {fmt(total)} {unit})")


def largest_terms(terms, limit: int | None = TOP_CLASSES) -> Listed:
    """The classes whose term has the largest absolute value, at most ``limit`` of them and none
    whose term is 0 (a class with p = 0 adds nothing), largest first (ties in class order; +inf
    first, nan last); ``limit`` None: every class, in the same order."""
    terms = np.asarray(terms, dtype=np.float64)
    size = np.abs(terms)
    order = np.argsort(-size, kind="stable")  # nan sorts last
    if limit is None:
        return Listed(order.tolist())
    listed = order[size[order] != 0][:limit]
    rest = np.ones(terms.size, dtype=bool)
    rest[listed] = False
    others = terms[rest]
    return Listed(listed.tolist(), int(others.size), float(others[others < 0].sum()),
                  float(others[others > 0].sum()))


def share(term: float, total: float) -> str:
    """A term's share of the row's total, as a percentage ("—" when the total is 0 or not finite)."""
    if not math.isfinite(total) or total == 0 or not math.isfinite(term):
        return "—"
    return f"{100 * term / total:.1f}%"
