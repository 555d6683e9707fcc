"""Check and convert: an operand's numbers, read as a kind, become probabilities and their logs.

=============  =========================================  =============================================
kind           meaning                                    checked
=============  =========================================  =============================================
``probs``      probabilities, each row ÷ its sum          finite, >= 0, rows sum to 1 within tolerance
``logits``     scores; log-softmax per row                no nan or +inf; -inf masks a class
``log-probs``  log-probabilities (``log_target=True``)    exp of each row sums to 1 within tolerance
``labels``     one class index per row (one-hot P)        integers in [0, C); ``ignore_index`` skipped
``counts``     each row ÷ its sum N, N kept (``sizes``)   whole numbers >= 0, no row all 0
=============  =========================================  =============================================

A row of probabilities (or log-probabilities) whose sum is within the tolerance of 1 but not 1 is
divided by its sum (log Σ taken off the logs): the result is then exact for the distribution the row
stands for, and the values shown are the values used. :attr:`Distribution.deviation` keeps the
largest |Σ − 1| of a block's rows, so that a run can say so. torch uses such rows as given; SciPy's
``entropy`` divides them silently.

A temperature T ≠ 1 softens every kind the same way, after the checks: the row becomes
``softmax(log p / T)``. For logits that is ``softmax(z / T)`` (log p and z differ by a constant per
row); for probabilities ``p^(1/T)`` renormalised; for log-probabilities ``softmax(log p / T)``; a
one-hot row of labels stays one-hot (``log p`` is 0 or −inf).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from . import accurate
from .counts import check_counts
from ..errors import DataError, option, show_value
from ..vocabulary import Conversion, Kind
from ..readers.floats import all_finite, comparable
from ..readers.operand import Operand
from .negative import negative_value
from .plain import logsumexp, softmax


@dataclass(frozen=True)
class Distribution:
    """Rows of probabilities ``p`` and their logs ``log_p`` (``-inf`` where ``p = 0``).

    For probabilities and labels ``p`` is given; for logits (and anything softened by a
    temperature) it is ``e / Σe`` of the softmax that gave ``log_p``, divided when first asked for
    (``exps``: Q's enters the numbers of kl and ce only through its logs, so Q's division is never
    made there); for log-probabilities ``exp(log_p)``, also when first asked for. Logits converted
    ``deferred`` (for the fused kernel, which reads their values) get their softmax (of z / T) only if
    asked, probabilities (deferred) and labels their logs.
    """

    given_p: np.ndarray | None
    given_log_p: np.ndarray | None  # None: left for when first asked for (deferred, labels)
    kind: Kind
    operand: Operand
    role: str  # "P" or "Q"
    labels: np.ndarray | None = None  # class indices, for kind labels
    active: np.ndarray | None = None  # False where the label is ignore_index
    conversion: Conversion = Conversion()
    given_exps: tuple[np.ndarray, np.ndarray] | None = None  # (e, Σe per row) of a softmax, e divided in place by p
    #: The largest |Σ − 1| of these rows as given, where a row within the tolerance of 1 was divided
    #: by its sum (probabilities and log-probabilities without --normalize); 0 when none was.
    deviation: float = 0.0
    sizes: np.ndarray | None = None  # counts: each row's sample size N (the distribution is read as probs)

    @cached_property
    def _softmax(self) -> tuple[tuple[np.ndarray, np.ndarray] | None, np.ndarray]:
        """``(exps, log_p)``: as given, or, for logits whose softmax was left for later
        (:func:`to_distribution`'s ``deferred``), their softmax, computed now (they were checked)."""
        if self.given_log_p is not None:
            return self.given_exps, self.given_log_p
        if self.given_p is not None:  # labels, probabilities: log p of the rows (the fused kernel never asks)
            with np.errstate(divide="ignore"):
                return None, np.log(self.given_p)
        if self.tempered:  # softmax(z / T), checked when converted
            return softmax(_scaled(self.operand.values, self.operand, self.conversion, "logit"), axis=1, divide=False)
        return softmax(self.operand.values, axis=1, divide=False)

    @property
    def log_p(self) -> np.ndarray:
        return self._softmax[1]

    @property
    def exps(self) -> tuple[np.ndarray, np.ndarray] | None:
        return self._softmax[0]

    @cached_property
    def p(self) -> np.ndarray:
        if self.given_p is not None:
            return self.given_p
        if self.exps is not None:
            exps, total = self.exps
            return np.divide(exps, total, out=exps)
        return np.exp(self.log_p)

    def undivided(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(e, Σe)`` while :attr:`p` is a softmax's ``e / Σe`` not divided yet, for a kernel that
        divides it in place on its way (:func:`divcli.numerics.plain.kl_rows`) and then calls
        :meth:`divided`; None otherwise."""
        return None if self.exps is None or "p" in self.__dict__ else self.exps

    def divided(self) -> None:
        """``e`` of :meth:`undivided` now holds ``e / Σe``: it is :attr:`p`."""
        self.__dict__["p"] = self.exps[0]  # what the cached property would have stored

    @property
    def rows(self) -> int:
        return self._shaped.shape[0]

    @property
    def classes(self) -> int:
        return self._shaped.shape[1]

    @property
    def _shaped(self):
        """Rows × classes: the logs, P itself (labels, deferred probabilities), or the operand (its
        shape, without widening what it stored)."""
        return self.given_log_p if self.given_log_p is not None else \
            self.given_p if self.given_p is not None else self.operand

    @property
    def tempered(self) -> bool:
        """True when the rows were softened by a temperature T ≠ 1 (labels never are: one-hot stays)."""
        return self.conversion.temperature != 1.0 and self.kind is not Kind.LABELS

    @cached_property
    def input_error(self) -> np.ndarray | None:
        """Per row, a bound on how far what the plain formulas take is from the exact distribution, in
        log units: |Σp − 1| and the rounding of that sum for probabilities, the rounding of z ÷ T (an
        absolute error of ε·|z| each, z the logits or log p); None (no error) for labels and for
        logits at T = 1."""
        if self.kind is Kind.LABELS or (self.kind is Kind.LOGITS and not self.tempered):
            return None
        if self.tempered:
            z = self.operand.values
            if self.kind is Kind.PROBS:
                with np.errstate(divide="ignore"):
                    z = np.log(z)
            with np.errstate(over="ignore", invalid="ignore"):
                size = np.max(np.where(np.isfinite(z), np.abs(z), 0.0), axis=1)
                return 4 * accurate.EPS * size / self.conversion.temperature
        error = np.abs(self.p.sum(axis=1) - 1.0) + accurate.EPS * (8 + np.log2(self.p.shape[1]))
        if self.conversion.normalize or self.deviation:  # a value that the division by the sum took to 0 is not 0
            error[np.any((self.p == 0) & (self.operand.values > 0), axis=1)] = np.inf
        return error

    def exact_rows(self, index: np.ndarray | None = None) -> accurate.Rows:
        """These rows (all without ``index``) for the accurate kernels: logits and log-probabilities
        through an exact softmax (of logits ÷ T with the division's error kept), probabilities
        and labels divided by their exact sums. With a temperature T ≠ 1, probabilities are the
        logits log p ÷ T (the same softmax(log p / T) as the plain path)."""
        values = self.p if self.kind is Kind.LABELS else self.operand.values  # --normalize's division is here
        values = values if index is None else values[index]
        if self.tempered:
            if self.kind is Kind.PROBS:  # counts too: log Σ is a constant per row, gone in the softmax
                with np.errstate(divide="ignore"):
                    values = np.log(values)
            rows = accurate.logit_rows(*accurate.divide(values, self.conversion.temperature))
            return replace(rows, logits=values, temperature=self.conversion.temperature)
        if self.kind in (Kind.LOGITS, Kind.LOG_PROBS):
            return accurate.logit_rows(values)
        return accurate.prob_rows(values)


def _first(mask: np.ndarray) -> tuple[int, int]:
    row, col = np.argwhere(mask)[0]
    return int(row), int(col)


def _as(role: str, kind: str) -> str:
    """``--p-as KIND`` / ``p_as="KIND"`` in a message (errors.option)."""
    return option(f"{role.lower()}_as", kind)


def _check_sums(sums: np.ndarray, operand: Operand, role: str, what: str, tolerance: float, hint: str):
    off = np.abs(sums - 1.0) > tolerance
    if np.any(off):
        row = int(np.argmax(off))
        raise DataError(
            operand.where(row),
            f"{what} sums to {float(sums[row])!r}, not 1 (tolerance {tolerance:g})",
            hint,
        )


def could_be_labels(operand: Operand, classes: int | None) -> bool:
    """One row or one column of whole numbers ≥ 0 (below ``classes`` when known), more than one of
    them: what ``--p-as labels`` would read, so a message names it before any other fix."""
    values = operand.values
    if values.size < 2 or (values.shape[0] != 1 and values.shape[1] != 1):
        return False
    return bool(np.all(whole_below(values, classes)))


def whole_below(values: np.ndarray, classes: int | None) -> np.ndarray:
    """Where ``values`` are whole numbers ≥ 0 and below ``classes`` (any, when None): class indices."""
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.round(values)) & (values >= 0)
        return whole & (values < classes) if classes else whole


def _renormalised(sums: np.ndarray) -> tuple[np.ndarray | None, float]:
    """The rows whose sum (within the tolerance, checked) is not 1, or None when every row's is, and
    the largest |Σ − 1|."""
    off = sums != 1.0
    if not off.any():
        return None, 0.0
    return off, float(np.max(np.abs(sums - 1.0)))


def _probs(operand: Operand, role: str, conversion: Conversion, classes: int | None = None, deferred: bool = False
           ) -> tuple[np.ndarray, np.ndarray | None, float]:
    values = operand.values
    bad = ~np.isfinite(values)
    if np.any(bad):
        row, col = _first(bad)
        raise DataError(operand.where(row, col), f"{show_value(operand.text(row, col))} is not a probability",
                        f"probabilities are finite; pass {_as(role, 'logits')} for scores")
    negative = values < 0
    if np.any(negative):
        raise negative_value(operand, role, conversion, *_first(negative))
    with np.errstate(over="ignore"):
        sums = values.sum(axis=1)
    deviation = 0.0
    if conversion.normalize:
        zero = sums == 0
        if np.any(zero):
            row = int(np.argmax(zero))
            raise DataError(operand.where(row), "every value in this row is 0: it cannot be normalized")
        if np.any(np.isinf(sums)):
            row = int(np.argmax(np.isinf(sums)))
            raise DataError(operand.where(row), "this row's sum overflows float64: it cannot be normalized",
                            "scale the counts down")
        values = values / sums[:, None]
    else:
        tolerance = (f"a {option('tolerance')} above {conversion.tolerance:g}" if "tolerance" in conversion.given
                     else f"a larger {option('tolerance')}")
        hint = (f"pass {option('normalize', True)} to rescale counts or histograms, {_as(role, 'logits')} for scores, "
                f"or {tolerance} for rounded numbers")
        if role == "P" and could_be_labels(operand, classes):  # never --normalize for a vector of labels
            hint = (f"pass {_as(role, 'labels')} if these are class indices (one label per row of Q; "
                    f"{option('normalize', True)} would read them as counts)")
        elif values.shape[1] == 1 and values.shape[0] > 1:
            hint = (f"with {option('columns')} each column is one distribution, and these columns hold one value "
                    f"each: leave out {option('columns')}" if "columns" in conversion.given else
                    f"each row is one distribution, and this one has a single column: pass {option('columns', True)}")
        what = "this column" if operand.is_transposed else "this row"
        _check_sums(sums, operand, role, what, conversion.tolerance, hint)
        if conversion.tolerance >= 1 and np.any(sums == 0):  # within a tolerance of 1, but no distribution
            row = int(np.argmax(sums == 0))
            raise DataError(operand.where(row), f"every value in {what} is 0: it is no distribution",
                            f"give it a positive probability, or a {option('tolerance')} below 1")
        off, deviation = _renormalised(sums)
        if off is not None:  # within the tolerance: the distribution meant is the row ÷ its sum
            values = values / np.where(off, sums, 1.0)[:, None]
    if deferred and conversion.temperature == 1.0:  # their logs when first asked for
        return values, None, deviation
    with np.errstate(divide="ignore"):
        log_values = np.log(values)
    if conversion.temperature != 1.0:
        return (*_soften(log_values, operand, conversion, "log of probability"), deviation)
    return values, log_values, deviation


def _soften(log_values: np.ndarray, operand: Operand, conversion: Conversion, what: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """softmax(x / T) and its log, for x the logits or the logs of the probabilities (−inf masks)."""
    return softmax(_scaled(log_values, operand, conversion, what), axis=1, divide=False)


def _scaled(log_values: np.ndarray, operand: Operand, conversion: Conversion, what: str) -> np.ndarray:
    """x / T, refused where a finite x ÷ T overflows float64."""
    with np.errstate(over="ignore"):
        scaled = log_values / conversion.temperature
    overflow = np.isinf(scaled) & np.isfinite(log_values)
    if np.any(overflow):
        row, col = _first(overflow)
        raise DataError(operand.where(row, col),
                        f"{what} {show_value(operand.text(row, col))} ÷ temperature {conversion.temperature:g} "
                        "overflows float64", f"use a larger {option('temperature')}")
    return scaled


def _finite_or_masked(operand: Operand, role: str, what: str):
    """No nan, no +inf, no row all -inf: checked in the dtype the values were read in (float16 and
    float32 widen to float64 exactly: the same values, not widened for it; bfloat16 bits are read as
    float32 to locate a fault)."""
    values = operand.stored
    if all_finite(values):  # the usual case: one pass, nothing to locate
        return
    values = comparable(values)
    bad = np.isnan(values) | (values == np.inf)
    if np.any(bad):
        row, col = _first(bad)
        raise DataError(operand.where(row, col), f"{show_value(operand.text(row, col))} is not a valid {what}",
                        f"{what[:-1] + 'ies' if what.endswith('y') else what + 's'} are finite; -inf masks a class")
    masked = np.all(values == -np.inf, axis=1)
    if np.any(masked):
        row = int(np.argmax(masked))
        raise DataError(operand.where(row), f"every {what} in this row is -inf", "leave at least one class unmasked")


def _logits(operand: Operand, role: str, conversion: Conversion, deferred: bool = False
            ) -> tuple[tuple | None, np.ndarray | None, float]:
    if deferred:  # checked now, the softmax computed when first asked for
        _finite_or_masked(operand, role, "logit")
        if conversion.temperature < 1.0:  # only a division by T < 1 can overflow
            _scaled(operand.values, operand, conversion, "logit")
        return None, None, 0.0
    if conversion.temperature == 1.0:  # z / 1 is z, and cannot overflow
        # the check costs no pass: softmax finds every row's maximum finite (no nan, no +inf, no row
        # of −inf), or calls the check, which says what is wrong, before computing anything of that part
        return (*softmax(operand.values, axis=1, divide=False,
                         refuse=lambda: _finite_or_masked(operand, role, "logit")), 0.0)
    _finite_or_masked(operand, role, "logit")
    return (*_soften(operand.values, operand, conversion, "logit"), 0.0)


def _log_probs(operand: Operand, role: str, conversion: Conversion) -> tuple[np.ndarray | None, np.ndarray, float]:
    _finite_or_masked(operand, role, "log-probability")
    log_p = operand.values
    deviation = 0.0
    if conversion.normalize:
        log_p = log_p - logsumexp(log_p, axis=1)[:, None]
    else:
        log_sums = logsumexp(log_p, axis=1)
        with np.errstate(over="ignore"):
            sums = np.exp(log_sums)
        hint = (f"16-bit numbers (float16, bfloat16) round each log-probability, which can move a row's sum this "
                f"much: pass {_as(role, 'logits')} (each row renormalised exactly), or {option('normalize', True)}"
                if operand.stored.dtype.itemsize == 2 else
                f"pass {_as(role, 'logits')} for unnormalised scores, or {option('normalize', True)}")
        _check_sums(sums, operand, role, "exp of this row", conversion.tolerance, hint)
        off, deviation = _renormalised(sums)
        if off is not None:  # within the tolerance: the distribution meant is exp(row) ÷ its sum
            log_p = log_p - np.where(off, log_sums, 0.0)[:, None]
    if conversion.temperature != 1.0:
        return (*_soften(log_p, operand, conversion, "log-probability"), deviation)
    return None, log_p, deviation


def label_vector(operand: Operand) -> np.ndarray:
    """The class indices of a labels operand: one row or one column of integers."""
    rows, cols = operand.shape
    if rows != 1 and cols != 1:
        raise DataError(operand.where(), f"labels are one class index per row, but this has {rows} rows × {cols} columns",
                        f"give one column (or one row) of integers, or {option('p_as', 'probs')} for one-hot rows")
    values = operand.values.ravel()
    integral = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) <= 2.0**53)
    if not np.all(integral):
        index = int(np.argmin(integral))
        row, col = (0, index) if rows == 1 else (index, 0)
        raise DataError(operand.where(row, col), f"label {show_value(operand.text(row, col))} is not an integer",
                        "labels are class indices 0, 1, 2, …")
    return values.astype(np.int64)


def _labels(operand: Operand, classes: int, conversion: Conversion) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = label_vector(operand)
    active = labels != conversion.ignore_index if conversion.ignore_index is not None else np.ones(labels.shape, bool)
    out_of_range = active & ((labels < 0) | (labels >= classes))
    if np.any(out_of_range):
        index = int(np.argmax(out_of_range))
        row, col = (0, index) if operand.shape[0] == 1 else (index, 0)
        note = f" or {conversion.ignore_index} ({option('ignore_index')})" if conversion.ignore_index is not None else ""
        raise DataError(operand.where(row, col),
                        f"label {show_value(operand.text(row, col))} is out of range",
                        f"there are {classes} classes, so a label is 0 … {classes - 1}{note}")
    p = np.zeros((labels.size, classes))
    p[np.flatnonzero(active), labels[active]] = 1.0
    return p, labels, active


def to_distribution(operand: Operand, kind: Kind, role: str, conversion: Conversion, classes: int | None = None,
                    deferred: bool = False) -> Distribution:
    """Check ``operand`` as ``kind`` and convert it; ``classes`` is needed for labels. ``deferred``:
    logits (at any temperature) and probabilities (at T = 1) are checked, and their softmax or logs are
    left for when first asked for (a computation that reads their values itself may never ask)."""
    if kind is Kind.COUNTS:  # checked, then read as --normalize reads them, with N kept
        sizes = check_counts(operand, role)
        d = to_distribution(operand, Kind.PROBS, role, replace(conversion, normalize=True), classes, deferred)
        return replace(d, sizes=sizes)
    if kind is Kind.LABELS:
        p, labels, active = _labels(operand, classes, conversion)  # log p: when first asked for
        return Distribution(p, None, kind, operand, role, labels, active, conversion)
    if kind is Kind.LOGITS:
        p, log_p, deviation = _logits(operand, role, conversion, deferred)
    elif kind is Kind.PROBS:
        p, log_p, deviation = _probs(operand, role, conversion, classes, deferred)
    else:
        p, log_p, deviation = _log_probs(operand, role, conversion)
    if isinstance(p, tuple) or p is None:  # a softmax's (e, Σe): divided when the probabilities are first asked for
        return Distribution(None, log_p, kind, operand, role, conversion=conversion, given_exps=p, deviation=deviation)
    return Distribution(p, log_p, kind, operand, role, conversion=conversion, deviation=deviation)
