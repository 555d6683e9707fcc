"""The two histograms of a drift, drawn over each other as an SVG picture (``divcli drift --svg``).

One panel per column, stacked top to bottom in one picture: the bins side by side along the x axis,
each with its label as given (an outer bin open to ±inf and the bin of missing values are labelled
like any other), every bin the same width whatever its edges (an open bin has no width to draw); over
each bin, the reference's share and the current sample's as two bars at the same place, in two
colours, half transparent, so that where they differ shows. The y axis is the share of the rows, from
0 to a round value at or above the largest share of the panel. A legend names the two sides.

Plain SVG text, no dependency: the same data give the same bytes (every coordinate is rounded to
0.1 px, numbers are written with ``repr``'s digits), so a saved picture changes only when its numbers do.
Each bar is a ``<rect class="bar reference">`` (or ``current``) with ``data-bin`` and
``data-share``, and a ``<title>`` that a browser shows on hovering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from ..errors import printable

#: The two sides' colours (Okabe–Ito blue and vermilion: told apart in every common colour blindness).
COLOURS = {"reference": "#0072B2", "current": "#D55E00"}
#: Each bar's opacity: the other side's bar shows through it.
OPACITY = 0.55
#: Pixels per bin (at least), and of the plotting area at least.
SLOT, MIN_WIDTH = 36, 360
PLOT_HEIGHT = 180
LEFT, RIGHT, TOP = 64, 16, 36
#: About the width of a character of the 11 px labels.
CHAR = 6.2


@dataclass(frozen=True)
class HistogramPair:
    """A column's two histograms on the same bins: the bins' labels, and the reference's and the
    current sample's share of the rows in each (finite, ≥ 0; each side sums to 1 or to 0)."""

    column: str
    labels: list[str]
    reference: list[float]
    current: list[float]
    note: str = ""  # under the column's name, e.g. its PSI and verdict
    x_label: str = "bin"  # "category" for a categorical column


def report_svg(report) -> str:
    """The picture of a :class:`~divcli.computations.drift.DriftReport`: a panel per column (``--column``'s
    alone when it is given), each with the shares the measures read (after smoothing, as the bins'
    table shows them) and its PSI and verdict."""
    from ..computations.drift_bins import CATEGORICAL
    from .drift_tables import short

    chosen = report.columns if report.focus is None else [report.column(report.focus)]
    smoothing = report.settings.smoothing.text
    pairs = [HistogramPair(printable(column.column), [printable(label) for label in column.binning.labels()],
                           [float(share) for share in column.reference_shares],
                           [float(share) for share in column.current_shares],
                           f"PSI {short(column.measures['psi'])}, {column.verdict}"
                           + (f" (smoothing: {smoothing})" if smoothing else ""),
                           "category" if column.kind == CATEGORICAL else "bin")
             for column in chosen]
    return histograms_svg(pairs, f"drift from {printable(report.reference)} to {printable(report.current)}")


def histograms_svg(pairs: list[HistogramPair], title: str = "") -> str:
    """The SVG document (text) of ``pairs``, one panel each, stacked under ``title``."""
    for pair in pairs:
        _check(pair)
    width = LEFT + RIGHT + max([MIN_WIDTH] + [SLOT * len(pair.labels) for pair in pairs])
    width = max(width, round(len(title) * CHAR * 1.3) + 24)  # the title's 14 px characters fit
    panels, y = [], 28 if title else 0
    for pair in pairs:
        drawn, height = _panel(pair, y, width)
        panels += drawn
        y += height
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y:.0f}" viewBox="0 0 {width} {y:.0f}" '
            'font-family="Helvetica, Arial, sans-serif" font-size="11">',
            f'<rect width="{width}" height="{y:.0f}" fill="#ffffff"/>']
    if title:
        head.append(f'<text x="{width / 2:.1f}" y="20" text-anchor="middle" font-size="14" '
                    f'font-weight="bold">{escape(title)}</text>')
    return "\n".join(head + panels + ["</svg>"]) + "\n"


def _check(pair: HistogramPair) -> None:
    if not len(pair.labels) == len(pair.reference) == len(pair.current):
        raise ValueError(f"column {pair.column!r}: {len(pair.labels)} labels, {len(pair.reference)} reference "
                         f"shares and {len(pair.current)} current shares")
    if not all(math.isfinite(s) and s >= 0 for s in list(pair.reference) + list(pair.current)):
        raise ValueError(f"column {pair.column!r}: shares are finite numbers ≥ 0")


def _panel(pair: HistogramPair, y0: float, width: int) -> tuple[list[str], float]:
    """The elements of one panel whose top is at ``y0``, and the panel's height."""
    plot_width = width - LEFT - RIGHT
    slot = plot_width / max(len(pair.labels), 1)
    top, bottom = y0 + TOP, y0 + TOP + PLOT_HEIGHT
    scale = _axis_top(max(list(pair.reference) + list(pair.current), default=0.0))
    out = ['<g class="panel">',
           f'<text x="{LEFT}" y="{y0 + 16:.1f}" font-size="13" font-weight="bold">{escape(pair.column)}</text>']
    if pair.note:
        out.append(f'<text x="{LEFT}" y="{y0 + 29:.1f}" fill="#555555">{escape(pair.note)}</text>')
    out += _y_axis(scale, top, bottom, width)
    for side in ("reference", "current"):
        for index, share in enumerate(getattr(pair, side)):
            out.append(_bar(side, index, pair.labels[index], share, LEFT + index * slot, slot, bottom, scale))
    labels, label_height = _x_labels(pair.labels, slot, bottom)
    out += labels
    out.append(f'<text x="{LEFT + plot_width / 2:.1f}" y="{bottom + label_height + 16:.1f}" '
               f'text-anchor="middle">{escape(pair.x_label)}</text>')
    out += _legend(LEFT + plot_width - 150, y0 + 12)
    out.append("</g>")
    return out, TOP + PLOT_HEIGHT + label_height + 28


def _axis_top(largest: float) -> float:
    """The y axis's top: the least of 1, 2 and 5 × 10^k at or above ``largest`` (1 for nothing)."""
    if largest <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(largest))
    return min(1.0, next(float(f"{m * magnitude:.12g}") for m in (1, 2, 5, 10) if m * magnitude >= largest))


def _y_axis(scale: float, top: float, bottom: float, width: int) -> list[str]:
    """The axis's label and its gridlines at round shares: 4 steps up to 2 × 10^k, else 5."""
    steps = 4 if f"{scale:.1e}".startswith("2") else 5
    out = [f'<text transform="translate({LEFT - 46},{(top + bottom) / 2:.1f}) rotate(-90)" '
           'text-anchor="middle">share of rows</text>']
    for tick in range(steps + 1):
        y = bottom - (bottom - top) * tick / steps
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" '
                   f'stroke="{"#333333" if tick == 0 else "#e5e5e5"}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_percent(scale * tick / steps)}</text>')
    return out


def _bar(side: str, index: int, label: str, share: float, x: float, slot: float, bottom: float,
         scale: float) -> str:
    height = share / scale * PLOT_HEIGHT
    tip = escape(f"{label}: {side} {_percent(share, 2)}")
    return (f'<rect class="bar {side}" data-bin="{index}" data-share={quoteattr(repr(float(share)))} '
            f'x="{x + 3:.1f}" y="{bottom - height:.1f}" width="{slot - 6:.1f}" height="{height:.1f}" '
            f'fill="{COLOURS[side]}" fill-opacity="{OPACITY}"><title>{tip}</title></rect>')


def _x_labels(labels: list[str], slot: float, bottom: float) -> tuple[list[str], float]:
    """The bins' labels under the axis (slanted where one is wider than its bin), and their height."""
    widest = max((len(label) for label in labels), default=0) * CHAR
    slanted = widest > slot - 4
    out = []
    for index, label in enumerate(labels):
        x, y = LEFT + (index + 0.5) * slot, bottom + 15
        if slanted:
            out.append(f'<text class="bin" transform="translate({x:.1f},{y - 4:.1f}) rotate(-40)" '
                       f'text-anchor="end">{escape(label)}</text>')
        else:
            out.append(f'<text class="bin" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(label)}</text>')
    return out, (math.ceil(widest * 0.66 + 14) if slanted else 18)


def _legend(x: float, y: float) -> list[str]:
    out = []
    for index, side in enumerate(("reference", "current")):
        left = x + index * 80
        out.append(f'<rect x="{left:.1f}" y="{y - 9:.1f}" width="12" height="12" fill="{COLOURS[side]}" '
                   f'fill-opacity="{OPACITY}"/>')
        out.append(f'<text class="legend" x="{left + 16:.1f}" y="{y + 1:.1f}">{side}</text>')
    return out


def _percent(share: float, digits: int = 0) -> str:
    """0.25 → 25%, with ``digits`` decimals (0: as few as the value needs, up to 3 significant)."""
    return (f"{share * 100:.{digits}f}" if digits else f"{share * 100:.3g}") + "%"
