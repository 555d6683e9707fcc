"""What torch, SciPy and Keras would return for the same P and Q, and why each differs.

Every value is computed here with divcli's own numpy, following each library's documented formula
(none of them is imported); the test suite checks them against the libraries themselves (torch and
SciPy in float64, fixtures in ``tests/reference/``) and against Keras's formula worked by hand.

The libraries are given what a user would pass them: the numbers of a ``probs`` operand as they are
(a histogram of counts stays counts: torch does not normalise, SciPy does), and for ``logits`` or
``log-probs`` the probabilities (``softmax``) and their logs (``log_softmax``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..numerics.plain import kl_terms, log_base, log_softmax

#: Keras's ``epsilon()``: KLDivergence clips both sides to [ε, 1], CategoricalCrossentropy to [ε, 1 − ε].
KERAS_EPSILON = 1e-7


@dataclass(frozen=True)
class Answer:
    library: str
    call: str
    value: float
    why: str
    #: the value is the square root of a divergence (a distance): in another base it is divided by the
    #: square root of the base's logarithm, and the call passes ``base=`` as SciPy's does
    root: bool = False


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x·log y with 0 where x = 0 (torch's and SciPy's ``xlogy``)."""
    out = np.zeros(np.broadcast(x, y).shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.multiply(x, np.log(y), out=out, where=x != 0)
    return out


def _normalised(x: np.ndarray) -> np.ndarray:
    return x / x.sum(axis=1, keepdims=True)


def _rel_entr(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """SciPy's ``rel_entr``: p·log(p/q); 0 where p = 0 ≤ q; +inf where q = 0 < p."""
    with np.errstate(divide="ignore"):
        return kl_terms(p, np.log(p), np.log(q))


def _torch_kl_div(log_input: np.ndarray, target: np.ndarray) -> np.ndarray:
    """torch's ``kl_div(input, target)`` elements, ``xlogy(target, target) − target·input``: so
    ``nan`` where target = 0 and input = −inf (0·(−inf)), as torch returns."""
    with np.errstate(invalid="ignore"):
        return _xlogy(target, target) - target * log_input


#: Added to the reason when torch's answer is nan.
TORCH_NAN = "; torch returns nan here: where p = q = 0 it multiplies 0 by log 0 = −inf (divcli and SciPy count 0)"


def _clipped(p: np.ndarray, q: np.ndarray) -> str:
    notes = []
    if np.any(p < KERAS_EPSILON) or np.any(q < KERAS_EPSILON):
        notes.append("zeros (and values below 1e-7) become 1e-7")
    if np.any(p > 1) or np.any(q > 1):
        notes.append("values above 1 become 1 (counts are not probabilities)")
    return ": " + "; ".join(notes) if notes else "; no value here is outside that range"


def answers(p: np.ndarray, q: np.ndarray, log_q: np.ndarray, normalized: bool, scale: float = 1.0,
            renormalised: str = "") -> list[Answer]:
    """Each library's value for P (rows of ``p``) and Q (``q`` and its logs ``log_q``), in nats.

    ``normalized`` says whether divcli rescaled P and Q (``--normalize``), which torch would not do;
    ``scale`` (the log of the base the values are shown in) divides the values quoted in the reasons;
    ``renormalised`` names the operands (``"P's"``, ``"P's and Q's"``) whose rows divcli divided by
    their sums because they were within the tolerance of 1 but not 1 ("" when none was, or only by
    less than 1e-12): torch then differs from divcli, SciPy's entropy divides as divcli does.
    """
    rows, classes = p.shape
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    sums_off = not np.allclose(p.sum(axis=1), 1, rtol=0, atol=1e-12) or \
        not np.allclose(q.sum(axis=1), 1, rtol=0, atol=1e-12)
    unnormalised = " (on the numbers as given, not normalised)" if normalized else ""
    if renormalised and not normalized:
        unnormalised = (f" (on the numbers as given; divcli divides {renormalised} rows by their sums, which are "
                        "within the tolerance of 1 but not 1)")
    rescale = ("it rescales P and Q to sum to 1 first, silently" if sums_off
               else "it rescales P and Q to sum to 1 (they already do, up to rounding)")
    if sums_off and renormalised and not normalized:
        rescale += f" (divcli divides {renormalised} rows by their sums too, and says so)"
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        torch_terms = _torch_kl_div(log_q, p)
        keras_p = np.clip(p, KERAS_EPSILON, 1)
        keras_q = np.clip(q, KERAS_EPSILON, 1)
        keras_kl = np.sum(keras_p * np.log(keras_p / keras_q), axis=1)
        pn, qn = _normalised(p), _normalised(q)  # what SciPy and Keras rescale the rows to
        keras_q_ce = np.clip(qn, KERAS_EPSILON, 1 - KERAS_EPSILON)
        keras_ce = -np.sum(p * np.log(keras_q_ce), axis=1)
        scipy_kl = np.sum(_rel_entr(pn, qn), axis=1)
        mixture = 0.5 * (pn + qn)
        js = 0.5 * np.sum(_rel_entr(pn, mixture), axis=1) + 0.5 * np.sum(_rel_entr(qn, mixture), axis=1)
        entropy_p = -np.sum(_xlogy(p, p), axis=1)
        ce_log_q = -np.sum(p * log_softmax(log_q, axis=1), axis=1)  # 0·(−inf) = nan, as torch
        ce_probs = -np.sum(p * log_softmax(q, axis=1), axis=1)
        found = [
            Answer("torch", 'F.kl_div(Q.log(), P, reduction="batchmean")', float(np.sum(torch_terms) / rows),
                   "the right call: input is log Q, target is P, and batchmean divides the sum by the rows"
                   + unnormalised),
            Answer("torch", "nn.KLDivLoss()(Q.log(), P)", float(np.sum(torch_terms) / (rows * classes)),
                   f"the default reduction 'mean' divides by all N·C = {rows * classes} elements, not by the "
                   f"N = {rows} row{'s' if rows != 1 else ''} (torch warns and asks for batchmean)" + unnormalised),
            Answer("torch", 'F.kl_div(P.log(), Q, reduction="batchmean")',
                   float(np.sum(_torch_kl_div(log_p, q)) / rows),
                   "arguments swapped: this is D(Q‖P); torch takes (input = log of the model, target = reference)"),
            Answer("torch", 'F.kl_div(Q, P, reduction="batchmean")', float(np.sum(_torch_kl_div(q, p)) / rows),
                   "Q passed without .log(): torch takes its input as log-probabilities and computes "
                   "Σ p·(log p − q)"),
            Answer("torch", "F.cross_entropy(Q.log(), P)", float(np.mean(ce_log_q)),
                   f"cross-entropy, not KL: H(P,Q) = H(P) + D(P‖Q), and here the mean H(P) is "
                   f"{float(np.mean(entropy_p)) / scale:.6g}"),
            Answer("torch", "F.cross_entropy(Q, P)", float(np.mean(ce_probs)),
                   "probabilities passed as logits: cross_entropy applies log_softmax to its input, "
                   "so Q becomes softmax(Q)"),
            Answer("SciPy", "scipy.stats.entropy(P, Q, axis=1).mean()", float(np.mean(scipy_kl)),
                   f"one value per row (the mean shown); {rescale}"),
            Answer("SciPy", "scipy.special.rel_entr(P, Q).sum()", float(np.sum(_rel_entr(p, q))),
                   (f"the elementwise terms summed over all {rows} rows: the sum reduction, not the mean"
                    if rows > 1 else "the elementwise terms summed: the same for one row") + unnormalised),
            Answer("SciPy", "scipy.special.kl_div(P, Q).sum()", float(np.sum(_rel_entr(p, q) - p + q)),
                   "each term is p·log(p/q) − p + q (the extra terms cancel when both rows sum to 1); "
                   + ("summed over all rows" if rows > 1 else "one row") + unnormalised),
            Answer("SciPy", "scipy.spatial.distance.jensenshannon(P, Q, axis=1).mean()", float(np.mean(np.sqrt(js))),
                   "a different measure: the square root of the symmetric Jensen–Shannon divergence "
                   "(divcli js --distance)", root=True),
            Answer("Keras", "keras.losses.KLDivergence()(P, Q)", float(np.mean(keras_kl)),
                   "clips P and Q to [1e-7, 1] first" + _clipped(p, q)),
            Answer("Keras", "keras.losses.CategoricalCrossentropy()(P, Q)", float(np.mean(keras_ce)),
                   "cross-entropy (H(P) more than KL), after rescaling Q to sum to 1 and clipping it to "
                   "[1e-7, 1 − 1e-7]"),
        ]
    return [replace(answer, why=answer.why + TORCH_NAN)
            if answer.library == "torch" and math.isnan(answer.value) else answer for answer in found]


#: A row whose sum is off 1 by less than this is as the libraries take it, to their rounding.
RENORMALISED_NOTED = 1e-12


def _whose(roles: list[str]) -> str:
    """``P's``, ``Q's``, ``P's and Q's``."""
    return " and ".join(f"{role}'s" for role in roles)


def compare_libraries(operands, options) -> tuple[list[Answer], float, dict[str, float]]:
    """Every library's value for operands P and Q read as ``options`` say, in the unit of
    ``options.base``, divcli's exact D(P‖Q) (batchmean) to compare them with, and per operand the
    largest |Σ − 1| of the rows divcli divided by their sums (:func:`divcli.numerics.deviations.deviations`)."""
    from .runs import compute
    from ..vocabulary import Kind, Command
    from ..numerics.deviations import deviations
    from ..numerics.distributions import to_distribution

    exact = compute(Command.KL, operands[0], operands[1], options).value
    count = operands[1].shape[1]
    kinds = (options.p_kind, options.q_kind)
    distributions = [to_distribution(operand, kind, role, options.conversion, count)
                     for operand, kind, role in zip(operands, kinds, "PQ")]
    given = [operand.values if kind is Kind.PROBS and not distribution.tempered else distribution.p
             for operand, kind, distribution in zip(operands, kinds, distributions)]
    with np.errstate(divide="ignore"):
        log_q = np.log(given[1]) if options.q_kind is Kind.PROBS and not distributions[1].tempered \
            else distributions[1].log_p
    shape = (max(given[0].shape[0], given[1].shape[0]), count)
    renormalised = deviations(distributions)
    noted = _whose([role for role, deviation in renormalised.items() if deviation >= RENORMALISED_NOTED])
    scale = log_base(options.base.value)
    found = answers(np.broadcast_to(given[0], shape), np.broadcast_to(given[1], shape),
                    np.broadcast_to(log_q, shape), normalized=options.conversion.normalize, scale=scale,
                    renormalised=noted)
    if scale != 1.0:
        found = [replace(answer, value=answer.value / scale) if not answer.root else
                 replace(answer, value=answer.value / math.sqrt(scale),
                         call=answer.call.replace("axis=1)", f"base={options.base.text}, axis=1)"))
                 for answer in found]
    return found, exact, renormalised
