"""``divcli drift``'s table for people (Rich): what was compared and how it was binned, then one row
per column (its measures, verdict and bins), and the notes (ties that collapsed edges, folded
categories, missing values); with ``--column`` that column's bins instead: both shares, the PSI
term of each bin and bars. Numbers are formatted before they go in (four significant digits: the
machine formats carry every digit). With ``--bootstrap`` a second table lists each column's measures
as ``value [low, high]``, a row each (``--column``: in the line of that column's measures); with
``--p-values`` a column ``p`` holds χ²'s p-value for a categorical column and Kolmogorov–Smirnov's
for a numeric one (``—`` and a note saying how to get SciPy without it)."""

from __future__ import annotations

import math

from ..computations.drift import ColumnDrift, DriftReport
from ..computations.drift_bins import CATEGORICAL
from ..errors import printable
from ..numerics.p_values import NO_SCIPY
from ..vocabulary import count_of
from .registry import Sink
from .tables import bar

#: Every measure of a column: (header, key); the columns' table leaves both KLs out (PSI is their
#: sum, and at 100 columns the table has no room for them: --column, CSV and JSON show them).
MEASURE_COLUMNS = (("PSI", "psi"), ("KL(R‖C)", "kl_ref_cur"), ("KL(C‖R)", "kl_cur_ref"), ("JS dist", "js_distance"),
                   ("Hellinger", "hellinger"), ("W₁", "wasserstein_1"), ("KS", "ks"), ("χ²", "chi2"))
TABLE_COLUMNS = tuple(column for column in MEASURE_COLUMNS if column[1] not in ("kl_ref_cur", "kl_cur_ref"))
VERDICT_STYLES = {"stable": "green", "moderate": "yellow", "major": "bold red"}


def short(value) -> str:
    """A number in four significant digits: ``0.1234``, ``1.5e-05``, ``+inf``; ``—`` for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return "0" if value == 0 else f"{value:.4g}"


def _rows(count: int) -> str:
    """``1 row``, ``1,000 rows``."""
    return f"{count:,} {'row' if count == 1 else 'rows'}"


def heading(report: DriftReport) -> list[str]:
    """The lines above the table: the two samples, the binning, the smoothing, the verdict's rule."""
    settings = report.settings
    low, high = settings.thresholds
    return [
        f"drift from the reference {printable(report.reference)} ({_rows(report.reference_rows)}) to the current "
        f"{printable(report.current)} ({_rows(report.current_rows)}); divergences in nats",
        "  bins: the histograms' own, matched by name (a bin one side lacks counts 0 there)" if report.binned else
        f"  bins: {settings.bins.text} of the reference, (low, high]: a value on an edge is in the bin below it; "
        "outer bins open" + ("; a bin per category" if any(column.kind == CATEGORICAL for column in report.columns) else ""),
        f"  smoothing: {settings.smoothing.text or 'none'}; PSI = Σ (c − r)·ln(c/r) (Jeffreys' divergence)",
        f"  verdict by PSI: stable < {low:g} ≤ moderate ≤ {high:g} < major",
    ] + _resampling_heading(settings)


def _resampling_heading(settings) -> list[str]:
    asked = settings.bootstrap
    if asked is None:
        return []
    return [f"  bootstrap: {asked.resamples:,} resamples of both samples' rows, seed {asked.seed}; "
            f"{asked.confidence * 100:.4g}% percentile intervals [low, high], in the reference's bins"]


def p_value(column: ColumnDrift) -> float | None:
    """The column's p-value: χ²'s for a categorical column, Kolmogorov–Smirnov's for a numeric one."""
    return column.p_values.get("chi2", column.p_values.get("ks"))


def with_interval(column: ColumnDrift, key: str) -> str:
    """A measure's value, and its bootstrap interval ``[low, high]`` after it when it has one."""
    text = short(column.measures[key])
    interval = column.intervals.get(key)
    return text if interval is None else f"{text} [{short(interval.low)}, {short(interval.high)}]"


def notes(report: DriftReport) -> list[str]:
    """What the reader should know of each column's bins: ties, folded categories, missing values."""
    found = []
    for column in report.columns:
        name, binning = printable(column.column), column.binning
        if binning.edges is not None and binning.edges.collapsed:
            found.append(f"{name}: {count_of(binning.edges.collapsed, 'equal edge', 'equal edges')} collapsed (ties), "
                         f"so {count_of(column.bins, 'bin', 'bins')}")
        if column.kind == CATEGORICAL and column.column not in report.settings.categorical and not report.binned:
            found.append(f"{name}: text, so counted per category")
        if binning.folded:
            found.append(f"{name}: {count_of(len(binning.folded), 'category', 'categories')} under the minimum share "
                         "folded into (other)")
        if binning.missing:
            found.append(f"{name}: missing values {int(column.reference_counts[-1]):,} in the reference, "
                         f"{int(column.current_counts[-1]):,} in the current (a bin of their own)")
        if report.settings.smoothing.text and math.isinf(column.unsmoothed["psi"]):
            found.append(f"{name}: PSI without smoothing is +inf (an empty bin on one side)")
        found += [f"{name}: {dict(MEASURE_COLUMNS)[key]} undefined in "
                  f"{count_of(interval.undefined, 'resample', 'resamples', grouped=True)} (left out of "
                  "its interval)" for key, interval in column.intervals.items() if interval.undefined]
    unsmoothed = report.settings.smoothing.text is None
    if unsmoothed and any(math.isinf(i.high) for column in report.columns for i in column.intervals.values()):
        found.append("an interval reaching +inf: resamples that left a bin empty on one side; --pseudocount or "
                     "--epsilon smooths them")
    if report.settings.p_values and any(p_value(column) is None for column in report.columns):
        found.append(NO_SCIPY)
    return found


class DriftTable(Sink):
    """The columns' table, or with ``--column`` that column's bins."""

    for_people = True

    def write(self, report: DriftReport) -> None:
        from rich.text import Text

        console = self.console
        for line in heading(report):
            console.print(Text(line), soft_wrap=True)
        console.print()
        if report.focus is not None:
            column = report.column(report.focus)
            measures = ", ".join(f"{header} {with_interval(column, key)}" for header, key in MEASURE_COLUMNS
                                 if column.measures[key] is not None)
            if report.settings.p_values:
                measures += f", p {short(p_value(column))}"
            console.print(Text(f"{printable(column.column)} ({column.kind}): {measures}; {column.verdict}"),
                          soft_wrap=True)
            console.print(_bins_table(column))
            return
        console.print(_columns_table(report))
        if report.settings.bootstrap is not None:
            console.print(_intervals_table(report))
        for line in notes(report):
            console.print(Text(f"note: {line}"), soft_wrap=True)


def _columns_table(report: DriftReport):
    from rich.table import Table
    from rich.text import Text

    smoothed = report.settings.smoothing.text is not None
    table = Table(title="drift per column", title_justify="left", show_edge=False)
    table.add_column("column")
    for header, _ in TABLE_COLUMNS[:1]:
        table.add_column(header, justify="right")
    if smoothed:
        table.add_column("unsmoothed", justify="right")
    for header, _ in TABLE_COLUMNS[1:]:
        table.add_column(header, justify="right")
    if report.settings.p_values:
        table.add_column("p", justify="right")
    table.add_column("verdict")
    table.add_column("bins", justify="right")
    for column in report.columns:
        values = [short(column.measures[key]) for _, key in TABLE_COLUMNS]
        if smoothed:
            values.insert(1, short(column.unsmoothed["psi"]))
        if report.settings.p_values:
            values.append(short(p_value(column)))
        table.add_row(Text(printable(column.column)), *values,
                      Text(column.verdict, style=VERDICT_STYLES[column.verdict]), str(column.bins))
    return table


def _intervals_table(report: DriftReport):
    """A row per measure of each column: its value and its interval."""
    from rich.table import Table
    from rich.text import Text

    percent = f"{report.settings.bootstrap.confidence * 100:.4g}%"
    table = Table(title=f"{percent} bootstrap intervals", title_justify="left", show_edge=False)
    for header in ("column", "measure", "value", "low", "high"):
        table.add_column(header, justify="left" if header in ("column", "measure") else "right")
    for column in report.columns:
        first = True
        for header, key in MEASURE_COLUMNS:
            interval = column.intervals.get(key)
            if interval is None:
                continue
            table.add_row(Text(printable(column.column) if first else ""), header, short(column.measures[key]),
                          short(interval.low), short(interval.high))
            first = False
    return table


def _bins_table(column: ColumnDrift):
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"the bins of {printable(column.column)}", title_justify="left", show_edge=False)
    for header in ("bin", "n ref", "n cur", "ref share", "cur share", "PSI term"):
        table.add_column(header, justify="left" if header == "bin" else "right")
    table.add_column("reference")
    table.add_column("current")
    largest = float(max(column.reference_shares.max(), column.current_shares.max()))
    terms = column.psi_terms()
    for index, label in enumerate(column.binning.labels()):
        r, c = float(column.reference_shares[index]), float(column.current_shares[index])
        table.add_row(Text(printable(label)), f"{int(column.reference_counts[index]):,}",
                      f"{int(column.current_counts[index]):,}", f"{r:.4f}", f"{c:.4f}", short(terms[index]),
                      bar(r, largest), bar(c, largest))
    table.add_section()
    table.add_row(Text("total", style="bold"), f"{column.n_reference:,}", f"{column.n_current:,}", "", "",
                  Text(short(column.measures["psi"]), style="bold"), "", "")
    return table
