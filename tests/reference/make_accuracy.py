"""Generate ``tests/reference/accuracy.json``: divcli's accuracy contract, computed exactly.

Every case holds float64 operands and the exact value of divcli's quantity for those floats, computed
with mpmath at 80 significant digits (``mp.dps = 80``; the large-temperature family at
2·log10(T) + 60) and stored as decimal strings of 50 significant digits. tests/numerics/test_accuracy.py runs divcli on every case and checks the bounds; it does
not need mpmath.

How to run (from the repository root, after ``make install``)::

    .venv/bin/pip install mpmath
    .venv/bin/python tests/reference/make_accuracy.py

It rewrites ``tests/reference/accuracy.json`` deterministically (fixed seeds, fixed literals).

"Exact" means: each float64 input converted exactly (``mpmath.mpf(float)``), then

* probability rows: p = row / (exact sum of the row), with or without ``--normalize``;
* logit rows, and log-probability rows with ``--normalize``: p = exp(z − logsumexp(z)), with
  log p = z − max − log Σ exp(z − max) (no exp of a huge number is ever taken);
* labels: one-hot; ``ce``'s target is (1 − ε)·p + ε/C, per-row loss −Σ w_c p'_c log q_c, ``mean``
  over N for probability targets and over Σ_n w_{y_n} for labels (divcli's report.ce_report).

Quantities per row: D(P‖Q) = Σ p log(p/q) (0·log 0 = 0), H(P) = −Σ p log p, H(P,Q) = −Σ p log q,
JS = ½D(P‖M) + ½D(Q‖M) with M = (P+Q)/2, Jeffreys = D(P‖Q) + D(Q‖P); reductions as divcli's
(kl: sum, mean over N·C, batchmean over N; the others: sum and mean).

One approximation, far below every bound: a class whose z − max is below −1e5 has p < 1e-43429, and
its p is taken as 0 (its log p stays exact). mpmath's exp does not handle arguments such as −2e308.
The only stored values this touches are entropies of rows like [1e308, −1e308, 0], exactly about
1e308·exp(−1e308), stored as 0; the bound's absolute 1e-20 governs them either way.

The 100,000-class rows are not stored: both this script and the test make them from
``numpy.random.default_rng(seed)`` (bit-exact across machines: PCG64, no libm), and the case
stores a SHA-256 of their bytes so the test proves it has the same floats.
"""

from __future__ import annotations

import hashlib
import json
import math
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np

mpmath.mp.dps = 80
DIGITS = 50
NEGLIGIBLE = -100_000  # exp(z − max) below exp(−1e5) ≈ 1e-43429 is taken as 0 (see the docstring)
OUT = Path(__file__).resolve().with_name("accuracy.json")
EPSILONS = [10.0 ** -k for k in range(1, 14)]

mpf = mpmath.mpf
ZERO = mpf(0)


def text(x) -> str:
    """An mpf as a decimal string of DIGITS significant digits ('inf' for +inf)."""
    if mpmath.isinf(x):
        return "inf" if x > 0 else "-inf"
    return mpmath.nstr(x, DIGITS, min_fixed=-5, max_fixed=6)


def floats(row) -> list[str]:
    """A row of float64, each as repr (which reads back as the same float)."""
    return [repr(float(x)) for x in row]


# ---------------------------------------------------------------- distributions, exactly


class Exact:
    """One row as exact probabilities ``p`` and logs ``log_p`` (None where p = 0)."""

    def __init__(self, p, log_p):
        self.p, self.log_p = p, log_p


def from_probs(row) -> Exact:
    total = sum((Fraction(float(x)) for x in row), Fraction(0))
    s = mpf(total.numerator) / total.denominator
    log_s = mpmath.log(s)
    p = [mpf(float(x)) / s for x in row]
    log_p = [mpmath.log(mpf(float(x))) - log_s if x > 0 else None for x in row]
    return Exact(p, log_p)


def log_total(shifted, exps):
    """log Σ e^(z − max) = log k + log1p(rest / k), k the classes at the max: a confident row's
    log(1 + 1e-500) keeps its digits (log of the rounded 80-digit sum would be 0)."""
    top = sum(1 for x in shifted if x == 0)
    rest = mpmath.fsum(e for x, e in zip(shifted, exps) if x != 0)
    return mpmath.log(top) + mpmath.log1p(rest / top)


def from_logits(row) -> Exact:
    z = [mpf(float(x)) for x in row]
    top = max(z)
    shifted = [x - top for x in z]
    exps = [mpmath.exp(x) if x > NEGLIGIBLE else ZERO for x in shifted]
    lse = log_total(shifted, exps)
    total = mpmath.fsum(exps)
    return Exact([e / total for e in exps], [x - lse for x in shifted])


def from_label(label: int, classes: int) -> Exact:
    return Exact([mpf(1) if c == label else ZERO for c in range(classes)],
                 [ZERO if c == label else None for c in range(classes)])


def from_scaled_logits(row, temperature: float) -> Exact:
    """Softmax of z / T with the division exact (``-T``): mpf(z) / mpf(T), no rounding of z / T."""
    t = mpf(float(temperature))
    z = [mpf(float(x)) / t if x != -math.inf else None for x in row]
    top = max(x for x in z if x is not None)
    shifted = [x - top if x is not None else None for x in z]
    exps = [mpmath.exp(x) if x is not None and x > NEGLIGIBLE else ZERO for x in shifted]
    total = mpmath.fsum(exps)
    lse = log_total([x if x is not None else -mpmath.inf for x in shifted], exps)
    return Exact([e / total for e in exps], [x - lse if x is not None else None for x in shifted])


def distribution(row, kind: str, classes: int | None = None, temperature: float = 1.0) -> Exact:
    if kind == "probs":
        return from_probs(row)
    if kind == "logits" and temperature != 1.0:
        return from_scaled_logits(row, temperature)
    if kind in ("logits", "log-probs"):  # log-probs only with --normalize here
        return from_logits(row)
    return from_label(int(row[0]), classes)


def smoothed(p: Exact, epsilon: float) -> Exact:
    if epsilon == 0:
        return p
    eps, classes = mpf(epsilon), len(p.p)
    values = [(1 - eps) * x + eps / classes for x in p.p]
    return Exact(values, [mpmath.log(x) if x > 0 else None for x in values])


# ---------------------------------------------------------------- quantities, exactly


def entropy(p: Exact):
    return -mpmath.fsum(x * lx for x, lx in zip(p.p, p.log_p) if x > 0)


def cross_entropy(p: Exact, q: Exact, weight=None):
    terms = []
    for c, (x, lq) in enumerate(zip(p.p, q.log_p)):
        if x > 0:
            if lq is None:
                return mpmath.inf
            terms.append((mpf(weight[c]) if weight is not None else 1) * x * lq)
    return -mpmath.fsum(terms)


def kl(p: Exact, q: Exact):
    terms = []
    for x, lp, lq in zip(p.p, p.log_p, q.log_p):
        if x > 0:
            if lq is None:
                return mpmath.inf
            terms.append(x * (lp - lq))
    return mpmath.fsum(terms)


def mixture(p: Exact, q: Exact) -> Exact:
    m = [(a + b) / 2 for a, b in zip(p.p, q.p)]
    return Exact(m, [mpmath.log(x) if x > 0 else None for x in m])


def js(p: Exact, q: Exact):
    m = mixture(p, q)
    return (kl(p, m) + kl(q, m)) / 2


def parts(p: Exact, q: Exact | None) -> dict:
    """Per-row quantities for the fixture's self-consistency test (CE = H + KL, JS = H(M) − ½(H(P) + H(Q)));
    without Q, against the uniform distribution (log C = H(P) + D(P‖U))."""
    if q is None:
        classes = len(p.p)
        q = Exact([mpf(1) / classes] * classes, [-mpmath.log(classes)] * classes)
    return {"entropy_p": entropy(p), "entropy_q": entropy(q), "entropy_m": entropy(mixture(p, q)),
            "cross_entropy": cross_entropy(p, q), "kl_pq": kl(p, q), "kl_qp": kl(q, p)}


# ---------------------------------------------------------------- cases


def seeded_rows(spec: dict) -> np.ndarray:
    """Rows made from a seed (the test has the same function): logits or counts."""
    rng = np.random.default_rng(spec["seed"])
    shape = (spec["rows"], spec["classes"])
    if spec["how"] == "normal":
        return rng.standard_normal(shape) * spec["scale"]
    return rng.random(shape)  # counts in [0, 1), for --normalize


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype="<f8").tobytes()).hexdigest()


def operand(values):
    """The stored form of an operand: rows of repr floats, or a seeded generator with its checksum."""
    if isinstance(values, dict):
        array = seeded_rows(values)
        return {**values, "sha256": digest(array)}, array
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    return [floats(row) for row in array], array


def case(family, name, command, p, q, *, p_as="probs", q_as="probs", bound="ordinary", options=None,
         cli=True, cli_p=None, note=None) -> dict:
    """One case: operands, options, and the exact per-row values, reductions and parts."""
    options = dict(options or {})
    p_stored, p_array = operand(p)
    q_stored, q_array = (None, None) if q is None else operand(q)
    classes = (q_array if p_as == "labels" else p_array).shape[1]
    rows = max(p_array.shape[0], 1 if q_array is None else q_array.shape[0])
    epsilon = options.get("label_smoothing", 0.0)
    weight = options.get("weight")
    temperature = options.get("temperature", 1.0)
    values, all_parts, divisor = [], [], mpf(0)
    for n in range(rows):
        p_row = p_array[min(n, p_array.shape[0] - 1)]
        pd = distribution(p_row, p_as, classes, temperature)
        qd = None if q_array is None else distribution(q_array[min(n, q_array.shape[0] - 1)], q_as,
                                                       temperature=temperature)
        if command == "entropy":
            value = entropy(pd)
        elif command == "kl":
            value = kl(pd, qd)
        elif command == "js":
            value = js(pd, qd)
        elif command == "jeffreys":
            value = kl(pd, qd) + kl(qd, pd)
        elif command == "ce":
            pd = smoothed(pd, epsilon)
            value = cross_entropy(pd, qd, weight)
            if p_as == "labels":
                divisor += mpf(weight[int(p_row[0])]) if weight is not None else 1
        values.append(value)
        all_parts.append(parts(pd, qd))
    total = mpmath.fsum(values)
    reductions = {"sum": total}
    if command == "kl":
        reductions.update(mean=total / (rows * classes), batchmean=total / rows)
    else:
        reductions["mean"] = total / (divisor if command == "ce" and p_as == "labels" else rows)
    detail = name if isinstance(name, str) else "-".join(str(x) for x in name)
    stored = {
        "id": f"{family}-{command}-{detail}", "family": family, "command": command, "bound": bound,
        "p_as": p_as, "q_as": q_as if q is not None else None, "options": options,
        "rows": rows, "classes": classes, "cli": cli and classes <= 1000,
        "p": p_stored, "q": q_stored,
        "exact": {"rows": [text(v) for v in values], "reductions": {k: text(v) for k, v in reductions.items()}},
        "parts": {key: [text(part[key]) for part in all_parts] for key in all_parts[0]},
    }
    if cli_p is not None:
        stored["cli_p"] = cli_p
    if note:
        stored["note"] = note
    return stored


def both_ways(family, name, commands, p, q, **how):
    out = []
    for command in commands:
        out.append(case(family, [*name, "pq"], command, p, q, **how))
        out.append(case(family, [*name, "qp"], command, q, p, **how))
    return out


def softmax64(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # -1e308 - 1e308 is -inf, whose exp is the 0 wanted
        e = np.exp(z - z.max())
    return e / e.sum()


def near_family() -> list[dict]:
    """P ≈ Q: logits (3 and 16 classes) perturbed by ε, with and without a shift of Q's logits, and
    probabilities (P a float64 softmax, Q = P·(1 + ε·r) with Σ p·r = 0, not renormalised)."""
    rng = np.random.default_rng(20261127)
    cases = []
    commands = ("kl", "js", "jeffreys", "ce")
    for classes in (3, 16):
        z = rng.standard_normal(classes) * 2
        r = rng.standard_normal(classes)
        for eps in EPSILONS:
            tag = f"{eps:.0e}"
            for shift in (0.0, 5.0, -37.25, 1e4):
                q = z + eps * r + shift
                cli = eps in (1e-1, 1e-5, 1e-9, 1e-13) and shift in (0.0, 1e4)
                cases += both_ways("near", [f"logits{classes}", f"shift{shift:g}", tag], commands, z, q,
                                   p_as="logits", q_as="logits", bound="near", cli=cli)
            p = softmax64(z)
            centred = r - float(np.dot(p, r))
            q = p * (1 + eps * centred)
            cli = eps in (1e-1, 1e-5, 1e-9, 1e-13)
            options = {} if abs(math.fsum(q) - 1) < 5e-7 else {"tolerance": 1e-3}
            cases += both_ways("near", [f"probs{classes}", tag], commands, p, q, bound="near", cli=cli,
                               options=options)
    return cases


def extreme_logits_family() -> list[dict]:
    rows = {
        "1e308": [1e308, -1e308, 0.0],
        "700": [700.0, -700.0, 699.5],
        "m1e308": [-1e308, 1e308, 5.0],
        "pm700": [-700.0, 700.0, 0.0],
        "big3": [1e308, 1e308 * 0.999, -1e308],
    }
    cases = []
    for name, row in rows.items():
        cases.append(case("extreme", name, "entropy", row, None, p_as="logits"))
    pairs = [("700", "1e308"), ("1e308", "700"), ("700", "pm700"), ("pm700", "700"), ("1e308", "1e308"),
             ("big3", "1e308"), ("m1e308", "700")]
    for a, b in pairs:
        cases.append(case("extreme", f"{a}-vs-{b}", "kl", rows[a], rows[b], p_as="logits", q_as="logits"))
        cases.append(case("extreme", f"{a}-vs-{b}", "ce", rows[a], rows[b], p_as="logits", q_as="logits"))
    for a, b in [("700", "1e308"), ("1e308", "700"), ("pm700", "m1e308")]:
        p = softmax64(np.array(rows[a]))  # probabilities in float64 (underflowed entries are 0)
        cases.append(case("extreme", f"probs{a}-vs-{b}", "ce", p, rows[b], q_as="logits"))
        cases.append(case("extreme", f"probs{a}-vs-{b}", "kl", p, rows[b], q_as="logits"))
    for label in range(3):
        for name in ("1e308", "700", "m1e308"):
            cases.append(case("extreme", f"label{label}-vs-{name}", "ce", [[label]], rows[name],
                              p_as="labels", q_as="logits"))
    return cases


def log_probs_family() -> list[dict]:
    base3 = [math.log(0.2), math.log(0.3), math.log(0.5)]
    rng = np.random.default_rng(7)
    base16 = list(np.log(softmax64(rng.standard_normal(16) * 3)))
    cases = []
    options = {"normalize": True}
    for shift in (-1e308, -1e15, -123456.7):
        for name, base in (("3", base3), ("16", base16)):
            row = [x + shift for x in base]
            tag = f"shift{shift:g}-c{name}"
            cases.append(case("logprobs", tag, "entropy", row, None, p_as="log-probs", options=options))
            other = [x + 0.5 for x in reversed(base)]  # a normalised-enough Q, also normalised
            cases.append(case("logprobs", tag, "kl", row, [other], p_as="log-probs", q_as="log-probs",
                              options=options))
            cases.append(case("logprobs", f"{tag}-rev", "kl", [other], row, p_as="log-probs", q_as="log-probs",
                              options=options))
            cases.append(case("logprobs", f"{tag}-self", "kl", row, [x - 1e15 for x in base],
                              p_as="log-probs", q_as="log-probs", options=options))
    return cases


def subnormal_family() -> list[dict]:
    rows = {
        "tiny": [1 - 1e-10, 1e-10, 5e-324],
        "tiny2": [0.5, 0.5 - 1e-300, 1e-300],
        "sub": [1.0, 5e-324, 2.5e-320],
        "mixed": [0.25, 0.25, 0.5 - 1e-300, 1e-300],
        "zero": [1 - 1e-10, 1e-10, 0.0],
        "denorm": [1e-310, 1 - 1e-16, 1e-16],
    }
    cases = []
    for name, row in rows.items():
        cases.append(case("subnormal", name, "entropy", row, None))
    pairs = [("tiny", "sub"), ("sub", "tiny"), ("tiny", "denorm"), ("denorm", "tiny"), ("zero", "tiny"),
             ("tiny2", "tiny"), ("tiny", "tiny2"), ("sub", "denorm")]
    for a, b in pairs:
        for command in ("kl", "ce", "js"):
            cases.append(case("subnormal", f"{a}-vs-{b}", command, rows[a], rows[b]))
    cases.append(case("subnormal", "mixed-vs-uniform", "kl", rows["mixed"], [0.25] * 4))
    cases.append(case("subnormal", "uniform-vs-mixed", "kl", [0.25] * 4, rows["mixed"]))
    cases.append(case("subnormal", "mixed-vs-uniform", "js", rows["mixed"], [0.25] * 4))
    return cases


def random_family() -> list[dict]:
    cases = []
    for classes, rows in ((3, 5), (16, 4), (1000, 2)):
        rng = np.random.default_rng(1000 + classes)
        zp = rng.standard_normal((rows, classes)) * 3
        zq = rng.standard_normal((rows, classes)) * 3
        pp = np.array([softmax64(z) for z in zp])
        pq = np.array([softmax64(z) for z in zq])
        tag = f"c{classes}"
        cases.append(case("random", f"{tag}-probs", "entropy", pp, None))
        cases.append(case("random", f"{tag}-logits", "entropy", zp, None, p_as="logits"))
        for command in ("kl", "ce", "js", "jeffreys"):
            cases.append(case("random", f"{tag}-probs", command, pp, pq))
            cases.append(case("random", f"{tag}-logits", command, zp, zq, p_as="logits", q_as="logits"))
        cases.append(case("random", f"{tag}-probs-logits", "kl", pp, zq, q_as="logits"))
        counts = rng.random((rows, classes))
        cases.append(case("random", f"{tag}-counts", "kl", counts, pq, options={"normalize": True}))
    big_p = {"how": "uniform", "seed": 100_001, "rows": 1, "classes": 100_000}
    big_zp = {"how": "normal", "seed": 100_002, "rows": 1, "classes": 100_000, "scale": 4.0}
    big_zq = {"how": "normal", "seed": 100_003, "rows": 1, "classes": 100_000, "scale": 4.0}
    cases.append(case("random", "c100000-counts", "entropy", big_p, None, options={"normalize": True}))
    cases.append(case("random", "c100000-logits", "entropy", big_zp, None, p_as="logits"))
    cases.append(case("random", "c100000-logits", "kl", big_zp, big_zq, p_as="logits", q_as="logits"))
    cases.append(case("random", "c100000-counts-logits", "kl", big_p, big_zq, q_as="logits",
                      options={"normalize": True}))
    cases.append(case("random", "c100000-logits", "ce", big_zp, big_zq, p_as="logits", q_as="logits"))
    cases.append(case("random", "c100000-logits", "js", big_zp, big_zq, p_as="logits", q_as="logits"))
    return cases


def ce_family() -> list[dict]:
    rng = np.random.default_rng(5)
    classes, rows = 5, 4
    zq = rng.standard_normal((rows, classes)) * 2
    pq = np.array([softmax64(z) for z in zq])
    pp = np.array([softmax64(z) for z in rng.standard_normal((rows, classes))])
    labels = [[2], [0], [4], [2]]
    weight = [0.5, 2.0, 1.0, 1.5, 0.25]
    cases = []
    for epsilon in (0.0, 0.1, 0.25):
        for weights in (None, weight):
            options = {"label_smoothing": epsilon}
            if weights is not None:
                options["weight"] = weights
            tag = f"eps{epsilon:g}-{'w' if weights else 'now'}"
            cases.append(case("ce", f"labels-logits-{tag}", "ce", labels, zq, p_as="labels", q_as="logits",
                              options=options))
            cases.append(case("ce", f"labels-probs-{tag}", "ce", labels, pq, p_as="labels", options=options))
            cases.append(case("ce", f"probs-logits-{tag}", "ce", pp, zq, q_as="logits", options=options))
            cases.append(case("ce", f"probs-probs-{tag}", "ce", pp, pq, options=options))
    return cases


def seed_family() -> list[dict]:
    p = [9 / 25, 12 / 25, 4 / 25]
    q = [1 / 3, 1 / 3, 1 / 3]
    return [case("seed", "notebook", "kl", p, q, cli_p="9/25,12/25,4/25",
                 note="the README's first example; with the rationals exact the value is 0.0852996013183705603…")]


# ---------------------------------------------------------------- adversarial families (issue 12)
#
# Found by an adversarial pass over the rewritten kernels; several of these fail on purpose until the
# kernels are fixed (see the commit that added them).


def confident_family() -> list[dict]:
    """Confident logit rows (one class far above the others): H(P) and H(P,Q) are then tiny, about
    gap·e^−gap, and log Σ e^(z − max) = log(1 + δ) must keep δ's digits. Labels against such logits
    are the everyday case (the per-row loss of a well-trained classifier)."""
    rng = np.random.default_rng(31)
    gaps = [5.0, 10.0, 20.0, 30.0, 36.0, 40.0, 45.0, 60.0]
    ladder = np.array([[0.0, -g, -g - 1.5, -g - 3.0] for g in gaps])
    other = np.array([[0.0, -g - 0.7, -g + 0.3, -g - 2.0] for g in gaps])
    cases = [case("confident", "ladder4", "entropy", ladder, None, p_as="logits"),
             case("confident", "ladder4-logprobs", "entropy", ladder, None, p_as="log-probs", options={"normalize": True}),
             case("confident", "ladder4-probs", "entropy", np.array([softmax64(z) for z in ladder]), None),
             case("confident", "ladder4", "kl", ladder, other, p_as="logits", q_as="logits"),
             case("confident", "ladder4", "ce", ladder, other, p_as="logits", q_as="logits"),
             case("confident", "ladder4", "js", ladder, other, p_as="logits", q_as="logits"),
             case("confident", "ladder4-labels", "ce", [[0]] * len(gaps), other, p_as="labels", q_as="logits"),
             case("confident", "ladder4-probs", "ce", np.array([softmax64(z) for z in ladder]), other,
                  q_as="logits")]
    for classes, rows in ((10, 8), (1000, 2)):
        z = rng.standard_normal((rows, classes)) * 3
        labels = rng.integers(0, classes, rows)
        z[np.arange(rows), labels] += np.linspace(12.0, 45.0, rows)
        zq = z + rng.standard_normal((rows, classes)) * 0.5
        tag = f"c{classes}"
        cases.append(case("confident", tag, "entropy", z, None, p_as="logits"))
        cases.append(case("confident", f"{tag}-labels", "ce", [[int(y)] for y in labels], zq, p_as="labels",
                          q_as="logits"))
        cases.append(case("confident", tag, "kl", z, zq, p_as="logits", q_as="logits"))
        cases.append(case("confident", tag, "ce", z, zq, p_as="logits", q_as="logits"))
    return cases


def temperature_family() -> list[dict]:
    """Logits ÷ T (``-T``): the exact value is the softmax of z / T computed exactly. With an offset
    of the logits (1e3, 1e6) the rounding of z / T is far above 1e-14 of the result."""
    rng = np.random.default_rng(41)
    cases = []
    for temperature in (0.5, 2.0, 3.0, 7.0, 0.1, 1e-3, 1e100):
        for offset in (0.0, 1e3, 1e6):
            scale = 10.0 if temperature >= 0.1 else 0.03  # z / T spread over ~30 nats, not ~1e4 (whose
            # exact JS needs thousands of digits: the mixture of two rows 1 − 1e-550 apart)
            zp = rng.standard_normal((3, 8)) * scale + offset
            zq = rng.standard_normal((3, 8)) * scale + offset
            tag = f"T{temperature:g}-off{offset:g}"
            options = {"temperature": temperature}
            for command in ("kl", "ce", "js"):
                cases.append(case("temperature", tag, command, zp, zq, p_as="logits", q_as="logits", options=options))
            cases.append(case("temperature", tag, "entropy", zp, None, p_as="logits", options=options))
    return cases


def large_temperature_family() -> list[dict]:
    """kl and js at large T (``-T`` up to divcli's limit for kl, 1e100): D(P‖Q) at T is about
    ½·Var(z_q − z_p)/T², and the distillation loss T²·D keeps its digits only if D does, so these
    cases are held to a relative bound with no absolute floor (bound ``tempered``). The exact values need about
    2·log10(T) digits more than the others (D is the difference of logs that agree to ~1/T): each
    case is computed at 2·log10(T) + 60 digits. Rows: logits (8 classes), with an offset of 1e3,
    with a class masked (−inf) in both, nearly equal (Q = P + 1e-6·noise), and 1000 classes."""
    rng = np.random.default_rng(43)
    cases = []
    for temperature in (1e4, 1e8, 1e12, 1e16, 1e30, 1e60, 1e100):
        with mpmath.workdps(int(2 * math.log10(temperature)) + 60):
            zp = rng.standard_normal((4, 8)) * 3.0
            zq = rng.standard_normal((4, 8)) * 3.0
            zp[1] += 1e3
            zq[1] += 1e3
            zp[2, 5] = zq[2, 5] = -math.inf
            zq[3] = zp[3] + rng.standard_normal(8) * 1e-6
            options = {"temperature": temperature}
            tag = f"T{temperature:g}"
            wide_p, wide_q = rng.standard_normal((1, 1000)) * 2.0, rng.standard_normal((1, 1000)) * 2.0
            for command in ("kl", "js"):
                cases.append(case("large-temperature", tag, command, zp, zq, p_as="logits", q_as="logits",
                                  bound="tempered", options=options))
                cases.append(case("large-temperature", f"{tag}-wide", command, wide_p, wide_q, p_as="logits",
                                  q_as="logits", bound="tempered", options=options))
    return cases


def near_temperature_family() -> list[dict]:
    """Near-identical logits softened by T (``-T``), as two versions of one model compared at a
    temperature: Q = P + noise of 1e-6 and of 1e-10 (of the logits' size), Q = P + 3 + noise (the
    same distributions but for the noise: z_q − z_p is far from 0 while the KL is tiny), and a class
    masked (−inf) in both; 64 classes. Bound ``near``; at T = 1e100 kl and js ``tempered`` (no
    floor: of order 1e-212), computed at 2·log10(T) + 60 digits as the large-temperature family."""
    rng = np.random.default_rng(47)
    cases = []
    for temperature in (0.5, 2.0, 7.3, 1e-3, 1e3, 1e100):
        scale = 0.03 if temperature < 0.1 else 3.0  # z / T spread over ~30 nats at most, as above
        with mpmath.workdps(max(80, int(2 * math.log10(temperature)) + 60)):
            zp = rng.standard_normal((4, 64)) * scale
            zq = zp + rng.standard_normal((4, 64)) * scale * 1e-6
            zq[1] = zp[1] + rng.standard_normal(64) * scale * 1e-10
            zq[2] = zp[2] + 3.0 + rng.standard_normal(64) * scale * 1e-6
            zp[3, 7] = zq[3, 7] = -math.inf
            options = {"temperature": temperature}
            for command in ("kl", "js", "ce"):
                bound = "tempered" if temperature >= 1e4 and command != "ce" else "near"
                cases.append(case("near-temperature", f"T{temperature:g}", command, zp, zq, p_as="logits",
                                  q_as="logits", bound=bound, options=options))
    return cases


def counts_family() -> list[dict]:
    """Counts with ``--normalize``: huge totals (1e12 … 1e300) with a tiny (or subnormal, or 0) class,
    so that the row cannot be scaled by a power of two and log Σ carries a rounding of ~1e-13.
    Against probabilities (counts too) and logits; and P ≈ Q, P counts, Q logits near log P."""
    rng = np.random.default_rng(51)
    cases = []
    normalize = {"normalize": True}
    for big in (1e12, 1e100, 1e300):
        for tiny in (0.0, 1e-8, 1e-300, 5e-324):
            p = rng.random((2, 6)) * big
            q = rng.random((2, 6)) * big
            p[:, 5] = tiny
            q[:, 5] = tiny if tiny else 1.0
            with np.errstate(divide="ignore"):
                zq = np.log(q / q.sum(axis=1, keepdims=True))  # -inf where q / Σq underflows
            tag = f"big{big:g}-tiny{tiny:g}"
            cases.append(case("counts", tag, "entropy", p, None, options=normalize))
            for command in ("kl", "ce", "js"):
                cases.append(case("counts", tag, command, p, q, options=normalize))
                cases.append(case("counts", f"{tag}-logits", command, p, zq, q_as="logits", options=normalize))
    p = rng.random((1, 6)) * 1e300
    p[0, 5] = 1e-8
    r = rng.standard_normal((1, 6))
    for eps in (1e-2, 1e-4, 1e-6, 1e-8):
        zq = np.log(p / p.sum()) + eps * r
        for command in ("kl", "js", "jeffreys"):
            cases.append(case("counts", f"near-{eps:.0e}", command, p, zq, q_as="logits", options=normalize,
                              bound="near"))
    return cases


def mixed_family() -> list[dict]:
    """P ≈ Q across kinds: P probabilities against Q logits, P log-probabilities (--normalize)
    against Q probabilities; log(p/q) then comes from two separately rounded logs."""
    rng = np.random.default_rng(61)
    cases = []
    for classes in (3, 16):
        z = rng.standard_normal(classes) * 2
        r = rng.standard_normal(classes)
        p = softmax64(z)
        for eps in (1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-13):
            tag = f"c{classes}-{eps:.0e}"
            q = z + eps * r
            for command in ("kl", "js", "jeffreys"):
                cases.append(case("mixed", f"probs-logits-{tag}", command, p, q, q_as="logits", bound="near"))
                cases.append(case("mixed", f"logprobs-probs-{tag}", command, np.log(p), softmax64(q),
                                  p_as="log-probs", options={"normalize": True}, bound="near"))
    return cases


def stream_family() -> list[dict]:
    """260 rows (more than the first block of 256): per-row values and the reductions across blocks;
    confident labels-vs-logits rows (a classifier's loss), random logits, one row of Q broadcast."""
    rng = np.random.default_rng(71)
    rows, classes = 260, 6
    z = rng.standard_normal((rows, classes)) * 3
    labels = rng.integers(0, classes, rows)
    z[np.arange(rows), labels] += rng.uniform(0.0, 40.0, rows)
    zq = rng.standard_normal((rows, classes)) * 3
    q_one = softmax64(rng.standard_normal(classes))
    p = np.array([softmax64(row) for row in zq])
    return [
        case("stream", "labels-confident", "ce", [[int(y)] for y in labels], z, p_as="labels", q_as="logits"),
        case("stream", "confident", "entropy", z, None, p_as="logits"),
        case("stream", "logits", "kl", zq, z, p_as="logits", q_as="logits"),
        case("stream", "probs-broadcast-q", "kl", p, q_one),
    ]


def main() -> None:
    cases = (seed_family() + near_family() + extreme_logits_family() + log_probs_family() + subnormal_family()
             + random_family() + ce_family() + confident_family() + temperature_family() + counts_family()
             + mixed_family() + stream_family() + large_temperature_family() + near_temperature_family())
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    document = {
        "description": "divcli's accuracy contract: exact values (mpmath, 80 digits) for float64 inputs; "
                       "made by tests/reference/make_accuracy.py, checked by tests/numerics/test_accuracy.py",
        "mp_dps": mpmath.mp.dps,
        "bounds": {"ordinary": {"rtol": 1e-14, "atol": 1e-20}, "near": {"rtol": 1e-12, "atol": 1e-20},
                   "tempered": {"rtol": 1e-14, "atol": 0.0}},
        "cases": cases,
    }
    OUT.write_text(json.dumps(document, indent=None, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases → {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
