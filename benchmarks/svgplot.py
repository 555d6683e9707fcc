"""A small hand-written SVG line chart: panels side by side, each with axes, ticks, labels, a legend
and one ``<polyline>`` per series (plus a dot per point). No dependency; the same data give the same
bytes (every coordinate is rounded to 0.1 px), so a committed picture only changes when its numbers do.

Used by ``benchmarks/run.py --cases scaling`` for ``benchmarks/scaling.svg``; tested by
``tests/test_benchmarks.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

#: Colours of the series, in order (colour-blind safe: Okabe–Ito).
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]


@dataclass
class Series:
    name: str
    points: list[tuple[float, float]]             # (x, y), in the order drawn
    colour: str | None = None
    dashed: bool = False


@dataclass
class Guide:
    """A dashed curve drawn under the series (e.g. a fit), as a ``<path>``: never a ``<polyline>``."""
    name: str
    points: list[tuple[float, float]]
    colour: str = "#888888"


@dataclass
class Panel:
    title: str
    x_label: str
    y_label: str
    series: list[Series]
    x_log: bool = True
    y_log: bool = False
    y_from_zero: bool = True                      # a linear y axis starts at 0 (memory: flat is flat)
    guides: list[Guide] = field(default_factory=list)
    legend: str = "top-left"                      # or "bottom-right"


def _si(value: float) -> str:
    """10000 → 10k, 4000000 → 4M, 0.5 → 0.5."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks between lo and hi (only 1s when the range spans more than 3 decades)."""
    steps = (1,) if math.log10(hi / lo) > 3 else (1, 2, 5)
    ticks = []
    for exponent in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for step in steps:
            value = step * 10.0 ** exponent
            if lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9):
                ticks.append(float(f"{value:.12g}"))
    return ticks


def linear_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round ticks (1, 2 or 5 × 10^k apart) from lo to hi."""
    raw = (hi - lo) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9)
    return [float(f"{i * step:.12g}") for i in range(first, int(math.floor(hi / step + 1e-9)) + 1)]


def _range(values: list[float], log: bool, from_zero: bool) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if log:
        # pad by a fraction of a decade, out to the nearest 1-2-5 value
        lo_pad, hi_pad = lo / 10 ** 0.08, hi * 10 ** 0.08
        below = [t for t in log_ticks(lo_pad / 10, lo_pad) if t <= lo_pad]
        above = [t for t in log_ticks(hi_pad, hi_pad * 10) if t >= hi_pad]
        return (below[-1] if below else lo_pad), (above[0] if above else hi_pad)
    lo = 0.0 if from_zero else lo
    if hi == lo:
        hi = lo + 1
    step = linear_ticks(lo, hi * 1.15)[1] - linear_ticks(lo, hi * 1.15)[0]
    return (math.floor(lo / step) * step, math.ceil(hi * 1.15 / step) * step)


def plot(panels: list[Panel], title: str, note: str = "", panel_width: int = 440, panel_height: int = 300) -> str:
    """The SVG document (text) of ``panels`` side by side under ``title`` (and a smaller ``note``)."""
    left, right, top, bottom = 64, 16, 64, 56      # margins of each panel's plotting area
    width = len(panels) * panel_width
    height = top + panel_height + bottom + (18 if note else 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    if note:
        out.append(f'<text x="{width / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
                   f'fill="#555555">{escape(note)}</text>')
    colour_of: dict[str, str] = {}
    for index, panel in enumerate(panels):
        x0, y0 = index * panel_width + left, top
        w, h = panel_width - left - right, panel_height - 24
        xs = [x for s in panel.series for x, _ in s.points] + [x for g in panel.guides for x, _ in g.points]
        ys = [y for s in panel.series for _, y in s.points]
        x_lo, x_hi = _range(xs, panel.x_log, False)
        y_lo, y_hi = _range(ys, panel.y_log, panel.y_from_zero)

        def scale(v, lo, hi, log, length):
            if log:
                return (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * length
            return (v - lo) / (hi - lo) * length

        def px(x, y):
            return x0 + scale(x, x_lo, x_hi, panel.x_log, w), y0 + h - scale(y, y_lo, y_hi, panel.y_log, h)

        out.append(f'<g class="panel">')
        out.append(f'<text x="{x0 + w / 2:.1f}" y="{y0 - 10}" text-anchor="middle" font-size="13" '
                   f'font-weight="bold">{escape(panel.title)}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#333333"/>')
        x_ticks = log_ticks(x_lo, x_hi) if panel.x_log else linear_ticks(x_lo, x_hi)
        y_ticks = log_ticks(y_lo, y_hi) if panel.y_log else linear_ticks(y_lo, y_hi)
        for t in x_ticks:
            x, _ = px(t, y_lo)
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + h}" stroke="#e5e5e5"/>')
            out.append(f'<line x1="{x:.1f}" y1="{y0 + h}" x2="{x:.1f}" y2="{y0 + h + 5}" stroke="#333333"/>')
            out.append(f'<text x="{x:.1f}" y="{y0 + h + 18}" text-anchor="middle">{_si(t)}</text>')
        for t in y_ticks:
            _, y = px(x_lo, t)
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            out.append(f'<line x1="{x0 - 5}" y1="{y:.1f}" x2="{x0}" y2="{y:.1f}" stroke="#333333"/>')
            out.append(f'<text x="{x0 - 8}" y="{y + 4:.1f}" text-anchor="end">{_si(t)}</text>')
        out.append(f'<text x="{x0 + w / 2:.1f}" y="{y0 + h + 38}" text-anchor="middle">{escape(panel.x_label)}</text>')
        out.append(f'<text transform="translate({x0 - 48},{y0 + h / 2:.1f}) rotate(-90)" '
                   f'text-anchor="middle">{escape(panel.y_label)}</text>')
        legend = []
        for guide in panel.guides:
            d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
                         for i, (x, y) in enumerate(px(*p) for p in guide.points))
            out.append(f'<path class="guide" d="{d}" fill="none" stroke="{guide.colour}" stroke-width="1.2" '
                       f'stroke-dasharray="5,4" opacity="0.8"/>')
            legend.append((guide.name, guide.colour, True))
        for series in panel.series:
            colour = series.colour or colour_of.setdefault(series.name, COLOURS[len(colour_of) % len(COLOURS)])
            coords = [px(*p) for p in series.points]
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            dash = ' stroke-dasharray="7,3"' if series.dashed else ""
            out.append(f'<polyline class="series" data-name="{escape(series.name)}" points="{points}" fill="none" '
                       f'stroke="{colour}" stroke-width="2"{dash}/>')
            fill = "#ffffff" if series.dashed else colour   # hollow dots for a dashed series
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
                    for x, y in coords]
            legend.append((series.name, colour, series.dashed))
        widest = max((len(name) for name, _, _ in legend), default=0) * 6.5 + 50
        for i, (name, colour, dashed) in enumerate(legend):
            if panel.legend == "bottom-right":
                lx, ly = x0 + w - widest, y0 + h - 10 - 16 * (len(legend) - 1 - i)
            else:
                lx, ly = x0 + 10, y0 + 18 + 16 * i
            dash = ' stroke-dasharray="7,3"' if dashed else ""
            out.append(f'<line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 24:.1f}" y2="{ly - 4}" stroke="{colour}" '
                       f'stroke-width="2"{dash}/>')
            out.append(f'<text x="{lx + 30:.1f}" y="{ly}">{escape(name)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
