"""``divcli lm``'s histogram of D(P‖Q) per position, for the table: a line a bin of the log scale
(:mod:`divcli.computations.lm_histogram`), with its count and a bar, and the positions of KL 0 and
+inf on lines of their own."""

from __future__ import annotations

from .tables import bar

#: The longest bar, in characters (the bin of most positions).
BAR_WIDTH = 30


def _bin(low: float, high: float) -> str:
    """A bin's range, as its edges are: ``[0.005, 0.01)``."""
    return f"[{low:g}, {high:g})"


def histogram_table(histogram):
    """The histogram's lines: each bin's range, its count of positions and a bar (None: no positions)."""
    from rich.table import Table
    from rich.text import Text

    edges = histogram.edges
    lines = [(_bin(low, high), count) for low, high, count in zip(edges, edges[1:], histogram.counts)]
    lines = ([("0", histogram.zero)] if histogram.zero else []) + lines
    lines += [("+inf", histogram.infinite)] if histogram.infinite else []
    largest = max(count for _, count in lines)
    title = "D(P‖Q) per position, a histogram on a log scale"
    table = Table(title=title, title_justify="left", show_edge=False, min_width=len(title))
    table.add_column("D(P‖Q)")
    table.add_column("positions", justify="right")
    table.add_column("", no_wrap=True)
    for name, count in lines:
        table.add_row(Text(name), Text(str(count)), bar(count, largest, BAR_WIDTH))
    return table
