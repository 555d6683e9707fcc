"""``divcli lm --measures`` in the table: each measure's mean per position ± its standard error, with
its formula and unit (the values per position are columns of the positions' records)."""

from __future__ import annotations

from .texts import fmt


def measures_table(measures, statistics: dict):
    """The other measures per position: name, formula, mean ± SE (the statistics' ``KEY_mean``, ``KEY_se``)."""
    from rich.table import Table
    from rich.text import Text

    from ..measures.catalogue import unit_of
    from ..vocabulary import NATURAL

    title = "other measures per position"
    table = Table(title=title, title_justify="left", show_edge=False, min_width=len(title))
    for name in ("measure", "key", "formula", "unit"):
        table.add_column(name)
    table.add_column("mean", justify="right")
    for measure in measures:
        mean, error = statistics[f"{measure.key}_mean"], statistics[f"{measure.key}_se"]
        value = fmt(mean) if error is None else f"{fmt(mean)} ± {fmt(error)}"
        unit = unit_of(measure, NATURAL) or "—"
        table.add_row(*map(Text, (measure.name, measure.key, measure.formula, unit, value)))
    return table
