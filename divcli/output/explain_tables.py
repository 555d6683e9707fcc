"""The tables for people (Rich) of the whole-document commands: explain's working, distill's
parts, the catalogue of measures."""

from __future__ import annotations

import math

from ..errors import printable
from ..vocabulary import LogBase
from .registry import Sink
from .texts import fmt, renormalised_text, renormalised_texts
from .wide import TOP_CLASSES, largest_terms, share

#: Sums written out in full up to this many classes; longer ones show their first and last terms.
SPELLED_OUT = 8


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


def _vector(values: list[float], whole: bool) -> str:
    """A row's values, short (``_g``): all of them, or of a wide row the first three and the last two."""
    if whole or len(values) <= TOP_CLASSES:
        return ", ".join(_g(x) for x in values)
    return ", ".join(_g(x) for x in values[:3]) + ", …, " + ", ".join(_g(x) for x in values[-2:])


class ExplainTable(Sink):
    """explain: the working of one row, step by step, with the numbers put in. A row of more than
    :data:`~divcli.output.wide.TOP_CLASSES` classes lists the classes with the largest KL terms and
    sums up the rest; ``all_classes`` (explain's --all-classes) lists every class."""

    for_people = True
    all_classes = False

    def write(self, work: dict) -> None:
        render(self.console, work, self.all_classes)


def render(console, work: dict, all_classes: bool = False) -> None:
    from rich.text import Text

    p_side, q_side = work["sources"]["p"], work["sources"]["q"]
    heading = (f"Row {work['row']} of P = {printable(p_side['source'])} (read as {p_side['kind']}) "
               f"against Q = {printable(q_side['source'])} (read as {q_side['kind']})")
    unit, log = work["unit"], LogBase.parse(work["base"]).log
    p, q, classes = work["p"], work["q"], work["classes"]
    ce, kl = work["cross_entropy"], work["kl_divergence"]
    out = console.print

    out(Text(heading, style="bold"))
    out(Text(f"  p = ({_vector(p, all_classes)})"))
    out(Text(f"  q = ({_vector(q, all_classes)})"))
    out(Text(f"  over {len(classes):,} classes; logs to base {work['base']}, so every value is in {unit}"))
    for line in renormalised_texts(work.get("deviations", {}), "row"):
        out(Text(f"  {line} (p and q above are the values used)"))
    out()

    def step(number: int, title: str, lines: list[str]) -> None:
        out(Text(f"{number}. {title}", style="bold"))
        for line in lines:
            out(Text("   " + line if line else ""))
        out()

    if "temperature" in work:
        _softening(step, work["temperature"], all_classes)

    inside = [i for i, x in enumerate(p) if x > 0]
    step(1, "Entropy of P: how uncertain the reference is", _entropy_lines(work, inside, log))
    step(2, "Cross-entropy: the cost of coding P with a code made for Q", [
        ce["formula"],
        "       = −(" + _spelled([f"{_g(p[i])}·{log} {_g(q[i])}" for i in inside]) + ")",
        "       = " + _spelled([_n(ce["terms"][i]) for i in inside]),
        f"       = {fmt(ce['value'])} {unit}",
    ])
    step(3, "KL divergence: the extra cost of using Q's code for P's data",
         _kl_lines(work, inside, log) + (_class_lines(work, log, all_classes)
                                         if all_classes or len(classes) > TOP_CLASSES else []))
    step(4, "Why H(P,Q) = H(P) + D(P‖Q)", _identity_lines(work, log))
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


def _entropy_lines(work: dict, inside: list[int], log: str) -> list[str]:
    """Step 1: H(P) with the numbers put in (the classes with p = 0 left out, as they add nothing)."""
    p, h, unit = work["p"], work["entropy_p"], work["unit"]
    skipped = len(p) - len(inside)
    note = [f"(the {skipped} class{'es' if skipped != 1 else ''} with p = 0 add{'' if skipped != 1 else 's'} nothing: "
            "0·log 0 = 0)"] if skipped else []
    return [
        h["formula"],
        "     = −(" + _spelled([f"{_g(p[i])}·{log} {_g(p[i])}" for i in inside]) + ")",
        "     = " + _spelled([_n(h["terms"][i]) for i in inside]),
        f"     = {fmt(h['value'])} {unit}",
    ] + note + ([f"P is the one-hot row of label {work['label']}: one class is certain, so H(P) = 0."]
                if work["label"] is not None else [])


def _kl_lines(work: dict, inside: list[int], log: str) -> list[str]:
    """Step 3: D(P‖Q) with the numbers put in, and the classes whose terms are negative."""
    p, q, kl = work["p"], work["q"], work["kl_divergence"]
    lines = [
        kl["formula"],
        "       = " + _spelled([f"{_g(p[i])}·{log}({_g(p[i])}/{_g(q[i])})" for i in inside]),
        "       = " + _spelled([_n(kl["terms"][i]) for i in inside]),
        f"       = {fmt(kl['value'])} {work['unit']}",
    ]
    if kl["negative_classes"]:
        names = ", ".join(printable(name) for name in kl["negative_classes"][:6]) + (" …" if len(kl["negative_classes"]) > 6 else "")
        lines.append(f"A term is negative where q > p (class {names}): Q puts more weight there than P.")
    return lines


def _class_lines(work: dict, log: str, all_classes: bool) -> list[str]:
    """Step 3 of a wide row (or with --all-classes): the classes with the largest |p·log(p/q)|,
    largest first, each with its terms and its share of D(P‖Q); then what the others add up to."""
    p, q, kl = work["p"], work["q"], work["kl_divergence"]
    listed = largest_terms(kl["terms"], None if all_classes else TOP_CLASSES)
    columns = ["class", "p", "q", f"−p·{log} p", f"−p·{log} q", f"p·{log}(p/q)", "share"]
    rows = [[printable(work["classes"][i]), _g(p[i]), _g(q[i]), fmt(work["entropy_p"]["terms"][i]),
             fmt(work["cross_entropy"]["terms"][i]), fmt(kl["terms"][i]), share(kl["terms"][i], kl["value"])]
            for i in listed.indices]
    widths = [max(len(cells[k]) for cells in [columns] + rows) for k in range(len(columns))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) if k == 0 else cell.rjust(width)
                         for k, (cell, width) in enumerate(zip(cells, widths))).rstrip()

    title = (f"Every class, the largest |p·{log}(p/q)| first:" if all_classes else
             ("The class" if len(listed.indices) == 1 else f"The {len(listed.indices)} classes")
             + f" with the largest |p·{log}(p/q)|, largest first (--all-classes lists every one):")
    rest = listed.rest_line(work["unit"])
    return ["", title, line(columns)] + [line(cells) for cells in rows] + ([rest] if rest else [])


def _identity_lines(work: dict, log: str) -> list[str]:
    """Step 4: H(P,Q) = H(P) + D(P‖Q), term by term and summed."""
    h, ce, kl = work["entropy_p"], work["cross_entropy"], work["kl_divergence"]
    identity = work["identity"]["difference"]
    return [
        f"term by term −p·{log} q = −p·{log} p + p·{log}(p/q), as {log} q = {log} p − {log}(p/q); summed:",
        f"{fmt(ce['value'])} = {fmt(h['value'])} + {fmt(kl['value'])}"
        + (f"   ✓ (the two sides differ by {identity:.1e}, rounding)" if math.isfinite(identity) else
           "   (both sides are +inf: q = 0 where p > 0)"),
    ] + (["With label targets H(P) = 0, so the cross-entropy is the KL divergence to the one-hot target: "
          f"−{log} q_y = {fmt(ce['value'])}."] if work["label"] is not None else [])


def _softening(step, soft: dict, all_classes: bool = False) -> None:
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
        lines += [f"{key} as given ({side['kind']}) = ({_vector(side['given'], all_classes)})",
                  f"   {x} / {t} = ({_vector(side['x_over_t'], all_classes)})",
                  f"   softmax({x} / {t}) = ({_vector(side['softened'], all_classes)})   ← the {key} below"]
    step(0, f"Temperature T = {t}: softening the rows", lines)


MISTAKE_TITLES = {"no_t_squared": "no T² factor", "mean_not_batchmean": "mean instead of batchmean",
                  "reversed": "direction reversed: D(student‖teacher)", "t_on_teacher_only": "T on the teacher only"}


class DistillTable(Sink):
    """distill: the parts of the loss, then the usual mistakes and the loss each would give."""

    for_people = True

    def write(self, document: dict) -> None:
        console = self.console
        from rich.table import Table
        from rich.text import Text

        t, a, unit = document["temperature"], document["alpha"], document["unit"]
        console.print(Text(f"knowledge distillation loss = α·T²·D(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(labels, s), "
                           f"in {unit}", style="bold"))
        for role in ("teacher", "student", "labels"):
            side = document.get(role)
            if side:
                console.print(Text(f"  {role}: {side['source']} read as {side['kind']}"))
        for role, given in document.get("inputs", {}).items():
            if given["renormalised"]:
                whose = f"the {role}'" if role.endswith("s") else f"the {role}'s"
                console.print(Text(f"  {renormalised_text(whose, given['largest_deviation'])}"))
        console.print(Text(f"  T = {t:g}, α = {a:g}; KL batchmean over {document['n_rows']} rows, CE mean at T = 1"))
        console.print()
        table = Table(title="parts", title_justify="left", show_edge=False)
        table.add_column("part")
        table.add_column(unit, justify="right")
        ce = document["ce"]
        rows = [("D(softmax(t/T) ‖ softmax(s/T)), batchmean", document["kl_at_t"]),
                (f"T² · KL = {t:g}² · KL", document["t_squared_kl"]),
                ("CE(labels, s), mean, T = 1", ce),
                (f"soft weight α = {a:g}  ·  T²·KL", document["soft_term"]),
                (f"hard weight 1 − α = {1 - a:g}  ·  CE", document["hard_term"] if ce is not None else None)]
        for name, value in rows:
            table.add_row(name, fmt(value) if value is not None else "— (no labels)")
        table.add_section()
        table.add_row(Text("loss", style="bold"), Text(fmt(document["loss"]), style="bold"))
        console.print(table)
        console.print()
        mistakes = Table(title="the usual mistakes, and the loss each would give", title_justify="left", show_edge=False)
        mistakes.add_column("mistake")
        mistakes.add_column("loss", justify="right")
        mistakes.add_column("vs right", justify="right")
        mistakes.add_column("why")
        for key, mistake in document["mistakes"].items():
            difference = mistake["loss"] - document["loss"]
            mistakes.add_row(MISTAKE_TITLES[key], fmt(mistake["loss"]), f"{difference:+.6g}", mistake["how"])
        console.print(mistakes)


class CatalogueTable(Sink):
    """divcli measures: key, formula, range, unit and convention of each measure."""

    for_people = True

    def write(self, rows: list[dict]) -> None:
        from rich.table import Table

        table = Table(title="divcli's measures (compare shows them all; matrix --measure KEY takes one)",
                      title_justify="left", show_edge=False)
        for column in ("key", "formula", "range", "unit", "convention"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["key"], row["formula"], row["range"], row["unit"], row["convention"])
        self.console.print(table)
        from ..measures.catalogue import aliases

        self.console.print(f"Rényi orders: renyi_α for any α > 0; aliases: {', '.join(aliases())}.")
