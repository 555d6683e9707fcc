"""``divcli mi``'s table for people (Rich): where X and Y came from, the entropies and I(X;Y) in the
chosen units, the normalised variants, the G-test; with ``--explain`` the working of
I = D(P(X,Y) ‖ P(X)P(Y)) = H(X) − H(X|Y) with the numbers put in, its largest cells, and the checks."""

from __future__ import annotations

from ..errors import printable
from ..numerics.information import NO_SCIPY
from ..vocabulary import ESTIMATORS, Intervals, count_of
from .registry import Sink
from .texts import fmt, with_interval

#: The cells the working lists (the largest terms of I first).
CELLS_SHOWN = 20


def _side(role: str, side: dict) -> str:
    """Where a side came from, its names from the data made safe for a terminal (:func:`printable`)."""
    column = f", column {side['column']!r}" if side.get("column") is not None else f", {side.get('as', '')}"
    return f"  {role}: {printable(side['source'])}{column} ({count_of(side['classes'], 'class', 'classes')})"


def g_test_line(document: dict) -> str:
    """The G-test in one line: its statistic, degrees of freedom and p-value, or why there is none; with
    an estimator it says G is the plug-in I's (the test's statistic), not the corrected I above it."""
    if document["g_statistic"] is None:
        return "G-test: none for a table of probabilities (it needs the counts N)"
    p_value = NO_SCIPY if document["g_p_value"] is None else f"p = {document['g_p_value']:.4g}"
    unit = "nats" if document.get("estimator", "plugin") == "plugin" else "the plug-in I, in nats"
    return (f"G-test of independence: G = 2·N·I ({unit}) = {fmt(document['g_statistic'])}, "
            f"dof = {document['dof']}, {p_value}")


def intervals_line(document: dict) -> str:
    """The header's line of --bootstrap: the level, the method, the resamples of the pairs (their N is
    in the line above), the seed."""
    return Intervals(**document["intervals"]).text(of="the pairs")


def bounds_note(document: dict) -> str:
    """The note under the table where an estimator's I breaks 0 ≤ I ≤ min(H(X), H(Y))."""
    name = ESTIMATORS[document["estimator"]]
    return (f"note: the {name} estimates break {' and '.join(document['bounds_failed'])}: each entropy is "
            "corrected on its own, and with few samples per class the corrections do not agree (the plug-in "
            "keeps 0 ≤ I ≤ min(H(X), H(Y)) exactly)")


class MiTable(Sink):
    """The numbers, then with --explain the working."""

    for_people = True

    def write(self, document: dict) -> None:
        from rich.table import Table
        from rich.text import Text

        console, unit = self.console, document["unit"]
        n = document["n"]
        counted = "a table of probabilities" if n is None else f"N = {count_of(n, 'pair', 'pairs')}"
        estimator = document.get("estimator", "plugin")
        if estimator != "plugin":
            counted += f"; the {ESTIMATORS[estimator]} estimator of H(X), H(Y), H(X,Y)"
        console.print(Text(f"mutual information of X and Y, in {unit}; {counted}", style="bold"))
        console.print(Text(_side("X", document["x"])))
        console.print(Text(_side("Y", document["y"])))
        if "intervals" in document:
            console.print(Text(f"  {intervals_line(document)}"))
        joint = document.get("inputs", {}).get("joint")
        if joint and joint["renormalised"]:
            console.print(Text(f"  the table's probabilities renormalised (deviation {joint['largest_deviation']:.1e}): "
                               "each divided by their sum"))
        console.print()
        table = Table(show_edge=False)
        table.add_column("quantity")
        table.add_column(Text(unit + (" [low, high]" if "intervals" in document else "")), justify="right")
        for name, key in (("H(X)", "h_x"), ("H(Y)", "h_y"), ("H(X,Y)", "h_xy"), ("H(X|Y)", "h_x_given_y"),
                          ("H(Y|X)", "h_y_given_x")):
            table.add_row(name, Text(with_interval(document, key)))
        table.add_section()
        table.add_row(Text("I(X;Y)", style="bold"), Text(with_interval(document, "mi"), style="bold"))
        table.add_section()
        for average in ("arithmetic", "geometric", "min", "max"):
            mean = f"{average} mean" if average in ("arithmetic", "geometric") else average
            key = f"nmi_{average}"
            shown = "none" if document[key] is None else with_interval(document, key)
            table.add_row(f"NMI: I ÷ {mean} of H(X), H(Y)", Text(shown + " (no unit)"))
        console.print(table)
        if not document.get("bounds_hold", True):
            console.print(Text(bounds_note(document)))
        console.print(Text(g_test_line(document)))
        if "cells" in document:
            console.print()
            self._working(document)

    def _working(self, document: dict) -> None:
        from rich.table import Table
        from rich.text import Text

        from ..computations.mi import check_bounds

        console, log = self.console, _log(document["base"])
        console.print(Text(f"I(X;Y) = D(P(X,Y) ‖ P(X)P(Y)) = Σ p(x,y)·{log}(p(x,y) / (p(x)·p(y)))", style="bold"))
        cells = document["cells"]
        shown = cells[:CELLS_SHOWN]
        table = Table(show_edge=False, title=f"the {len(shown)} largest of {len(cells)} terms" if len(cells) > len(shown)
                      else None, title_justify="left")
        for column in ("x", "y", "p(x,y)", "p(x)·p(y)", "term"):
            table.add_column(column, justify="left" if column in ("x", "y") else "right")
        for cell in shown:
            table.add_row(Text(printable(cell["x"])), Text(printable(cell["y"])), fmt(cell["p_xy"]), fmt(cell["p_x_p_y"]), fmt(cell["term"]))
        console.print(table)
        console.print(Text(f"  Σ terms = {fmt(sum(cell['term'] for cell in cells))} (a term is < 0 where x and y "
                           "meet less often than independence predicts; the sum is ≥ 0: Gibbs)"))
        plug_in = document.get("plugin", document)  # the terms above are the plug-in's
        console.print(Text(f"  I = H(X) − H(X|Y) = {fmt(plug_in['h_x'])} − {fmt(plug_in['h_x_given_y'])} "
                           f"= {fmt(plug_in['mi'])}"))
        console.print(Text(f"  I = H(Y) − H(Y|X) = {fmt(plug_in['h_y'])} − {fmt(plug_in['h_y_given_x'])} "
                           f"= {fmt(plug_in['mi'])}"))
        console.print(Text(f"  I = H(X) + H(Y) − H(X,Y) = {fmt(plug_in['h_x'])} + {fmt(plug_in['h_y'])} − "
                           f"{fmt(plug_in['h_xy'])} = {fmt(plug_in['mi'])}"))
        console.print(Text("  divcli sums the terms q·φ(p/q) ≥ 0 (φ(t) = t·log t − t + 1), not a difference of "
                           "entropies: near independence I keeps every digit"))
        if "plugin" in document:
            self._estimated(document)
        for line in check_bounds(document):
            console.print(Text(f"  {line}"))

    def _estimated(self, document: dict) -> None:
        """With an estimator: the working above is the plug-in's (the frequencies as probabilities);
        the values reported are each entropy estimated from its counts, and I derived from them."""
        from rich.text import Text

        console, plug_in = self.console, document["plugin"]
        console.print(Text(f"the {ESTIMATORS[document['estimator']]} estimator (the table's values): each entropy "
                           f"from its counts (N = {document['n']}), the rest derived; the terms above are the "
                           "plug-in's", style="bold"))
        for name, key in (("H(X)", "h_x"), ("H(Y)", "h_y"), ("H(X,Y)", "h_xy")):
            console.print(Text(f"  {name} = {fmt(document[key])} (plug-in {fmt(plug_in[key])})"))
        console.print(Text(f"  I = H(X) + H(Y) − H(X,Y) = {fmt(document['h_x'])} + {fmt(document['h_y'])} − "
                           f"{fmt(document['h_xy'])} = {fmt(document['mi'])} (plug-in {fmt(plug_in['mi'])})"))


def _log(base: str) -> str:
    from ..vocabulary import LogBase

    return LogBase.parse(base).log
