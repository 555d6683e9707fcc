"""Every common divergence between two rows of probabilities, per row, in pure numpy.

Each measure is a :class:`Measure`: its JSON key, its formula, its range, the convention it follows
(where libraries disagree) and whether it is in log units (and so follows ``--base``). The
functions take rows of probabilities and their logs (``-inf`` where a probability is 0) and return
one value per row, in nats for the log measures.

Zero conventions, as for KL: a term with ``p_i = 0`` contributes 0; a term that needs ``p_i / 0``
is ``+inf`` (KL, χ², Rényi of order > 1), never ``nan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable

import numpy as np

from . import accurate
import re

from .model import Reduction
from .numerics import cross_entropy_terms, entropy_terms, kl_terms, log_base

#: Rényi orders of ``compare`` when ``--alpha`` is not given.
DEFAULT_ALPHAS = (0.5, 2.0)
RENYI = re.compile(r"renyi_(\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$")


@dataclass(frozen=True)
class Pair:
    """Rows of P and Q as probabilities and logs (broadcast to the same shape), and, where the
    operands are at hand, the same rows for the accurate kernels (KL, JS, TV, H and CE use them)."""

    p: np.ndarray
    log_p: np.ndarray
    q: np.ndarray
    log_q: np.ndarray
    exact_p: accurate.Rows | None = None
    exact_q: accurate.Rows | None = None

    @property
    def exact(self) -> bool:
        return self.exact_p is not None

    @cached_property
    def ratio(self) -> np.ndarray:
        """log(p/q) per element, accurately."""
        return accurate.log_ratio(self.exact_p, self.exact_q)


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    formula: str
    range: str
    convention: str
    compute: Callable[[Pair], np.ndarray]
    log_power: float = 1.0  # in nats^log_power: divided by log(base)**log_power; 0 for a plain number
    symmetric: bool = False
    unit: str | None = None  # for measures that are neither log units nor plain numbers
    ordered: bool = False  # needs ordered classes (compare --ordered)
    #: a family of measures, one per order α (Rényi): makes the member of order α
    family: Callable[[float], "Measure"] | None = None


def _sum(terms: np.ndarray) -> np.ndarray:
    return terms.sum(axis=1)


def kl(pair: Pair) -> np.ndarray:
    if pair.exact:
        return accurate.kl_rows(pair.exact_p, pair.exact_q, pair.ratio)
    return _sum(kl_terms(pair.p, pair.log_p, pair.log_q))


def _swap(pair: Pair) -> Pair:
    if pair.exact:
        return Pair(pair.q, pair.log_q, pair.p, pair.log_p, pair.exact_q, pair.exact_p)
    return Pair(pair.q, pair.log_q, pair.p, pair.log_p)


def js_divergence(pair: Pair) -> np.ndarray:
    """½ D(P‖M) + ½ D(Q‖M) with M = ½(P + Q): finite always, at most log 2.

    Per class, with m = ½(p + q) and d = (p − q)/(p + q), the term is
    ½·m·[(1 + d)·log(1 + d) + (1 − d)·log(1 − d)]: never negative, about m·d²/2 for near rows, so
    nothing cancels between classes (the textbook sum loses half the digits for near-identical rows).
    """
    if pair.exact:
        return accurate.js_rows(pair.exact_p, pair.exact_q, pair.ratio)
    p, q = pair.p, pair.q
    total = p + q
    d = np.zeros(total.shape)
    np.divide(p - q, total, out=d, where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plus = np.where(d > -1, (1 + d) * np.log1p(d), 0.0)
        minus = np.where(d < 1, (1 - d) * np.log1p(-d), 0.0)
    return np.maximum(_sum(0.25 * total * (plus + minus)), 0.0)


def total_variation(pair: Pair) -> np.ndarray:
    if pair.exact:
        return accurate.total_variation_rows(pair.exact_p, pair.exact_q, pair.ratio)
    return 0.5 * _sum(np.abs(pair.p - pair.q))


def bhattacharyya_coefficient(pair: Pair) -> np.ndarray:
    return _sum(np.sqrt(pair.p * pair.q))


def _hellinger_squared(pair: Pair) -> np.ndarray:
    # ½ Σ (√p − √q)², equal to 1 − BC for rows that sum to 1, without its cancellation near 0.
    return 0.5 * _sum(np.square(np.sqrt(pair.p) - np.sqrt(pair.q)))


def hellinger(pair: Pair) -> np.ndarray:
    return np.sqrt(_hellinger_squared(pair))


def bhattacharyya_distance(pair: Pair) -> np.ndarray:
    """−log BC from the logs, log BC = logsumexp(½(log p + log q)), so a coefficient that underflows
    float64 (rows far apart, from logits) still gives a finite distance; never below 0."""
    half = 0.5 * (pair.log_p + pair.log_q)
    shift = np.max(half, axis=1, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    log_bc = np.log(np.sum(np.exp(half - shift), axis=1)) + shift[:, 0]
    return np.maximum(-log_bc, 0.0) + 0.0


def _log_abs_expm1(x: np.ndarray) -> np.ndarray:
    """log|e^x − 1| without overflow: x + log1p(−e^−x) for x > 0, log(−expm1(x)) for x < 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(x > 0, x + np.log1p(-np.exp(-np.abs(x))), np.log(-np.expm1(np.minimum(x, 0.0))))


def _chi2(observed: np.ndarray, log_observed: np.ndarray, expected: np.ndarray,
          log_expected: np.ndarray) -> np.ndarray:
    """Σ (o − e)² / e: 0 where both are 0, +inf where only e is. Where a probability underflowed to
    0 but its log is finite (logits far apart) the term is e·(o/e − 1)², taken from the logs."""
    difference = np.square(observed - expected)
    terms = np.zeros(observed.shape)
    np.divide(difference, expected, out=terms, where=expected > 0)
    terms[(log_expected == -np.inf) & (log_observed > -np.inf)] = np.inf
    underflow = ((expected == 0) | (observed == 0)) & np.isfinite(log_expected) & np.isfinite(log_observed)
    if np.any(underflow):
        with np.errstate(over="ignore"):
            from_logs = np.exp(log_expected + 2 * _log_abs_expm1(log_observed - log_expected))
        terms = np.where(underflow, from_logs, terms)
    return _sum(terms)


def chi2_pearson(pair: Pair) -> np.ndarray:
    return _chi2(pair.p, pair.log_p, pair.q, pair.log_q)


def chi2_neyman(pair: Pair) -> np.ndarray:
    return _chi2(pair.q, pair.log_q, pair.p, pair.log_p)


def renyi(alpha: float) -> Callable[[Pair], np.ndarray]:
    """D_α(P‖Q) = log(Σ pᵢ^α qᵢ^(1−α)) / (α − 1), over the classes where pᵢ > 0; α = 1 is KL."""
    if alpha == 1:
        return kl

    def compute(pair: Pair) -> np.ndarray:
        # Where q = 0 < p the exponent is +inf for α > 1 (D = ∞) and −inf for α < 1 (no term). The
        # classes are those with log p > −inf: a p that underflowed float64 still counts.
        exponent = np.where(pair.log_p > -np.inf, alpha * pair.log_p + (1 - alpha) * pair.log_q, -np.inf)
        shift = np.max(exponent, axis=1, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0.0)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            log_sum = np.log(np.sum(np.exp(exponent - shift), axis=1)) + shift[:, 0]
            return np.maximum(log_sum / (alpha - 1), 0.0) + 0.0  # ≥ 0; rounding of equal rows is cut

    return compute


def cross_entropy(pair: Pair) -> np.ndarray:
    if pair.exact:
        return accurate.cross_entropy_rows(pair.exact_p, pair.exact_q)
    return _sum(cross_entropy_terms(pair.p, pair.log_q))


def entropy_p(pair: Pair) -> np.ndarray:
    if pair.exact:
        return accurate.entropy_rows(pair.exact_p)
    return _sum(entropy_terms(pair.p, pair.log_p))


def entropy_q(pair: Pair) -> np.ndarray:
    return entropy_p(_swap(pair))


def wasserstein_1(pair: Pair) -> np.ndarray:
    """Σ |F_P − F_Q| over consecutive classes one unit apart (SciPy's ``wasserstein_distance`` with
    the class indices as positions and P, Q as weights)."""
    return _sum(np.abs(np.cumsum(pair.p - pair.q, axis=1)[:, :-1]))


def alpha_key(alpha: float) -> str:
    """``renyi_0.5``, ``renyi_2``: the order as short as it is exact."""
    text = repr(float(alpha))
    return f"renyi_{text[:-2] if text.endswith('.0') else text}"


#: The catalogue: every measure, in compare's order (a family stands for its members, in the order of
#: compare --alpha). The one place measures are listed: the keys, the aliases, the checks of the
#: command line, ``divcli measures``, compare, matrix and the Python API all come from it.
CATALOGUE: list[Measure] = []
#: Short names: alias → key.
ALIASES: dict[str, str] = {}


def register(measure: Measure, *aliases: str) -> Measure:
    """Add ``measure`` to the catalogue (at the end: compare shows it last), with its ``aliases``."""
    if measure.key in keys() or measure.key in ALIASES:
        raise ValueError(f"{measure.key!r} is a measure already")
    CATALOGUE.append(measure)
    ALIASES.update({alias: measure.key for alias in aliases})
    return measure


def unregister(key: str) -> None:
    """Take the measure ``key`` and its aliases out of the catalogue (a test's throwaway measure)."""
    CATALOGUE[:] = [measure for measure in CATALOGUE if measure.key != key]
    for alias in [alias for alias, target in ALIASES.items() if target == key]:
        del ALIASES[alias]


def keys() -> list[str]:
    """The measures' keys in compare's order (a family's members, ``renyi_α``, are not listed)."""
    return [measure.key for measure in CATALOGUE if measure.family is None]


def known(key: str) -> bool:
    """A key, an alias or ``renyi_α`` with a number α > 0."""
    if key in keys() or key in ALIASES:
        return True
    return bool(RENYI.match(key)) and 0 < float(key[6:]) < float("inf")


def catalogue(alphas: tuple[float, ...] = DEFAULT_ALPHAS, ordered: bool = False) -> list[Measure]:
    """The measures of ``compare``, in its order: a family's member for every α of ``alphas``, and
    those that need ordered classes (``wasserstein_1``) only when they are."""
    measures = []
    for measure in CATALOGUE:
        if measure.family is not None:
            measures += [measure.family(alpha) for alpha in alphas]
        elif ordered or not measure.ordered:
            measures.append(measure)
    return measures


def _renyi_measure(alpha: float) -> Measure:
    key = alpha_key(alpha)
    return Measure(key, f"Rényi divergence of order {key[6:]}", f"log(Σ p^α q^(1−α)) / (α − 1), α = {key[6:]}",
                   "[0, ∞]", "order 1 is KL; order ½ is −2·log BC", renyi(alpha))


register(Measure("kl_pq", "KL divergence D(P‖Q)", "Σ p·log(p/q)", "[0, ∞]",
                 "P is the reference; torch's kl_div(log Q, P), SciPy's entropy(P, Q)", kl))
register(Measure("kl_qp", "reverse KL D(Q‖P)", "Σ q·log(q/p)", "[0, ∞]",
                 "the same with P and Q swapped (mode-seeking)", lambda pair: kl(_swap(pair))))
register(Measure("jeffreys", "Jeffreys divergence (PSI)", "D(P‖Q) + D(Q‖P)", "[0, ∞]",
                 "the population stability index is this sum, in nats", lambda pair: kl(pair) + kl(_swap(pair)),
                 symmetric=True))
register(Measure("js_divergence", "Jensen–Shannon divergence", "½D(P‖M) + ½D(Q‖M), M = ½(P+Q)", "[0, log 2]",
                 "a divergence; SciPy's jensenshannon returns its square root", js_divergence, symmetric=True))
register(Measure("js_distance", "Jensen–Shannon distance", "√JS", "[0, √log 2]",
                 "SciPy's jensenshannon(P, Q, base); a metric", lambda pair: np.sqrt(js_divergence(pair)),
                 log_power=0.5, symmetric=True))
register(Measure("total_variation", "total variation", "½ Σ |p − q|", "[0, 1]",
                 "½ L1 (some texts call the L1 norm itself TV, twice this)", total_variation,
                 log_power=0, symmetric=True))
register(Measure("hellinger", "Hellinger distance", "√(1 − BC) = √(½ Σ (√p − √q)²)", "[0, 1]",
                 "√(1 − BC); some libraries use √2 or 2 times this", hellinger, log_power=0, symmetric=True))
register(Measure("bhattacharyya_coefficient", "Bhattacharyya coefficient", "BC = Σ √(p·q)", "[0, 1]",
                 "an overlap: 1 for equal rows", bhattacharyya_coefficient, log_power=0, symmetric=True))
register(Measure("bhattacharyya_distance", "Bhattacharyya distance", "−log BC", "[0, ∞]",
                 "not a metric (the Hellinger distance is)", bhattacharyya_distance, symmetric=True))
register(Measure("chi2_pearson", "Pearson χ²", "Σ (p − q)² / q", "[0, ∞]",
                 "P observed, Q expected: SciPy's power_divergence(P, Q, lambda_='pearson')", chi2_pearson,
                 log_power=0))
register(Measure("chi2_neyman", "Neyman χ²", "Σ (p − q)² / p", "[0, ∞]",
                 "SciPy's power_divergence(P, Q, lambda_='neyman')", chi2_neyman, log_power=0))
register(Measure("renyi_α", "Rényi divergence of order α", "log(Σ p^α q^(1−α)) / (α − 1)", "[0, ∞]",
                 "order 1 is KL; order ½ is −2·log BC", renyi(1.0), family=_renyi_measure))
register(Measure("cross_entropy", "cross-entropy H(P,Q)", "−Σ p·log q", "[H(P), ∞]",
                 "= H(P) + D(P‖Q); torch's cross_entropy with probability targets", cross_entropy))
register(Measure("entropy_p", "entropy H(P)", "−Σ p·log p", "[0, log C]", "SciPy's entropy(P)", entropy_p))
register(Measure("entropy_q", "entropy H(Q)", "−Σ q·log q", "[0, log C]", "SciPy's entropy(Q)", entropy_q))
register(Measure("perplexity_p", "perplexity of P", "e^H(P)", "[1, C]",
                 "the effective number of classes; the same in every base", lambda pair: np.exp(entropy_p(pair)),
                 log_power=0))
register(Measure("perplexity_q", "perplexity of Q", "e^H(Q)", "[1, C]",
                 "the effective number of classes; the same in every base", lambda pair: np.exp(entropy_q(pair)),
                 log_power=0))
register(Measure("wasserstein_1", "1-Wasserstein (earth mover's) distance", "Σ |F_P − F_Q|",
                 "[0, C − 1]", "classes in order, one unit apart: SciPy's wasserstein_distance",
                 wasserstein_1, log_power=0, symmetric=True, unit="class steps",
                 ordered=True))
for _alias, _key in {"kl": "kl_pq", "js": "js_divergence", "jsd": "js_distance", "tv": "total_variation",
                    "bc": "bhattacharyya_coefficient", "chi2": "chi2_pearson", "psi": "jeffreys"}.items():
    ALIASES[_alias] = _key


def named(key: str, alphas: tuple[float, ...] = DEFAULT_ALPHAS) -> Measure:
    """One measure by its key (``js_divergence``, ``renyi_2``, ``wasserstein_1``, …) or alias (``js``)."""
    key = ALIASES.get(key, key)
    if key.startswith("renyi_"):  # renyi_2.0, renyi_.5, renyi_5e-1: the order, written as compare writes it
        alphas = (float(key[6:]),)
        key = alpha_key(alphas[0])
    for measure in catalogue(alphas, ordered=True):
        if measure.key == key:
            return measure
    raise KeyError(key)


def unit_of(measure: Measure, base) -> str:
    """A measure's unit in ``base`` (a report.LogBase): nats, √nats, class steps, or none."""
    if measure.unit:
        return measure.unit
    if measure.log_power == 1:
        return base.unit
    return f"√{base.unit}" if measure.log_power else ""


def evaluate(measures: list[Measure], pair: Pair, scale: float) -> dict[str, np.ndarray]:
    """Each measure's per-row values, log measures divided by ``scale`` (the log of the base)."""
    values = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for measure in measures:
            value = measure.compute(pair)
            if measure.log_power and scale != 1.0:
                value = value / scale ** measure.log_power
            values[measure.key] = value
    return values


@dataclass(frozen=True)
class MeasureContext:
    """What every block of a ``js``, ``compare`` or ``matrix`` run shares."""

    command: str
    measures: list[Measure]
    primary: str | None  # the key -q reports (None: every measure)
    reduction: Reduction  # none, sum, mean or row
    base: object  # report.LogBase
    classes: list[str]
    sources: list[str]  # the operands' names, P first
    kinds: list[str]
    temperature: float = 1.0
    broadcast: str | None = None  # the role of the operand of one row compared with every row
    weights: np.ndarray | None = None  # js: the mixture weights π of an n-way divergence

    @property
    def scale(self) -> float:
        return log_base(self.base.value)

    def with_sources(self, sources: list[str], broadcast: str | None) -> "MeasureContext":
        """The same run with its operands named ``sources`` and ``broadcast`` (the Dask engine's)."""
        return replace(self, sources=list(sources), broadcast=broadcast)

    def unit(self, measure: Measure) -> str:
        return unit_of(measure, self.base)


@dataclass(frozen=True)
class MeasureReport:
    """One block of rows: each measure's per-row values."""

    context: MeasureContext
    values: dict[str, np.ndarray]
    first_row: int = 0
    row_names: list[str] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(next(iter(self.values.values())))


@dataclass(frozen=True)
class MeasureSummary:
    """The whole run: rows and, per reduction, each measure's reduced value."""

    context: MeasureContext
    rows: int
    reductions: dict[str, dict[str, float]]
    warnings: list[str]

    @property
    def value(self) -> dict[str, float] | None:
        return None if self.context.reduction.per_row else self.reductions[self.context.reduction]


#: ``matrix`` computes N² values; above this many rows it asks for fewer.
MAX_MATRIX_ROWS = 2000


def pairwise(p: np.ndarray, log_p: np.ndarray, measure: Measure, scale: float,
             exact: accurate.Rows | None = None) -> np.ndarray:
    """The N × N matrix of ``measure`` between every pair of rows: entry (i, j) is the measure with
    row i as P and row j as Q (``exact``: the same rows for the accurate kernels)."""
    rows = p.shape[0]
    out = np.empty((rows, rows))
    for i in range(rows):
        pair = Pair(np.broadcast_to(p[i], p.shape), np.broadcast_to(log_p[i], p.shape), p, log_p,
                    None if exact is None else accurate.broadcast(exact, rows, i), exact)
        out[i] = evaluate([measure], pair, scale)[measure.key]
    return out
