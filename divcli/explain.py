"""``divcli explain``: the formulas with the user's numbers put in, term by term, for one row.

:func:`working` computes every number shown (a plain dict: JSON's document); :func:`render` writes
it for people with Rich.
"""

from __future__ import annotations

import math

import numpy as np

from . import accurate
from .errors import printable
from .numerics import log_base
from .render import fmt

#: Sums written out in full up to this many classes; longer ones show their first and last terms.
SPELLED_OUT = 8


def for_row(operands, options, row: int) -> dict:
    """The working for row ``row`` (1-based) of operands P and Q read as ``options`` say (an
    operand of one row stands for every row)."""
    from .core import class_count, class_names
    from .errors import DataError
    from .kinds import Kind, label_vector, to_distribution

    p, q = operands
    if options.p_kind is Kind.LABELS:
        p = p.as_column() if p.rows == 1 else p
        label_vector(p)
    rows = max(p.rows, q.rows)
    if p.rows != q.rows and 1 not in (p.rows, q.rows):
        raise DataError("", f"P has {p.rows} rows ({p.name}) but Q has {q.rows} ({q.name})",
                        "give both the same number of rows, or one of them a single row to compare against every row")
    if row > rows:
        raise DataError(p.where(), f"there is no row {row}: P has {p.rows}, Q has {q.rows}", f"pass --row 1 … {rows}")
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
                                  "q": {"source": q.name, "kind": options.q_kind.value}})
    if options.conversion.temperature != 1.0:
        work["temperature"] = softening(distributions, options.conversion.temperature, work)
    return work


def softening(distributions, temperature: float, work: dict) -> dict:
    """How the temperature made the rows that the steps use: for P and Q, the row as given (as
    probabilities), the x that is divided by T (logits, or the logs of the probabilities), x / T,
    and softmax(x / T) (the p and q of the steps)."""
    from dataclasses import replace

    from .kinds import Kind, to_distribution

    sides = {}
    for d, key in zip(distributions, ("p", "q")):
        if d.kind is Kind.LABELS:
            sides[key] = {"kind": d.kind.value, "note": "one-hot: unchanged by T"}
            continue
        plain = to_distribution(d.operand, d.kind, d.role, replace(d.conversion, temperature=1.0))
        with np.errstate(divide="ignore"):
            x = d.operand.values[0] if d.kind is not Kind.PROBS else np.log(plain.p[0])
        sides[key] = {"kind": d.kind.value, "given": plain.p[0].tolist(), "x": x.tolist(),
                      "x_over_t": (x / temperature).tolist(), "softened": work[key]}
    return {"value": temperature, "formula": "softmax(log p / T): logits softmax(z/T), probabilities p^(1/T) "
                                              "renormalised", **sides}


def write(chosen, out, work: dict) -> None:
    """The machine formats: ``-q`` H(P), H(P,Q), D(P‖Q) tab-separated; CSV the terms per class;
    JSON every number."""
    from .render import Format, json_number, number

    if chosen is Format.QUIET:
        out.write("\t".join(number(work[key]["value"]) for key in ("entropy_p", "cross_entropy", "kl_divergence"))
                  + "\n")
    elif chosen is Format.CSV:
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["class", "p", "q", "-p*log(p)", "-p*log(q)", "p*log(p/q)"])
        for index, name in enumerate(work["classes"]):
            cells = [work["p"][index], work["q"][index], work["entropy_p"]["terms"][index],
                     work["cross_entropy"]["terms"][index], work["kl_divergence"]["terms"][index]]
            writer.writerow([name] + [number(x) for x in cells])
    else:
        import json

        def clean(value):
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return json_number(value) if isinstance(value, float) else value

        document = {"command": "explain", "row": work["row"], **work["sources"],
                    **{key: clean(value) for key, value in work.items() if key not in ("row", "sources", "p", "q")},
                    "p_values": clean(work["p"]), "q_values": clean(work["q"])}
        out.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")


#: The checks allow this relative slack: every value is within 1e-14 of the exact one, and an
#: inequality can hold with equality to the last digit (Pinsker's for two near classes).
SLACK = 1 + 1e-12


def working(p: accurate.Rows, q: accurate.Rows, classes: list[str], base, label: int | None = None) -> dict:
    """Every step's numbers for one row of P and Q (as the accurate kernels take them), in the unit
    of ``base``. The sums are the accurate ones (D(P‖Q) as Σ q·φ(p/q)), not the sums of the terms."""
    scale = log_base(base.value)
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
    # Each check is decided in nats (a base below 1 turns the inequalities round); shown in the unit.
    checks = [
        {"name": "Gibbs' inequality", "statement": "D(P‖Q) ≥ 0", "left": d, "right": 0.0,
         "holds": d_nats >= 0},
        {"name": "Pinsker's inequality", "statement": "TV ≤ √(D/2), D in nats", "left": tv, "right": pinsker,
         "holds": tv <= pinsker * SLACK},
        {"name": "Jensen–Shannon bound", "statement": "JS ≤ log 2", "left": js / scale, "right": math.log(2) / scale,
         "holds": js <= math.log(2) * SLACK},
        {"name": "entropy bound", "statement": "H(P) ≤ log C", "left": h, "right": log_c / scale,
         "holds": h_nats <= log_c * SLACK},
    ]
    identity = ce - h - d if math.isfinite(ce) else math.nan
    return {
        "classes": classes, "p": p.tolist(), "q": q.tolist(), "unit": base.unit, "base": base.text,
        "label": label,
        "entropy_p": {"formula": "H(P) = −Σ p·log p", "terms": h_terms.tolist(), "value": h},
        "cross_entropy": {"formula": "H(P,Q) = −Σ p·log q", "terms": ce_terms.tolist(), "value": ce},
        "kl_divergence": {"formula": "D(P‖Q) = Σ p·log(p/q)", "terms": kl.tolist(), "value": d,
                          "positive_terms": positive, "negative_terms": negative,
                          "negative_classes": [name for name, t in zip(classes, kl) if t < 0]},
        "identity": {"statement": "H(P,Q) = H(P) + D(P‖Q)", "difference": identity},
        "total_variation": tv, "js_divergence": js / scale,
        "checks": checks,
    }


def _spelled(items: list[str]) -> str:
    if len(items) <= SPELLED_OUT:
        return " + ".join(items)
    return " + ".join(items[:3]) + " + … + " + " + ".join(items[-2:])


def _g(x: float) -> str:
    """An input probability, short: 0.36, 0.333333, 1e-09."""
    return f"{x:.6g}"


def _n(x: float) -> str:
    text = fmt(x)
    return f"({text})" if text.startswith("-") else text


def render(console, work: dict) -> None:
    from rich.text import Text

    p_side, q_side = work["sources"]["p"], work["sources"]["q"]
    heading = (f"Row {work['row']} of P = {printable(p_side['source'])} (read as {p_side['kind']}) "
               f"against Q = {printable(q_side['source'])} (read as {q_side['kind']})")
    unit, log = work["unit"], "log" if work["base"] == "e" else f"log{work['base']}"
    p, q, classes = work["p"], work["q"], work["classes"]
    h, ce, kl = work["entropy_p"], work["cross_entropy"], work["kl_divergence"]
    out = console.print

    out(Text(heading, style="bold"))
    out(Text(f"  p = ({', '.join(_g(x) for x in p)})"))
    out(Text(f"  q = ({', '.join(_g(x) for x in q)})"))
    out(Text(f"  over {len(classes)} classes; logs to base {work['base']}, so every value is in {unit}"))
    out()

    def step(number: int, title: str, lines: list[str]) -> None:
        out(Text(f"{number}. {title}", style="bold"))
        for line in lines:
            out(Text("   " + line))
        out()

    if "temperature" in work:
        _softening(step, work["temperature"])

    inside = [i for i, x in enumerate(p) if x > 0]
    skipped = len(p) - len(inside)
    note = [f"(the {skipped} class{'es' if skipped != 1 else ''} with p = 0 add{'' if skipped != 1 else 's'} nothing: "
            "0·log 0 = 0)"] if skipped else []
    step(1, "Entropy of P: how uncertain the reference is", [
        h["formula"],
        "     = −(" + _spelled([f"{_g(p[i])}·{log} {_g(p[i])}" for i in inside]) + ")",
        "     = " + _spelled([_n(h["terms"][i]) for i in inside]),
        f"     = {fmt(h['value'])} {unit}",
    ] + note + ([f"P is the one-hot row of label {work['label']}: one class is certain, so H(P) = 0."]
                if work["label"] is not None else []))
    step(2, "Cross-entropy: the cost of coding P with a code made for Q", [
        ce["formula"],
        "       = −(" + _spelled([f"{_g(p[i])}·{log} {_g(q[i])}" for i in inside]) + ")",
        "       = " + _spelled([_n(ce["terms"][i]) for i in inside]),
        f"       = {fmt(ce['value'])} {unit}",
    ])
    lines = [
        kl["formula"],
        "       = " + _spelled([f"{_g(p[i])}·{log}({_g(p[i])}/{_g(q[i])})" for i in inside]),
        "       = " + _spelled([_n(kl["terms"][i]) for i in inside]),
        f"       = {fmt(kl['value'])} {unit}",
    ]
    if kl["negative_classes"]:
        names = ", ".join(printable(name) for name in kl["negative_classes"][:6]) + (" …" if len(kl["negative_classes"]) > 6 else "")
        lines.append(f"A term is negative where q > p (class {names}): Q puts more weight there than P.")
    step(3, "KL divergence: the extra cost of using Q's code for P's data", lines)
    identity = work["identity"]["difference"]
    step(4, "Why H(P,Q) = H(P) + D(P‖Q)", [
        f"term by term −p·{log} q = −p·{log} p + p·{log}(p/q), as {log} q = {log} p − {log}(p/q); summed:",
        f"{fmt(ce['value'])} = {fmt(h['value'])} + {fmt(kl['value'])}"
        + (f"   ✓ (the two sides differ by {identity:.1e}, rounding)" if math.isfinite(identity) else
           "   (both sides are +inf: q = 0 where p > 0)"),
    ] + (["With label targets H(P) = 0, so the cross-entropy is the KL divergence to the one-hot target: "
          f"−{log} q_y = {fmt(ce['value'])}."] if work["label"] is not None else []))
    step(5, "Why the sum is never negative although terms can be (Gibbs' inequality)", [
        f"Σ p·{log}(p/q) = −Σ p·{log}(q/p) ≥ −{log} Σ p·(q/p) = −{log} Σ q = −{log} 1 = 0,",
        "by Jensen's inequality (log is concave); it is 0 only when P = Q.",
        f"Here the positive terms add up to {fmt(kl['positive_terms'])} and the negative ones to "
        f"{fmt(kl['negative_terms'])}.",
    ])
    out(Text("6. Checks", style="bold"))
    for check in work["checks"]:
        mark, style = ("✓", "green") if check["holds"] else ("✗", "red")
        out(Text(f"   {mark} {check['name']}: {check['statement']}: {fmt(check['left'])} vs {fmt(check['right'])}",
                 style=style))


def _softening(step, soft: dict) -> None:
    """Step 0: each operand's row as given, x / T and softmax(x / T), the row the steps use."""
    t = f"{soft['value']:g}"
    lines = [f"Every row becomes softmax(log p / T), T = {t}: for logits z that is softmax(z/{t}), for "
             f"probabilities p^(1/{t}) renormalised; T > 1 flattens a row, T < 1 sharpens it."]
    for key in ("p", "q"):
        side = soft[key]
        if "note" in side:
            lines.append(f"{key}: {side['note']}")
            continue
        x = "z" if side["kind"] == "logits" else f"log {key}"
        lines += [f"{key} as given ({side['kind']}) = ({', '.join(_g(v) for v in side['given'])})",
                  f"   {x} / {t} = ({', '.join(_g(v) for v in side['x_over_t'])})",
                  f"   softmax({x} / {t}) = ({', '.join(_g(v) for v in side['softened'])})   ← the {key} below"]
    step(0, f"Temperature T = {t}: softening the rows", lines)
