"""``divcli lm --measures``: other measures of the catalogue (:mod:`divcli.measures.catalogue`: JS
divergence, total variation, Hellinger, …, compare's) per position, and their mean ± standard error.

Per block, the measures are computed as ``compare`` computes them, on one
:class:`~divcli.measures.kernels.Pair` of the block's rows, so that what several measures share (the
accurate rows and log-ratios, the swapped pair, numba's fused pass) is computed once, and each
position's value is the one ``compare`` gives for that pair of rows. The run keeps per measure the
count, sum and sum of squared deviations of its values (:class:`Moments`, merged exactly as blocks
and shards come in: Chan's formula), not the values: the mean and its standard error take no memory
per position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..measures.catalogue import Measure, catalogue, known, named
from ..measures.kernels import evaluate
from ..measures.pair import Fused, Pair
from ..numerics.accurate import broadcast
from ..numerics.distributions import Distribution


class NotAMeasure(ValueError):
    """A name of ``--measures`` that is no measure lm computes (the message says why)."""


def chosen(text: str) -> list[Measure]:
    """The measures of ``--measures``: keys or aliases of the catalogue, comma-separated (each once,
    in the order given), or ``all``: compare's (without the 1-Wasserstein distance: token ids are no
    ordered classes)."""
    measures: list[Measure] = []
    for name in (part.strip() for part in text.split(",")):
        if name == "all":
            found = catalogue()
        elif not known(name) and _ordered_family(name) is None:
            raise NotAMeasure(f"{name!r} is not a measure: give keys or aliases of `divcli measures` (js, tv, "
                              "hellinger, renyi_2, …), or all")
        else:
            found = [named(name) if known(name) else _ordered_family(name)]
        for measure in found:
            if measure.ordered:
                raise NotAMeasure(f"{measure.key} needs ordered classes, and token ids are not ordered")
            if measure.key not in [kept.key for kept in measures]:
                measures.append(measure)
    return measures


def _ordered_family(name: str) -> Measure | None:
    """The measure needing ordered classes that ``name`` calls by its family's name (``wasserstein``
    for ``wasserstein_1``): lm refuses it for that reason, not as an unknown name."""
    return next((measure for measure in catalogue(ordered=True)
                 if measure.ordered and measure.key.rpartition("_")[0] == name), None)


def measure_values(measures: list[Measure], p: Distribution, q: Distribution) -> dict[str, np.ndarray]:
    """Each measure's value at every position of the block, in nats for the log measures."""
    rows = max(p.rows, q.rows)
    shape = (rows, p.classes)
    pair = Pair(plain=lambda: tuple(np.broadcast_to(values, shape) for values in (p.p, p.log_p, q.p, q.log_p)),
                accurate_rows=lambda: (broadcast(p.exact_rows(), rows), broadcast(q.exact_rows(), rows)),
                fused=Fused.of(p, q, rows))
    return evaluate(measures, pair, 1.0)


@dataclass
class Moments:
    """The count, sum and sum of squared deviations from the mean of a measure's values so far."""

    count: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, values: np.ndarray) -> None:
        """A block's values."""
        if values.size:
            with np.errstate(invalid="ignore", over="ignore"):
                total = float(np.sum(values))
                deviations = values - total / values.size
                self.merge(Moments(int(values.size), total, float(np.dot(deviations, deviations))))

    def merge(self, other: "Moments") -> None:
        """Add the moments of other values (Chan, Golub and LeVeque's pairwise update)."""
        if not other.count:
            return
        if self.count:
            with np.errstate(invalid="ignore", over="ignore"):
                gap = np.float64(other.total) / other.count - np.float64(self.total) / self.count
                weight = self.count * other.count / (self.count + other.count)
                self.squares += other.squares + float(gap * gap) * weight
        else:
            self.squares = other.squares
        self.count += other.count
        self.total += other.total

    def statistics(self, key: str) -> dict[str, float | None]:
        """``KEY_mean`` and ``KEY_se`` (the standard error: std(ddof=1) ÷ √n; None for one position)."""
        mean = self.total / self.count
        error = math.sqrt(self.squares / (self.count - 1) / self.count) if self.count > 1 else None
        if error is not None and not math.isfinite(mean):
            error = math.nan  # numpy's std of values holding ±inf
        return {f"{key}_mean": mean, f"{key}_se": error}
