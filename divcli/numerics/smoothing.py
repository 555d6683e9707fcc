"""Smoothing of counts and probabilities: zeros made explicit, and finite.

A class with probability 0 on one side and not on the other makes KL, PSI and χ² infinite. Two
ways to smooth, the same for ``kl``, ``js``, ``compare`` and ``divcli drift``:

``pseudocount`` A (additive, or Laplace, smoothing)
    A is added to every class's count, and the row is divided by its new sum:
    ``(c + A) / Σ(c + A)``. On probabilities (rows that sum to 1) A is added to each probability.
``epsilon`` E (a floor)
    the row's shares ``s = c / Σc`` are floored at E and divided by their new sum:
    ``max(s, E) / Σ max(s, E)`` (a floored class ends a little below E).

Either makes every share positive, so every divergence finite; neither changes a row that has no
zero by much when A or E is small next to its counts or shares. Rows are the last axis.

A floor E ≥ 1/K over K classes is no smoothing: it is at least the share of a uniform row, so the
floor outweighs the data (E = 1/K floors every share of a uniform row; E near 1 floors every share of
any row, and every divergence reads 0). E < 1 is checked where the option is read; E·K ≥ 1 gets a
warning (:func:`floor_warning`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import DataError, option
from ..readers.operand import Operand
from ..vocabulary import Conversion, Kind
from .distributions import Distribution, to_distribution


def smooth(counts_or_shares, pseudocount: float | None = None, epsilon: float | None = None) -> np.ndarray:
    """The shares of every row (a 1-D vector is one row) after smoothing, summing to 1.

    ``pseudocount`` A: ``(c + A) / Σ(c + A)``; ``epsilon`` E: ``max(s, E) / Σ max(s, E)`` with
    ``s = c / Σc``; neither: ``c / Σc``. At most one of them; the values are counts or shares
    (finite, ≥ 0, a positive sum: checked by the caller)."""
    weights = smoothed_weights(counts_or_shares, pseudocount, epsilon)
    return weights / weights.sum(axis=-1, keepdims=True)


def smoothed_weights(counts_or_shares, pseudocount: float | None = None,
                     epsilon: float | None = None) -> np.ndarray:
    """What :func:`smooth` divides by its sum: ``c + A``, or ``max(c / Σc, E)`` (not yet summing to 1)."""
    if pseudocount is not None and epsilon is not None:
        raise ValueError("smooth with a pseudocount or an epsilon, not both")
    values = np.asarray(counts_or_shares, dtype=np.float64)
    if pseudocount is not None:
        return values + pseudocount
    shares = values / values.sum(axis=-1, keepdims=True)
    return shares if epsilon is None else np.maximum(shares, epsilon)


def floor_warning(epsilon: float | None, classes: int, what: str = "classes") -> str | None:
    """The warning of a floor E that outweighs the data, E·K ≥ 1 over K ``what`` (None below)."""
    if epsilon is None or epsilon * classes < 1:
        return None
    return (f"{option('epsilon', epsilon)} is at least 1/{classes}, an even share of the {classes} {what}: the "
            "floor, not the data, sets the shares (near 1 it floors every share, and every divergence reads 0); "
            f"give a floor well below 1/{classes}, such as {option('epsilon', 0.0001)}")


def warn_floor(conversion: Conversion, firsts: list[Operand | None]) -> None:
    """With ``--epsilon``: :func:`floor_warning` of the classes of the first block, as its warning."""
    first = next((operand for operand in firsts if operand is not None), None)
    if first is None or conversion.epsilon is None:
        return
    warning = floor_warning(conversion.epsilon, int(first.values.shape[-1]))
    if warning is not None:
        first.warnings.append(warning)


def smoothing_notes(conversion: Conversion) -> tuple[str, ...]:
    """The header's line for the smoothing of ``conversion`` (none without)."""
    if conversion.pseudocount is not None:
        return (f"smoothed: pseudocount {conversion.pseudocount:g} added to every class's count (or probability), "
                "then each row divided by its sum",)
    if conversion.epsilon is not None:
        return (f"smoothed: every share floored at epsilon {conversion.epsilon:g}, then each row divided by its sum",)
    return ()


def check_kinds(conversion: Conversion, kinds: list[Kind]) -> None:
    """Smoothing is for counts and probabilities: refused (with why) for an operand of another kind."""
    if conversion.pseudocount is None and conversion.epsilon is None:
        return
    if conversion.epsilon is not None and not 0 < conversion.epsilon < 1:
        raise DataError("", f"{option('epsilon', conversion.epsilon)} is no floor of a share",
                        f"give a floor above 0 and well below 1/classes, such as {option('epsilon', 0.0001)}")
    which = "pseudocount" if conversion.pseudocount is not None else "epsilon"
    for index, kind in enumerate(kinds):
        if kind is Kind.PROBS:
            continue
        role = "pq"[min(index, 1)]
        why = {Kind.LOGITS: "logits are scores: their softmax gives no class probability 0, so there is no zero "
                            "to smooth",
               Kind.LOG_PROBS: "log-probabilities are not counts: pass the probabilities themselves "
                               f"({option(f'{role}_as', 'probs')}) to smooth them",
               Kind.LABELS: f"labels are one class each: ce's {option('label_smoothing')} smooths them",
               Kind.COUNTS: "counts are kept as counted (their sample sizes and estimators read them): pass "
                            f"{option(f'{role}_as', 'probs')} with {option('normalize', True)} to smooth counts"}[kind]
        raise DataError("", f"{option(which)} smooths counts and probabilities, and "
                            f"{option(f'{role}_as', kind.value)} reads {'PQ'[min(index, 1)]} as {kind.value}", why)


def smoothed(operand: Operand, kind: Kind, role: str, conversion: Conversion, classes: int | None = None,
             deferred: bool = False) -> Distribution:
    """:func:`~divcli.numerics.distributions.to_distribution` of ``operand`` with the smoothing of ``conversion``: the rows are checked as given first (finite, ≥ 0, summing to 1
    within the tolerance, or counts with ``normalize``), then smoothed (counts with ``normalize``,
    else the rows as checked), and the smoothed rows are what every kernel reads."""
    if kind is not Kind.PROBS or (conversion.pseudocount is None and conversion.epsilon is None):
        return to_distribution(operand, kind, role, conversion, classes, deferred=deferred)
    checked = to_distribution(operand, kind, role, replace(conversion, pseudocount=None, epsilon=None), classes,
                              deferred=True)
    given = operand.values if conversion.normalize else checked.p
    weights = smoothed_weights(given, conversion.pseudocount, conversion.epsilon)
    smooth_operand = replace(operand, stored=np.ascontiguousarray(weights), cells=None, source=None)
    distribution = to_distribution(smooth_operand, kind, role, replace(conversion, normalize=True), classes,
                                   deferred=deferred)
    return replace(distribution, deviation=checked.deviation)
