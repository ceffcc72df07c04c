"""Line charts as plain SVG (no plotting library is installed offline): sweeps and latency distributions."""

from __future__ import annotations

import math
from html import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / count))
    for mult in (1, 2, 5, 10):
        if (hi - lo) / (step * mult) <= count:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def line_chart(series: dict[str, list[tuple[float, float]]], *, title: str, x_label: str, y_label: str,
               width: int = 640, height: int = 320, log_x: bool = False, legend_chars: int = 18) -> str:
    """One polyline per named series of (x, y) points; a legend (room for `legend_chars`); axes with round ticks."""
    points = [p for pts in series.values() for p in pts if math.isfinite(p[0]) and math.isfinite(p[1])]
    if not points:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60"><text x="8" y="30">' \
               f'{escape(title)}: no data</text></svg>'
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    xs, ys = [fx(p[0]) for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = 0.0, max(ys) * 1.08 or 1.0
    left, right, top, bottom = 64, max(150, 40 + 7 * legend_chars), 28, 44
    w, h = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + (fx(v) - x0) / ((x1 - x0) or 1.0) * w

    def sy(v: float) -> float:
        return top + h - (v - y0) / ((y1 - y0) or 1.0) * h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="11"><rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="16" font-size="13">{escape(title)}</text>',
           f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#333"/>']
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{left}" y1="{sy(t):.1f}" x2="{left + w}" y2="{sy(t):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    x_ticks = sorted({p[0] for p in points}) if log_x else _ticks(min(p[0] for p in points), max(p[0] for p in points))
    for t in x_ticks[:12]:
        out.append(f'<text x="{sx(t):.1f}" y="{top + h + 16}" text-anchor="middle">{t:g}</text>')
    out.append(f'<text x="{left + w / 2}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text transform="translate(14 {top + h / 2}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>')
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts if math.isfinite(x) and math.isfinite(y))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        if len(pts) <= 12:
            out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in pts
                    if math.isfinite(x) and math.isfinite(y)]  # an open interval's bound has no point
        ly = top + 14 + i * 16
        out.append(f'<line x1="{left + w + 10}" y1="{ly - 4}" x2="{left + w + 28}" y2="{ly - 4}" stroke="{colour}" '
                   f'stroke-width="2"/><text x="{left + w + 32}" y="{ly}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def cdf_points(samples: list[float], *, scale: float = 1000.0, points: int = 200) -> list[tuple[float, float]]:
    """(value × scale, cumulative share in %) at up to `points` evenly spaced ranks."""
    data = sorted(samples)
    if not data:
        return []
    step = max(1, len(data) // points)
    out = [(data[i] * scale, 100.0 * (i + 1) / len(data)) for i in range(0, len(data), step)]
    if out[-1][1] < 100.0:
        out.append((data[-1] * scale, 100.0))
    return out
