"""The shared records and enums, without numpy (the command line reads them before numpy is imported):
the reduction, kl/ce/entropy's command, the logarithm base and where an operand came from."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class Reduction(str, enum.Enum):
    """How the element or row values become the single reported value (torch's meanings).

    A ``str`` as well, equal to its value (``Reduction.MEAN == "mean"``, the same hash), so records
    and documents hold it as the word the user wrote."""

    NONE = "none"
    SUM = "sum"
    MEAN = "mean"
    BATCHMEAN = "batchmean"
    ROW = "row"  # one value per row: kl's Σ over the classes, the per-row values of the others

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value

    @property
    def per_row(self) -> bool:
        """``none`` and ``row`` report values per row (or element), not one number."""
        return self in (Reduction.NONE, Reduction.ROW)

    @classmethod
    def default_for(cls, command: str) -> "Reduction":
        """The reduction of ``command`` when none is given: kl's batchmean (torch's advice), else mean."""
        return cls.BATCHMEAN if command == "kl" else cls.MEAN

    @classmethod
    def choices_for(cls, command: str) -> tuple[str, ...]:
        """The reductions ``command`` takes: batchmean is kl's only."""
        return tuple(r.value for r in cls if r is not cls.BATCHMEAN or command == "kl")


class Command(enum.Enum):
    KL = "kl"
    CE = "ce"
    ENTROPY = "entropy"

    @property
    def quantity(self) -> str:
        return {"kl": "D(P‖Q)", "ce": "H(P,Q)", "entropy": "H(P)"}[self.value]

    @property
    def title(self) -> str:
        return {"kl": "KL divergence", "ce": "cross-entropy", "entropy": "entropy"}[self.value]

    def __str__(self) -> str:
        return self.value

    @property
    def default_reduction(self) -> Reduction:
        return Reduction.default_for(self.value)


UNITS = {math.e: "nats", 2.0: "bits", 10.0: "bans"}

#: The names ``--base`` takes besides numbers, and the base each names (as the text it is reported as).
BASE_NAMES = {"e": "e", "nat": "e", "nats": "e", "ln": "e",
              "bit": "2", "bits": "2", "log2": "2",
              "ban": "10", "bans": "10", "log10": "10", "dit": "10", "dits": "10", "hartley": "10", "hartleys": "10"}
_BASE_VALUES = {"e": math.e, "2": 2.0, "10": 10.0}
#: What every refusal of a base says to do instead.
BASE_HINT = "use e, 2, 10 (or nats, bits, bans) or any number above 1"

#: The logarithm's symbol in the tables' headers and formulas (``log₂ p``, ``p·log₁₀(p/q)``), and
#: its ASCII form where the output cannot show subscripts: the only place these strings are made.
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
#: Whole-number bases below this are written with subscript digits; the others as ``log_2.5``.
_SUBSCRIPT_BELOW = 1_000_000


@dataclass(frozen=True)
class LogBase:
    """A logarithm base as the user wrote it (``e``, ``2``, ``10``, ``3.5``) and its value."""

    text: str
    value: float

    @classmethod
    def parse(cls, value) -> "LogBase":
        """``e``, ``2``, ``10``, a unit's name (``nats``/``nat``/``ln``, ``bits``/``bit``/``log2``,
        ``bans``/``ban``/``log10``/``dits``/``hartleys``) or any finite number above 1, as a
        :class:`LogBase`; a :class:`ValueError` saying why for anything else. A base in (0, 1) is
        refused too: its logarithms have the opposite sign, so every divergence would come out
        negative and every entropy below 0."""
        if isinstance(value, LogBase):
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.lower() in BASE_NAMES:
                name = BASE_NAMES[text.lower()]
                return cls(name, _BASE_VALUES[name])
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{value!r} is not a number; {BASE_HINT}") from None
        else:
            text, number = str(value), float(value)
        if not math.isfinite(number) or number <= 0 or number == 1:
            raise ValueError(f"{value!r} is not a logarithm base; {BASE_HINT}")
        if number < 1:
            raise ValueError(f"{value!r} is below 1: a base in (0, 1) flips the sign of every value (every "
                             f"divergence would come out negative); {BASE_HINT}")
        return cls(text, number)

    @property
    def unit(self) -> str:
        return UNITS.get(self.value, f"log-base-{self.text} units")

    @property
    def log(self) -> str:
        """The logarithm in this base as the tables write it: ``log`` (base e), ``log₂``, ``log₁₀``,
        ``log₃``, ``log_2.5`` (a base that is no whole number)."""
        return self._log(ascii=False)

    @property
    def ascii_log(self) -> str:
        """:attr:`log` without subscripts: ``log``, ``log2``, ``log10``, ``log3``, ``log_2.5``."""
        return self._log(ascii=True)

    def _log(self, ascii: bool) -> str:
        if self.value == math.e:
            return "log"
        if self.value.is_integer() and self.value < _SUBSCRIPT_BELOW:
            digits = str(int(self.value))
            return "log" + (digits if ascii else digits.translate(_SUBSCRIPTS))
        return f"log_{self.value:g}"

    @property
    def power(self) -> str:
        """The base as the power that undoes the logarithm is written: ``e``, ``2``, ``10``, ``2.5``."""
        return "e" if self.value == math.e else f"{self.value:g}"


NATURAL = LogBase("e", math.e)


@dataclass(frozen=True)
class Side:
    """Where an operand came from and how it was read."""

    source: str
    kind: Kind
    role: str
    inferred: bool = False  # ce's P read as labels without --p-as labels

    @property
    def label(self) -> str:
        return "P (reference)" if self.role == "P" else "Q (model)"

    @property
    def read_as(self) -> str:
        return "labels (class indices, one per row)" if self.inferred else self.kind.value


#: The operands of js and compare in messages: P, Q, then R, S, … (at most 11).
ROLES = "PQRSTUVWXYZ"


DEFAULT_TOLERANCE = 1e-6

#: entropy's ``--estimator`` of H(P) from counts, and each one's name in the output
#: (:mod:`divcli.numerics.estimators` computes them).
ESTIMATORS = {"plugin": "plug-in", "miller-madow": "Miller–Madow", "chao-shen": "Chao–Shen",
              "shrink": "James–Stein shrinkage", "jackknife": "jackknife"}


#: The most resamples ``--bootstrap`` takes: a million resamples of a row is already minutes of work.
MAX_RESAMPLES = 1_000_000


@dataclass(frozen=True)
class Intervals:
    """Bootstrap intervals of measures of counts (``--bootstrap N --ci C --seed S``): how many
    resamples of each row's counts, the confidence level C, the seed of the draws (row r's draws
    come from the seed and r alone), and how the interval is read from the resamples' values:
    ``percentile`` (their (1 − C)/2 and (1 + C)/2 quantiles) or ``shifted percentile`` (those
    quantiles moved by twice the bias the resamples show: the plug-in entropy's)."""

    resamples: int
    confidence: float
    seed: int
    method: str = "percentile"

    def document(self) -> dict:
        """What JSON's head says of them."""
        return {"method": self.method, "confidence": self.confidence, "resamples": self.resamples,
                "seed": self.seed}

    def text(self, of: str = "the counts") -> str:
        """The header's line: ``95% percentile intervals from 1,000 resamples of the counts, seed 7``
        (``of``: what was resampled)."""
        return (f"{self.confidence * 100:g}% {self.method} bootstrap intervals [low, high] from "
                f"{count_of(self.resamples, 'resample', 'resamples', grouped=True)} of {of}, seed {self.seed}")


DEFAULT_IGNORE_INDEX = -100


class Kind(enum.Enum):
    PROBS = "probs"
    LOGITS = "logits"
    LOG_PROBS = "log-probs"
    LABELS = "labels"
    COUNTS = "counts"  # whole numbers ≥ 0, each row ÷ its sum N (as --normalize), N kept


@dataclass(frozen=True)
class Conversion:
    """How to read the numbers of the operands (the command-line options, gathered)."""

    tolerance: float = DEFAULT_TOLERANCE
    normalize: bool = False
    temperature: float = 1.0
    ignore_index: int | None = None  # only ce skips rows; elsewhere every label must be a class
    #: smoothing of counts and probabilities (kl, js, compare): A added to every class's count, or the
    #: shares floored at E, then normalised (:mod:`divcli.numerics.smoothing`); None: not smoothed
    pseudocount: float | None = None
    epsilon: float | None = None
    #: The options given on the command line (``{"columns", "normalize"}``), by their parameter names:
    #: a hint never suggests one of them again.
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Options:
    """Everything besides the operands that decides the numbers."""

    p_kind: Kind = Kind.PROBS
    q_kind: Kind = Kind.PROBS
    reduction: Reduction | None = None  # None: the command's default
    base: LogBase | None = None
    conversion: Conversion = Conversion()
    label_smoothing: float = 0.0
    q_conversion: Conversion | None = None  # Q read otherwise than P (distill: T on one side only)
    #: ce: a P of one column of class indices (integers in [0, C), C > 1), or a 1-D array of integers (np.save'd
    #: labels, a JSON list of whole numbers) holding them, is read as labels
    infer_labels: bool = False
    #: an operand with one class a row (every divergence 0) is an error, and so is ce's Q of class indices
    #: (torch's order, ``ce LOGITS LABELS``): the CLI's choice
    refuse_one_class: bool = False
    #: a class that one operand names and another does not (classes matched by name): "zero" counts it as
    #: 0 there; None: a histogram's bins are counted as 0, other named classes refused (engine.by_name)
    missing: str | None = None


def make_options(p_as: str | Kind = Kind.PROBS, q_as: str | Kind = Kind.PROBS, reduction: str | None = None,
                 base="e", *, tolerance: float = DEFAULT_TOLERANCE, normalize: bool = False,
                 temperature: float = 1.0, ignore_index: int | None = None, given: frozenset[str] = frozenset(),
                 label_smoothing: float = 0.0, infer_labels: bool = False,
                 refuse_one_class: bool = False, pseudocount: float | None = None, epsilon: float | None = None,
                 missing: str | None = None) -> Options:
    """The one place :class:`Options` are made, from the words a caller has (``"logits"``, ``"mean"``,
    ``"bits"``): the command line's request, the Python API and distill's passes. ``reduction`` None
    (or empty) is the command's default; ``base`` anything :meth:`LogBase.parse` takes."""
    return Options(
        p_kind=Kind(p_as), q_kind=Kind(q_as),
        reduction=Reduction(reduction) if reduction else None,
        base=LogBase.parse(base),
        conversion=Conversion(tolerance=tolerance, normalize=normalize, temperature=temperature,
                              ignore_index=ignore_index, given=given, pseudocount=pseudocount, epsilon=epsilon),
        label_smoothing=label_smoothing,
        infer_labels=infer_labels,
        refuse_one_class=refuse_one_class,
        missing=missing,
    )


def count_of(n: int, one: str, many: str, grouped: bool = False) -> str:
    """``1 row``, ``3 rows``; ``grouped``: ``1,000 rows``."""
    return f"{n:,} {one if n == 1 else many}" if grouped else f"{n} {one if n == 1 else many}"
