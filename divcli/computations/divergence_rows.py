"""Distributions → one block's :class:`~divcli.computations.divergence_records.Report`: per-row H(P),
H(P,Q), D(P‖Q) and the element terms, by the plain formulas, each row whose bound on its error is
not within :data:`ACCURACY` computed again by the accurate kernels; nothing here prints.
"""

from __future__ import annotations

import numpy as np

from ..numerics import accurate, fast_path
from ..numerics.distributions import Distribution, deviations
from ..vocabulary import Kind, Command
from ..numerics.plain import cross_entropy_terms, entropy_terms, kl_rows, kl_terms, row_sums, smooth_labels
from .divergence_records import Context, Report


def _infinite_warnings(terms: np.ndarray, quantity: str, p: np.ndarray, q: Distribution,
                       classes: list[str], row_names: list[str] | None, first_row: int) -> list[str]:
    """One warning per +inf term (the first three of a block, then a count): row, class, where q = 0."""
    where = np.argwhere(np.isposinf(terms))
    warnings = []
    for row, col in where[:3]:
        q_row = row if q.rows > 1 else 0
        name = row_names[row] if row_names else str(first_row + row + 1)
        warnings.append(
            f"{quantity} is +inf: row {name}, class {classes[col]!r}: p = {float(p[row, col])!r} but q = 0"
            f" ({q.operand.where(q_row, col)})"
        )
    if len(where) > 3:
        warnings.append(f"… and {len(where) - 3} more +inf terms in rows {first_row + 1}–{first_row + len(terms)}")
    return warnings


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


def entropy_report(p: Distribution, context: Context) -> Report:
    """H(P) per row: ``-sum_i p_i log p_i``, as ``scipy.stats.entropy(p, axis=1, base=b)``."""
    terms = entropy_terms(p.p, p.log_p)
    rows = row_sums(terms)
    if p.kind is not Kind.LABELS:  # one-hot rows: exact already
        unsure = _unsure(_input_error(accurate.plain_error(rows, classes=terms.shape[1]), p, lambda: 1 + rows), rows)
        # the accurate kernels: numba's fused one where it pays (numerics/fast_path.py), else numpy's
        if unsure.size and not fast_path.entropy_rows(p, unsure, unsure, rows, terms):
            exact = p.exact_rows(unsure)
            rows[unsure] = accurate.entropy_rows(exact)
            terms[unsure] = accurate.entropy_terms(exact)
    if context.scale != 1.0:
        terms, rows = terms / context.scale, rows / context.scale
    return Report(
        context=context, p_probs=p.p, q_probs=None, p_log=p.log_p, q_log=None, terms=terms,
        entropy_p=rows, total=float(np.sum(rows)), divisor=float(rows.shape[0]), labels=p.labels,
        deviations=deviations([p]), **_placed(p, None, context),
    )


def _broadcast(p: Distribution, q: Distribution):
    """P's probabilities and logs, Q's given probabilities (None for logits and log-probabilities: they
    are computed only where shown) and logs, with as many rows as the longer of the two."""
    rows = max(p.rows, q.rows)
    shape = (rows, p.log_p.shape[1])
    return (np.broadcast_to(p.p, shape), np.broadcast_to(p.log_p, shape),
            None if q.given_p is None else np.broadcast_to(q.given_p, shape), np.broadcast_to(q.log_p, shape))


def _broadcast_labels(p: Distribution, rows: int) -> np.ndarray | None:
    return None if p.labels is None else np.broadcast_to(p.labels, (rows,))


def kl_report(p: Distribution, q: Distribution, context: Context) -> Report:
    """D(P‖Q) per row and element: ``sum_i p_i log(p_i / q_i)``, as ``F.kl_div(log q, p)``."""
    scale = context.scale
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
    # the accurate kernels: numba's fused one where it pays (numerics/fast_path.py), else numpy's
    if unsure.size and not fast_path.divergence_rows(p, q, _at(p, unsure), _at(q, unsure), unsure,
                                                     kl, entropy, cross, terms):
        exact_p, exact_q = p.exact_rows(_at(p, unsure)), q.exact_rows(_at(q, unsure))
        kl[unsure], entropy[unsure], cross[unsure], x = _exact(exact_p, exact_q)
        terms[unsure] = accurate.kl_terms(exact_p.p, x)
    if scale != 1.0:  # x / 1.0 is x: nats need no division
        terms, entropy, cross, kl = terms / scale, entropy / scale, cross / scale, kl / scale
    placed = _placed(p, q, context)
    return Report(
        context=context, p_probs=pp, q_probs=qq, p_log=log_pp, q_log=log_qq, terms=terms,
        entropy_p=entropy, cross_entropy=cross, kl=kl, check=_check(cross, entropy, kl),
        total=float(np.sum(kl)), divisor=float(terms.shape[0]), labels=_broadcast_labels(p, terms.shape[0]),
        warnings=_infinite_warnings(terms, "D(P‖Q)", pp, q, context.classes, placed["row_names"],
                                    placed["first_row"]) if np.isposinf(kl).any() else [],
        deviations=deviations([p, q]), **placed,
    )


def ce_report(p: Distribution, q: Distribution, context: Context) -> Report:
    """H(P,Q) per row as torch's ``F.cross_entropy(logits Q, P or labels, weight, label_smoothing)``.

    Per row ``l_n = -sum_c w_c p'_c log q_c`` with the smoothed target ``p' = (1-ε) p + ε/C``;
    ``mean`` divides by ``sum_n w_{y_n}`` over rows not ignored for labels, by N for probabilities.
    """
    scale, unit = context.scale, context.unit_weight
    pp, _, qq, log_qq = _broadcast(p, q)
    active = None if p.active is None else np.broadcast_to(p.active, (pp.shape[0],))
    target = smooth_labels(pp, context.label_smoothing, active)
    with np.errstate(divide="ignore"):
        log_target = np.log(target)
    entropy = row_sums(entropy_terms(target, log_target))
    plain = row_sums(cross_entropy_terms(target, log_qq))
    kl = row_sums(kl_terms(target, log_target, log_qq))
    terms = cross_entropy_terms(target, log_qq, unit)
    rows = row_sums(terms)
    with np.errstate(invalid="ignore"):
        error = accurate.plain_error(entropy, plain, classes=terms.shape[1])
        _input_error(error, p, lambda: 1 + plain)
        _input_error(error, q, lambda: 1 + plain)
        if unit is not None:
            error *= np.max(unit)
    unsure = _unsure(error, rows)
    if active is not None:
        unsure = unsure[active[unsure]]  # an ignored row is 0, exactly
    if unsure.size:
        # the accurate kernels: numba's fused one where it pays (numerics/fast_path.py; not with
        # label smoothing), else numpy's
        if context.label_smoothing or not fast_path.divergence_rows(
                p, q, _at(p, unsure), _at(q, unsure), unsure, kl, entropy, plain, terms, cross_terms=True, weight=unit):
            exact_p, exact_q = p.exact_rows(_at(p, unsure)), q.exact_rows(_at(q, unsure))
            if context.label_smoothing:
                exact_p = accurate.prob_rows(smooth_labels(exact_p.p, context.label_smoothing))
            kl[unsure], entropy[unsure], plain[unsure], _ = _exact(exact_p, exact_q)
            terms[unsure] = accurate.cross_entropy_terms(exact_p, exact_q, unit)
        rows[unsure] = row_sums(terms[unsure])
    if scale != 1.0:
        entropy, plain, kl, terms, rows = entropy / scale, plain / scale, kl / scale, terms / scale, rows / scale
    total = float(np.sum(rows))  # in unit weights, as the divisor: the mean needs no rescaling
    placed = _placed(p, q, context)
    warnings = _infinite_warnings(terms, "H(P,Q)", target, q, context.classes, placed["row_names"],
                                  placed["first_row"])
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
        context=context, p_probs=target, q_probs=qq, p_log=log_target, q_log=log_qq, terms=terms,
        entropy_p=entropy, cross_entropy=rows, kl=kl, check=check, total=total, divisor=divisor,
        labels=labels, active=active, warnings=warnings, deviations=deviations([p, q]), **placed,
    )


REPORTS = {Command.KL: kl_report, Command.CE: ce_report}
