"""Every common divergence between two rows of probabilities, per row, in pure numpy.

Each measure is a :class:`Measure`: its JSON key, its formula, its range, the convention it follows
(where libraries disagree) and whether it is in log units (and so follows ``--base``). The
functions take rows of probabilities and their logs (``-inf`` where a probability is 0) and return
one value per row, in nats for the log measures.

Zero conventions, as for KL: a term with ``p_i = 0`` contributes 0; a term that needs ``p_i / 0``
is ``+inf`` (KL, χ², Rényi of order > 1), never ``nan``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..registries import Registry

if TYPE_CHECKING:
    pass

#: Rényi orders of ``compare`` when ``--alpha`` is not given.
DEFAULT_ALPHAS = (0.5, 2.0)
RENYI = re.compile(r"renyi_(\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$")


@dataclass(frozen=True)
class kernel:  # noqa: N801  (reads as the call it stands for: kernel("kl"))
    """A formula of :mod:`divcli.measures.kernels` by name (with the order α of a family's member),
    imported when first computed: the catalogue loads no numpy."""

    name: str
    alpha: float | None = None

    def __call__(self, pair):
        from . import kernels as measure_kernels

        function = getattr(measure_kernels, self.name)
        return (function if self.alpha is None else function(self.alpha))(pair)


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    formula: str
    range: str
    convention: str
    compute: Callable  # rows of P and Q (a kernels.Pair) → one value per row
    log_power: float = 1.0  # in nats^log_power: divided by log(base)**log_power; 0 for a plain number
    symmetric: bool = False
    unit: str | None = None  # for measures that are neither log units nor plain numbers
    ordered: bool = False  # needs ordered classes (compare --ordered)
    #: a family of measures, one per order α (Rényi): makes the member of order α
    family: Callable[[float], "Measure"] | None = None


def alpha_key(alpha: float) -> str:
    """``renyi_0.5``, ``renyi_2``: the order as short as it is exact."""
    text = repr(float(alpha))
    return f"renyi_{text[:-2] if text.endswith('.0') else text}"


#: The catalogue: every measure, in compare's order (a family stands for its members, in the order of
#: compare --alpha), with its aliases (short names: ``js``, ``kl``). The one place measures are listed:
#: the keys, the aliases, the checks of the command line, ``divcli measures``, ``divcli formats``,
#: compare, matrix, shell completion and the Python API all come from it.
MEASURES = Registry("measure")


def register(measure: Measure, *aliases: str) -> Measure:
    """Add ``measure`` to the catalogue (at the end: compare shows it last), with its ``aliases``."""
    return MEASURES.register(measure.key, measure, aliases)


def unregister(key: str) -> None:
    """Take the measure ``key`` and its aliases out of the catalogue (a test's throwaway measure)."""
    MEASURES.unregister(key)


def keys() -> list[str]:
    """The measures' keys in compare's order (a family's members, ``renyi_α``, are not listed)."""
    return [measure.key for measure in MEASURES.entries() if measure.family is None]


def aliases() -> dict[str, str]:
    """Short names: alias → key, in the order registered."""
    return MEASURES.aliases()


def known(key: str) -> bool:
    """A key, an alias or ``renyi_α`` with a number α > 0."""
    if key in keys() or key in MEASURES.aliases():
        return True
    return bool(RENYI.match(key)) and 0 < float(key[6:]) < float("inf")


def catalogue(alphas: tuple[float, ...] = DEFAULT_ALPHAS, ordered: bool = False) -> list[Measure]:
    """The measures of ``compare``, in its order: a family's member for every α of ``alphas``, and
    those that need ordered classes (``wasserstein_1``) only when they are."""
    measures = []
    for measure in MEASURES.entries():
        if measure.family is not None:
            measures += [measure.family(alpha) for alpha in alphas]
        elif ordered or not measure.ordered:
            measures.append(measure)
    return measures


def _renyi_measure(alpha: float) -> Measure:
    key = alpha_key(alpha)
    return Measure(key, f"Rényi divergence of order {key[6:]}", f"log(Σ p^α q^(1−α)) / (α − 1), α = {key[6:]}",
                   "[0, ∞]", "order 1 is KL; order ½ is −2·log BC", kernel("renyi", alpha))


register(Measure("kl_pq", "KL divergence D(P‖Q)", "Σ p·log(p/q)", "[0, ∞]",
                 "P is the reference; torch's kl_div(log Q, P), SciPy's entropy(P, Q)", kernel("kl")), "kl")
register(Measure("kl_qp", "reverse KL D(Q‖P)", "Σ q·log(q/p)", "[0, ∞]",
                 "the same with P and Q swapped (mode-seeking)", kernel("kl_qp")))
register(Measure("jeffreys", "Jeffreys divergence (PSI)", "D(P‖Q) + D(Q‖P)", "[0, ∞]",
                 "the population stability index is this sum, in nats", kernel("jeffreys"),
                 symmetric=True), "psi")
register(Measure("js_divergence", "Jensen–Shannon divergence", "½D(P‖M) + ½D(Q‖M), M = ½(P+Q)", "[0, log 2]",
                 "a divergence; SciPy's jensenshannon returns its square root", kernel("js_divergence"),
                 symmetric=True), "js")
register(Measure("js_distance", "Jensen–Shannon distance", "√JS", "[0, √log 2]",
                 "SciPy's jensenshannon(P, Q, base); a metric", kernel("js_distance"),
                 log_power=0.5, symmetric=True), "jsd")
register(Measure("total_variation", "total variation", "½ Σ |p − q|", "[0, 1]",
                 "½ L1 (some texts call the L1 norm itself TV, twice this)", kernel("total_variation"),
                 log_power=0, symmetric=True), "tv")
register(Measure("hellinger", "Hellinger distance", "√(1 − BC) = √(½ Σ (√p − √q)²)", "[0, 1]",
                 "√(1 − BC); some libraries use √2 or 2 times this", kernel("hellinger"), log_power=0, symmetric=True))
register(Measure("bhattacharyya_coefficient", "Bhattacharyya coefficient", "BC = Σ √(p·q)", "[0, 1]",
                 "an overlap: 1 for equal rows", kernel("bhattacharyya_coefficient"), log_power=0,
                 symmetric=True), "bc")
register(Measure("bhattacharyya_distance", "Bhattacharyya distance", "−log BC", "[0, ∞]",
                 "not a metric (the Hellinger distance is)", kernel("bhattacharyya_distance"), symmetric=True))
register(Measure("chi2_pearson", "Pearson χ²", "Σ (p − q)² / q", "[0, ∞]",
                 "P observed, Q expected: SciPy's power_divergence(P, Q, lambda_='pearson')", kernel("chi2_pearson"),
                 log_power=0), "chi2")
register(Measure("chi2_neyman", "Neyman χ²", "Σ (p − q)² / p", "[0, ∞]",
                 "SciPy's power_divergence(P, Q, lambda_='neyman')", kernel("chi2_neyman"), log_power=0))
register(Measure("renyi_α", "Rényi divergence of order α", "log(Σ p^α q^(1−α)) / (α − 1)", "[0, ∞]",
                 "order 1 is KL; order ½ is −2·log BC", kernel("renyi", 1.0), family=_renyi_measure))
register(Measure("cross_entropy", "cross-entropy H(P,Q)", "−Σ p·log q", "[H(P), ∞]",
                 "= H(P) + D(P‖Q); torch's cross_entropy with probability targets", kernel("cross_entropy")))
register(Measure("entropy_p", "entropy H(P)", "−Σ p·log p", "[0, log C]", "SciPy's entropy(P)", kernel("entropy_p")))
register(Measure("entropy_q", "entropy H(Q)", "−Σ q·log q", "[0, log C]", "SciPy's entropy(Q)", kernel("entropy_q")))
register(Measure("perplexity_p", "perplexity of P", "e^H(P)", "[1, C]",
                 "the effective number of classes; the same in every base", kernel("perplexity_p"),
                 log_power=0))
register(Measure("perplexity_q", "perplexity of Q", "e^H(Q)", "[1, C]",
                 "the effective number of classes; the same in every base", kernel("perplexity_q"),
                 log_power=0))
register(Measure("wasserstein_1", "1-Wasserstein (earth mover's) distance", "Σ |F_P − F_Q|",
                 "[0, C − 1]", "classes in order, one unit apart: SciPy's wasserstein_distance",
                 kernel("wasserstein_1"), log_power=0, symmetric=True, unit="class steps",
                 ordered=True))


def named(key: str, alphas: tuple[float, ...] = DEFAULT_ALPHAS) -> Measure:
    """One measure by its key (``js_divergence``, ``renyi_2``, ``wasserstein_1``, …) or alias (``js``)."""
    key = MEASURES.aliases().get(key, key)
    if key.startswith("renyi_"):  # renyi_2.0, renyi_.5, renyi_5e-1: the order, written as compare writes it
        alphas = (float(key[6:]),)
        key = alpha_key(alphas[0])
    for measure in catalogue(alphas, ordered=True):
        if measure.key == key:
            return measure
    raise KeyError(key)


def in_base(text: str, base) -> str:
    """A measure's formula or range written in ``base`` (a vocabulary.LogBase), as its values are: each
    ``log`` as the base's (``log₂``), and the power that undoes it, perplexity's ``e^H``, as ``2^H``:
    the same number of classes in every base, since 2^(H/ln 2) = e^H."""
    if base.value == math.e:
        return text
    return re.sub(r"\be\^", f"{base.power}^", re.sub(r"\blog\b", base.log, text))


def unit_of(measure: Measure, base) -> str:
    """A measure's unit in ``base`` (a vocabulary.LogBase): nats, √nats, class steps, or none."""
    if measure.unit:
        return measure.unit
    if measure.log_power == 1:
        return base.unit
    return f"√{base.unit}" if measure.log_power else ""


#: ``matrix`` computes N² values; above this many rows it asks for fewer.
MAX_MATRIX_ROWS = 2000
#: ``matrix`` computes N² × C terms (every pair of rows, over every class). The slowest measures
#: (js, total variation: their accurate kernels) take 0.3 to 0.7 µs a term on one core here, so this
#: many is up to about a minute; above it matrix asks for fewer rows or classes, or to be told
#: (``max_terms``: 2000 rows of 2000 classes are 8e9 terms, an hour and more). matrix --help says 1e8.
MAX_MATRIX_TERMS = 100_000_000


def check_matrix_size(rows: int, classes: int, where: str = "", max_terms: float | None = None) -> None:
    """Refuse (DataError) a matrix of more than :data:`MAX_MATRIX_ROWS` rows, or of more than
    ``max_terms`` terms (N² × C; None: :data:`MAX_MATRIX_TERMS`), before anything is computed."""
    from ..errors import DataError, option

    if rows > MAX_MATRIX_ROWS:
        raise DataError(where, f"{rows} rows make a matrix of {rows ** 2:,} values, more than matrix computes "
                               f"({MAX_MATRIX_ROWS} rows)", "take a sample of the rows")
    terms = rows * rows * classes
    limit = MAX_MATRIX_TERMS if max_terms is None else max_terms
    if terms > limit:
        beyond = (f"the {MAX_MATRIX_TERMS:,} matrix computes unless asked (about a minute)" if max_terms is None
                  else f"{option('max_terms', int(max_terms))} allows")
        raise DataError(where, f"{rows} rows × {classes:,} classes make {terms:,} terms to compute (rows² × classes), "
                               f"more than {beyond}",
                        f"take a sample of the rows or classes, or pass {option('max_terms', terms)} to compute "
                        "them anyway")
