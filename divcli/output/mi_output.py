"""``divcli mi`` in the formats for programs: ``-f csv`` (``quantity,value``: every number, then with
``--explain`` each cell's working as ``cell:X|Y:term``), ``-f json`` (the whole document: the keys
h_x, h_y, h_xy, h_x_given_y, h_y_given_x, mi, nmi_arithmetic, nmi_geometric, nmi_min, nmi_max, n,
g_statistic, g_p_value, dof, estimator, bounds_hold, bounds_failed, and with an estimator ``plugin``
(the plug-in values), with ``--bootstrap`` each value's ``<key>_low`` and ``<key>_high`` after it and
``intervals``; ``null`` where a value does not exist) and ``-q`` (I(X;Y) alone). CSV adds the lines
``estimator`` and ``bounds_hold`` (true or false) after the numbers with an estimator, and a line
``<key>_low`` and ``<key>_high`` after a value with its interval.
The table for people is :mod:`.mi_table`."""

from __future__ import annotations

import csv

from .json import dumps
from .registry import Sink
from .texts import number

#: The numbers of the document, in the order CSV lists them.
KEYS = ("h_x", "h_y", "h_xy", "h_x_given_y", "h_y_given_x", "mi", "nmi_arithmetic", "nmi_geometric", "nmi_min",
        "nmi_max", "n", "g_statistic", "g_p_value", "dof")


def _text(value) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else number(value)


class MiCsv(Sink):
    """``quantity,value`` per number (empty where it does not exist: the G-test of probabilities,
    the p-value without SciPy); with --explain, ``cell:X|Y`` with its term of I."""

    def write(self, document: dict) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(["quantity", "value"])
        for key in KEYS:  # --bootstrap: a value's interval follows it, as <key>_low and <key>_high
            writer.writerows([name, _text(document[name])] for name in (key, f"{key}_low", f"{key}_high")
                             if name in document)
        if document.get("estimator", "plugin") != "plugin":  # the plug-in's lines as they were
            writer.writerows([["estimator", document["estimator"]], ["bounds_hold", str(document["bounds_hold"]).lower()]])
        for cell in document.get("cells", ()):
            writer.writerow([f"cell:{cell['x']}|{cell['y']}", number(cell["term"])])


class MiJson(Sink):
    def write(self, document: dict) -> None:
        self.out.write(dumps(document) + "\n")


class MiQuiet(Sink):
    """``-q``: I(X;Y) in the chosen units."""

    def write(self, document: dict) -> None:
        self.out.write(number(document["mi"]) + "\n")
