"""Distributions → one block's :class:`~divcli.computations.divergence_records.Report`: per-row H(P),
H(P,Q), D(P‖Q) and the element terms; nothing here prints.

Two paths, chosen once for a run, by the number of classes and the run's size
(:func:`divcli.numerics.fast_path.takes`), so that a row gives the same bits whatever the block or the
thread it comes with:

- numba's fused kernel (wide rows or large runs, the ``fast`` extra): every row of the block, accurate, from the
  operands' values in one pass or two; P's and Q's probabilities and logs are computed only if
  something shows them (:class:`~divcli.computations.divergence_records.Sides`).
- numpy's: the plain formulas, then each row whose bound on its error is not within
  :data:`ACCURACY` computed again by the accurate kernels (:mod:`divcli.numerics.accurate`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

import numpy as np

from ..numerics import accurate, estimators, fast_path
from ..numerics.counts import sample_sizes
from ..numerics.deviations import deviations
from ..numerics.distributions import Distribution
from ..vocabulary import Kind, Command
from ..numerics.plain import cross_entropy_terms, empty, entropy_terms, kl_rows, kl_terms, row_sums, smooth_labels
from .divergence_records import Context, Report, Sides


def _infinite_warnings(terms: np.ndarray, quantity: str, sides: Sides, q: Distribution,
                       classes: list[str], row_names: list[str] | None, first_row: int,
                       positions: bool = False) -> list[str]:
    """One warning per +inf term (the first three of a block, then a count): row, class, where q = 0
    (and p there, of ``sides``); ``positions``: lm's words, position and token (an id, unquoted)."""
    where = np.argwhere(np.isposinf(terms))
    warnings = []
    p = sides.made.p_probs if len(where) else None
    row_word, class_word = ("position", "token") if positions else ("row", "class")
    for row, col in where[:3]:
        q_row = row if q.rows > 1 else 0
        name = row_names[row] if row_names else str(first_row + row + 1)
        shown = classes[col] if positions else repr(classes[col])
        warnings.append(
            f"{quantity} is +inf: {row_word} {name}, {class_word} {shown}: p = {float(p[row, col])!r} but q = 0"
            f" ({q.operand.where(q_row, col)})"
        )
    if len(where) > 3:
        warnings.append(f"… and {len(where) - 3} more +inf terms in {row_word}s {first_row + 1}–{first_row + len(terms)}")
    return warnings


#: The position numbers of :func:`_infinite_warnings`' words for lm (``positions``): the position of
#: a +inf term, and the positions of the count that follows the first three.
_POSITION_NUMBERS = (re.compile(r"^(.* is \+inf: position )(\d+)(, token )"),
                     re.compile(r"^(… and \d+ more \+inf terms in positions )(\d+)(–)(\d+)$"))


def renumbered_positions(message: str, offset: int) -> str:
    """``message``, one of lm's warnings of a +inf term (:func:`_infinite_warnings` with
    ``positions``), its positions counted on from ``offset`` (a Dask shard's, numbered within it); any
    other message as it is. The file's own row it names stays as it is."""

    def shifted(found: re.Match) -> str:  # the groups of digits alone are positions
        return "".join(str(int(part) + offset) if part.isdigit() else part for part in found.groups())

    for pattern in _POSITION_NUMBERS:
        if pattern.match(message):
            return pattern.sub(shifted, message, count=1)
    return message


def _check(cross: np.ndarray, entropy: np.ndarray, kl: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(cross), cross - entropy - kl, np.nan)


def _placed(p: Distribution, q: Distribution | None, context: Context) -> dict:
    """first_row and row_names of a block: from the operand that is not broadcast."""
    source = q.operand if q is not None and context.broadcast == "P" else p.operand
    return {"first_row": source.first_row, "row_names": source.row_names}


#: The relative accuracy every per-row value is held to: the plain formulas' bound on their error
#: must be within it, or the row is computed again by the accurate kernels (:mod:`divcli.numerics.accurate`).
ACCURACY = 1e-14


def _unsure(error: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The rows whose plain value may be further than :data:`ACCURACY` from the exact one (and any
    that came out nan or negative, or whose bound is infinite: an infinite H(P,Q) or a nan)."""
    with np.errstate(invalid="ignore"):
        return np.flatnonzero(~(error < ACCURACY * value))


def _input_error(error: np.ndarray, d: Distribution, factor) -> np.ndarray:
    """``error`` plus what ``d``'s input adds to it (its :attr:`~Distribution.input_error` × ``factor()``),
    in place; nothing for inputs taken exactly (labels, logits at T = 1)."""
    if d.input_error is not None:
        error += d.input_error * factor()
    return error


def _exact(exact_p: accurate.Rows, exact_q: accurate.Rows) -> tuple[np.ndarray, ...]:
    """D(P‖Q), H(P) and H(P,Q) per row and log(p/q) per element, from the accurate kernels."""
    x = accurate.log_ratio(exact_p, exact_q)
    return (accurate.kl_rows(exact_p, exact_q, x), accurate.entropy_rows(exact_p),
            accurate.cross_entropy_rows(exact_p, exact_q), x)


def _at(d: Distribution, rows: np.ndarray) -> np.ndarray:
    """Indices into ``d``'s rows for the block's ``rows`` (an operand of one row serves every row)."""
    return np.zeros_like(rows) if d.rows == 1 else rows


def _entropy_sides(p: Distribution) -> Sides:
    return Sides(p_probs=p.p, p_log=p.log_p)


def entropy_report(p: Distribution, context: Context) -> Report:
    """H(P) per row: ``-sum_i p_i log p_i``, as ``scipy.stats.entropy(p, axis=1, base=b)``."""
    if p.kind is not Kind.LABELS and fast_path.takes(p, values=context.values):  # every row by the fused kernel
        every = np.arange(p.rows)
        terms, rows = empty((p.rows, p.classes)), np.empty(p.rows)
        fast_path.entropy_rows(p, every, every, rows, terms)
        sides = Sides(later=partial(_entropy_sides, p))
    else:
        terms = entropy_terms(p.p, p.log_p)
        rows = row_sums(terms)
        if p.kind is not Kind.LABELS:  # one-hot rows: exact already
            unsure = _unsure(_input_error(accurate.plain_error(rows, classes=terms.shape[1]), p, lambda: 1 + rows),
                             rows)
            if unsure.size:
                exact = p.exact_rows(unsure)
                rows[unsure] = accurate.entropy_rows(exact)
                terms[unsure] = accurate.entropy_terms(exact)
        sides = _entropy_sides(p)
    if context.scale != 1.0:
        terms, rows = terms / context.scale, rows / context.scale
    return Report(
        context=context, sides=sides, terms=terms, entropy_p=rows, total=float(np.sum(rows)),
        divisor=float(rows.shape[0]), labels=p.labels, deviations=deviations([p]), sizes=sample_sizes([p]), **_placed(p, None, context),
    )


def estimated(report: Report, p: Distribution) -> Report:
    """The block's H(P) by the run's estimator (:mod:`divcli.numerics.estimators`) from P's counts
    (the operand's values), in the run's unit, with the plug-in kept beside it."""
    rows = estimators.estimate(report.context.estimator, p.operand.values) / report.context.scale
    return replace(report, entropy_p=rows, entropy_plugin=report.entropy_p, total=float(np.sum(rows)))


def _broadcast(p: Distribution, q: Distribution):
    """P's probabilities and logs, Q's given probabilities (None for logits and log-probabilities: they
    are computed only where shown) and logs, with as many rows as the longer of the two."""
    rows = max(p.rows, q.rows)
    shape = (rows, p.log_p.shape[1])
    return (np.broadcast_to(p.p, shape), np.broadcast_to(p.log_p, shape),
            None if q.given_p is None else np.broadcast_to(q.given_p, shape), np.broadcast_to(q.log_p, shape))


def _broadcast_labels(p: Distribution, rows: int) -> np.ndarray | None:
    return None if p.labels is None else np.broadcast_to(p.labels, (rows,))


def _kl_sides(p: Distribution, q: Distribution) -> Sides:
    pp, log_pp, qq, log_qq = _broadcast(p, q)
    return Sides(pp, qq, log_pp, log_qq)


def _fused_divergence(p: Distribution, q: Distribution, active: np.ndarray | None = None,
                      cross_terms: bool = False, weight: np.ndarray | None = None) -> tuple:
    """(terms, D(P‖Q), H(P), H(P,Q), ce's per-row loss or None) of every row of the block (but those
    not ``active``: 0), by the fused kernel; the terms p·log(p/q), or with ``cross_terms`` −w·p·log q.
    For labels the loss is the one term of each row (the sum of the rest, all 0, is not taken)."""
    rows = max(p.rows, q.rows)
    every = np.arange(rows) if active is None else np.flatnonzero(active)
    kl, entropy, cross = np.zeros(rows), np.zeros(rows), np.zeros(rows)
    if p.kind is Kind.LABELS:  # one term per row at most: the rest of the zeros are never written
        terms, loss = np.zeros((rows, p.classes)), np.zeros(rows)
        fast_path.label_rows(p, q, _at(p, every), _at(q, every), every, kl, entropy, cross, loss, terms,
                             cross_terms=cross_terms, weight=weight)
        return terms, kl, entropy, cross, loss
    terms = empty((rows, p.classes))
    if every.size < rows:
        terms[~active] = 0.0
    fast_path.divergence_rows(p, q, _at(p, every), _at(q, every), every, kl, entropy, cross, terms,
                              cross_terms=cross_terms, weight=weight)
    return terms, kl, entropy, cross, None


def _plain_kl(p: Distribution, q: Distribution) -> tuple:
    """(terms, D(P‖Q), H(P), H(P,Q), sides) by the plain formulas, the unsure rows by numpy's accurate kernels."""
    undivided = p.undivided() if p.rows >= q.rows else None  # P's division is done on the way
    if undivided is not None:
        terms, kl, entropy, cross = kl_rows(undivided[0], p.log_p, q.log_p, total=undivided[1])
        p.divided()
    pp, log_pp, qq, log_qq = _broadcast(p, q)
    if undivided is None:
        terms, kl, entropy, cross = kl_rows(pp, log_pp, log_qq)
    with np.errstate(invalid="ignore"):  # an infinite cross-entropy: the accurate kernels say +inf
        error = accurate.plain_error(entropy, cross, classes=terms.shape[1])
        _input_error(error, p, lambda: 1 + entropy + cross)
        _input_error(error, q, lambda: 1 + cross)
    unsure = _unsure(error, kl)
    if unsure.size:
        exact_p, exact_q = p.exact_rows(_at(p, unsure)), q.exact_rows(_at(q, unsure))
        kl[unsure], entropy[unsure], cross[unsure], x = _exact(exact_p, exact_q)
        terms[unsure] = accurate.kl_terms(exact_p.p, x)
    return terms, kl, entropy, cross, Sides(pp, qq, log_pp, log_qq)


def kl_report(p: Distribution, q: Distribution, context: Context) -> Report:
    """D(P‖Q) per row and element: ``sum_i p_i log(p_i / q_i)``, as ``F.kl_div(log q, p)``."""
    scale = context.scale
    if fast_path.takes(p, q, values=context.values):
        terms, kl, entropy, cross, _ = _fused_divergence(p, q)
        sides = Sides(later=partial(_kl_sides, p, q))
    else:
        terms, kl, entropy, cross, sides = _plain_kl(p, q)
    if scale != 1.0:  # x / 1.0 is x: nats need no division
        terms, entropy, cross, kl = terms / scale, entropy / scale, cross / scale, kl / scale
    placed = _placed(p, q, context)
    return Report(
        context=context, sides=sides, terms=terms,
        entropy_p=entropy, cross_entropy=cross, kl=kl, check=_check(cross, entropy, kl),
        total=float(np.sum(kl)), divisor=float(terms.shape[0]), labels=_broadcast_labels(p, terms.shape[0]),
        warnings=_infinite_warnings(terms, "D(P‖Q)", sides, q, context.classes, placed["row_names"],
                                    placed["first_row"], context.positions) if np.isposinf(kl).any() else [],
        deviations=deviations([p, q]), sizes=sample_sizes([p, q]), **placed,
    )


def _ce_sides(p: Distribution, q: Distribution, label_smoothing: float, active: np.ndarray | None) -> Sides:
    """The target (P after label smoothing), Q, and their logs."""
    pp, _, qq, log_qq = _broadcast(p, q)
    target = smooth_labels(pp, label_smoothing, active)
    with np.errstate(divide="ignore"):
        return Sides(target, qq, np.log(target), log_qq)


def _plain_ce(p: Distribution, q: Distribution, context: Context, active: np.ndarray | None,
              unit: np.ndarray | None) -> tuple:
    """(terms, D(P‖Q), H(P), H(P,Q), the per-row loss, sides) by the plain formulas, the unsure rows by
    numpy's accurate kernels; the terms and the loss weighted by ``unit``."""
    sides = _ce_sides(p, q, context.label_smoothing, active)
    target, log_target, log_qq = sides.p_probs, sides.p_log, sides.q_log
    entropy = row_sums(entropy_terms(target, log_target))
    plain = row_sums(cross_entropy_terms(target, log_qq))
    kl = row_sums(kl_terms(target, log_target, log_qq))
    terms = cross_entropy_terms(target, log_qq, unit)
    rows = row_sums(terms)
    with np.errstate(invalid="ignore"):
        error = accurate.plain_error(entropy, plain, classes=terms.shape[1])
        _input_error(error, p, lambda: 1 + plain)
        _input_error(error, q, lambda: 1 + plain)
        # the rows whose D(P‖Q) column (unweighted) the plain formulas cannot give within the bound, as
        # kl's: near-identical rows, where D is far below H(P,Q) and H(P)
        near = _unsure(error, kl)
        if unit is not None:
            error *= np.max(unit)
    unsure = np.union1d(_unsure(error, rows), near)
    if active is not None:
        unsure = unsure[active[unsure]]  # an ignored row is 0, exactly
    if unsure.size:
        exact_p, exact_q = p.exact_rows(_at(p, unsure)), q.exact_rows(_at(q, unsure))
        if context.label_smoothing:
            exact_p = accurate.prob_rows(smooth_labels(exact_p.p, context.label_smoothing))
        kl[unsure], entropy[unsure], plain[unsure], _ = _exact(exact_p, exact_q)
        terms[unsure] = accurate.cross_entropy_terms(exact_p, exact_q, unit)
        rows[unsure] = row_sums(terms[unsure])
    return terms, kl, entropy, plain, rows, sides


def ce_report(p: Distribution, q: Distribution, context: Context) -> Report:
    """H(P,Q) per row as torch's ``F.cross_entropy(logits Q, P or labels, weight, label_smoothing)``.

    Per row ``l_n = -sum_c w_c p'_c log q_c`` with the smoothed target ``p' = (1-ε) p + ε/C``;
    ``mean`` divides by ``sum_n w_{y_n}`` over rows not ignored for labels, by N for probabilities.
    """
    scale, unit = context.scale, context.unit_weight
    active = None if p.active is None else np.broadcast_to(p.active, (max(p.rows, q.rows),))
    if not context.label_smoothing and fast_path.takes(p, q, values=context.values):
        terms, kl, entropy, plain, loss = _fused_divergence(p, q, active, cross_terms=True, weight=unit)
        rows = row_sums(terms) if loss is None else loss
        sides = Sides(later=partial(_ce_sides, p, q, context.label_smoothing, active))
    else:
        terms, kl, entropy, plain, rows, sides = _plain_ce(p, q, context, active, unit)
    if scale != 1.0:
        entropy, plain, kl, terms, rows = entropy / scale, plain / scale, kl / scale, terms / scale, rows / scale
    total = float(np.sum(rows))  # in unit weights, as the divisor: the mean needs no rescaling
    placed = _placed(p, q, context)
    # a +inf term makes its row +inf (no term is negative): only then are the terms searched
    warnings = _infinite_warnings(terms, "H(P,Q)", sides, q, context.classes, placed["row_names"],
                                  placed["first_row"]) if np.isposinf(rows).any() else []
    if context.weight_scale != 1.0:  # a power of two: exact
        finite = np.isfinite(rows)
        with np.errstate(over="ignore"):
            terms, rows = terms * context.weight_scale, rows * context.weight_scale
        overflow = np.flatnonzero(finite & np.isinf(rows))
        if overflow.size:
            first = overflow[0]
            warnings.append(f"H(P,Q) × the class weights overflows float64 in {overflow.size} row(s) (first: row "
                            f"{placed['row_names'][first] if placed['row_names'] else placed['first_row'] + first + 1})"
                            ": those rows and the sum are inf, the mean is exact; scale --weight down for them")
    check = _check(plain, entropy, kl) if unit is None else np.full(rows.shape, np.nan)
    labels = _broadcast_labels(p, rows.shape[0])
    if labels is not None:
        class_weight = np.ones(len(context.classes)) if unit is None else unit
        divisor = float(np.sum(np.where(active, class_weight[np.where(active, labels, 0)], 0.0)))
    else:  # torch divides by N here, not by the weights: N in unit weights is N ÷ the scale, exactly
        divisor = rows.shape[0] / context.weight_scale
    return Report(
        context=context, sides=sides, terms=terms, entropy_p=entropy, cross_entropy=rows, kl=kl, check=check,
        total=total, divisor=divisor, labels=labels, active=active, warnings=warnings, deviations=deviations([p, q]), sizes=sample_sizes([p, q]), **placed,
    )


REPORTS = {Command.KL: kl_report, Command.CE: ce_report}
