"""``divcli explain``: the formulas with the user's numbers put in, term by term, for one row.

:func:`working` computes every number shown (a plain dict: JSON's document); the formats' ``EXPLAIN``
sinks write it (divcli.output: the table for people in ``explain_tables``).
"""

from __future__ import annotations

import math

import numpy as np

from ..numerics import accurate
from ..numerics.plain import log_base


def for_row(operands, options, row: int) -> dict:
    """The working for row ``row`` (1-based) of operands P and Q read as ``options`` say (an
    operand of one row stands for every row)."""
    from ..engine.loop import rows_mismatch
    from ..engine.start import class_count, class_names
    from ..errors import DataError, option
    from ..vocabulary import Kind
    from ..numerics.deviations import deviations
    from ..numerics.distributions import label_vector, to_distribution

    p, q = operands
    if options.p_kind is Kind.LABELS:
        p = p.as_column() if p.rows == 1 else p
        label_vector(p)
    rows = max(p.rows, q.rows)
    if p.rows != q.rows and 1 not in (p.rows, q.rows):
        raise rows_mismatch(("P", p.rows, p.name), ("Q", q.rows, q.name))  # the same message as kl's
    if row > rows:
        raise DataError(p.where(), f"there is no row {row}: P has {p.rows}, Q has {q.rows}", f"pass {option('row')} 1 … {rows}")
    count = class_count(p, q, options.p_kind)  # the same check and message as kl's
    distributions = []
    for operand, kind, role in ((p, options.p_kind, "P"), (q, options.q_kind, "Q")):
        index = 0 if operand.rows == 1 else row - 1
        distributions.append(to_distribution(operand.rows_slice(index, index + 1), kind, role,
                                             options.conversion, count))
    (dp, dq) = distributions
    classes = class_names(None if options.p_kind is Kind.LABELS else p, q, count)
    label = int(dp.labels[0]) if dp.labels is not None else None
    work = working(dp.exact_rows(), dq.exact_rows(), classes, options.base, label)
    work.update(row=row, sources={"p": {"source": p.name, "kind": options.p_kind.value},
                                  "q": {"source": q.name, "kind": options.q_kind.value}},
                deviations=deviations([dp, dq]))  # a row within --tolerance of 1 is divided by its sum
    if options.conversion.temperature != 1.0:
        work["temperature"] = softening(distributions, options.conversion.temperature, work)
    return work


def softening(distributions, temperature: float, work: dict) -> dict:
    """How the temperature made the rows that the steps use: for P and Q, the row as given (as
    probabilities), the x that is divided by T (logits, or the logs of the probabilities), x / T,
    and softmax(x / T) (the p and q of the steps)."""
    from dataclasses import replace

    from ..vocabulary import Kind
    from ..numerics.distributions import to_distribution

    sides = {}
    for d, key in zip(distributions, ("p", "q")):
        if d.kind is Kind.LABELS:
            sides[key] = {"kind": d.kind.value, "note": "one-hot: unchanged by T"}
            continue
        if d.kind is Kind.LOGITS:  # shown as their softmax
            given = to_distribution(d.operand, d.kind, d.role, replace(d.conversion, temperature=1.0)).p[0]
        else:  # the row as given, not renormalised: log Σ is a constant, gone in the softmax
            given = d.operand.values[0] if d.kind is Kind.PROBS else np.exp(d.operand.values[0])
        with np.errstate(divide="ignore"):
            x = d.operand.values[0] if d.kind is not Kind.PROBS else np.log(given)
        sides[key] = {"kind": d.kind.value, "given": given.tolist(), "x": x.tolist(),
                      "x_over_t": (x / temperature).tolist(), "softened": work[key]}
    return {"value": temperature, "formula": "softmax(log p / T): logits softmax(z/T), probabilities p^(1/T) "
                                              "renormalised", **sides}


#: The checks allow this relative slack: every value is within 1e-14 of the exact one, and an
#: inequality can hold with equality to the last digit (Pinsker's for two near classes).
SLACK = 1 + 1e-12


def working(p: accurate.Rows, q: accurate.Rows, classes: list[str], base, label: int | None = None) -> dict:
    """Every step's numbers for one row of P and Q (as the accurate kernels take them), in the unit
    of ``base``. The sums are the accurate ones (D(P‖Q) as Σ q·φ(p/q)), not the sums of the terms."""
    scale, log = log_base(base.value), base.log
    x = accurate.log_ratio(p, q)
    h_terms = accurate.entropy_terms(p)[0] / scale
    ce_terms = accurate.cross_entropy_terms(p, q)[0] / scale
    kl = accurate.kl_terms(p.p, x)[0] / scale
    d_nats = float(accurate.kl_rows(p, q, x)[0])
    js = float(accurate.js_rows(p, q, x)[0])
    tv = float(accurate.total_variation_rows(p, q, x)[0])
    h_nats, ce = float(accurate.entropy_rows(p)[0]), float(accurate.cross_entropy_rows(p, q)[0]) / scale
    h, d = h_nats / scale, d_nats / scale
    positive = float(kl[kl > 0].sum())
    negative = float(kl[kl < 0].sum())
    pinsker = math.sqrt(d_nats / 2)
    log_c = math.log(len(classes))
    p, q = p.p[0], q.p[0]
    # Each check is decided in nats, before the division by the log of the base; shown in the unit.
    checks = [
        {"name": "Gibbs' inequality", "statement": "D(P‖Q) ≥ 0", "left": d, "right": 0.0,
         "holds": d_nats >= 0},
        {"name": "Pinsker's inequality", "statement": "TV ≤ √(D/2), D in nats", "left": tv, "right": pinsker,
         "holds": tv <= pinsker * SLACK},
        {"name": "Jensen–Shannon bound", "statement": f"JS ≤ {log} 2", "left": js / scale, "right": math.log(2) / scale,
         "holds": js <= math.log(2) * SLACK},
        {"name": "entropy bound", "statement": f"H(P) ≤ {log} C", "left": h, "right": log_c / scale,
         "holds": h_nats <= log_c * SLACK},
    ]
    identity = ce - h - d if math.isfinite(ce) else math.nan
    return {
        "classes": classes, "p": p.tolist(), "q": q.tolist(), "unit": base.unit, "base": base.text,
        "label": label,
        "entropy_p": {"formula": f"H(P) = −Σ p·{log} p", "terms": h_terms.tolist(), "value": h},
        "cross_entropy": {"formula": f"H(P,Q) = −Σ p·{log} q", "terms": ce_terms.tolist(), "value": ce},
        "kl_divergence": {"formula": f"D(P‖Q) = Σ p·{log}(p/q)", "terms": kl.tolist(), "value": d,
                          "positive_terms": positive, "negative_terms": negative,
                          "negative_classes": [name for name, t in zip(classes, kl) if t < 0]},
        "identity": {"statement": "H(P,Q) = H(P) + D(P‖Q)", "difference": identity},
        "total_variation": tv, "js_divergence": js / scale,
        "checks": checks,
    }
