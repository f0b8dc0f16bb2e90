"""Small SVG charts drawn on the server: nothing to load from anywhere, readable without script."""
from __future__ import annotations

from markupsafe import Markup, escape


def sparkline(values: list[int], *, width: int = 120, height: int = 28, label: str = "") -> Markup:
    """Daily volume as a line; its <title> says what it shows on hover."""
    if not values:
        return Markup("")
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values))
    title = escape(f"{label}: {sum(values)} in {len(values)} days, at most {top} a day")
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/></svg>')


def share_vs_time(figures, *, width: int = 640, height: int = 360, labels: dict) -> Markup:
    """Each city as a point: courier share (x) against median hours to the citizen's hands (y)."""
    plotted = [f for f in figures if f.courier_share is not None and f.median_hours is not None]
    pad_left, pad_bottom, pad_top, pad_right = 56, 44, 16, 16
    inner_w, inner_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    top_hours = max([f.median_hours for f in plotted] + [24.0])
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc">',
             f'<title id="chart-title">{escape(labels["title"])}</title>',
             f'<desc id="chart-desc">{escape(labels["desc"])}</desc>',
             f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{pad_left + inner_w}" y2="{pad_top + inner_h}" class="axis"/>',
             f'<line x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{pad_top + inner_h}" class="axis"/>']
    for tick in (0, 25, 50, 75, 100):
        x = pad_left + inner_w * tick / 100
        parts.append(f'<text x="{x:.0f}" y="{height - 24}" class="tick" text-anchor="middle">{tick}%</text>')
    for n in range(5):
        hours = top_hours * n / 4
        y = pad_top + inner_h - inner_h * n / 4
        parts.append(f'<text x="{pad_left - 6}" y="{y + 4:.0f}" class="tick" text-anchor="end">{hours:.0f} h</text>')
    parts.append(f'<text x="{pad_left + inner_w / 2:.0f}" y="{height - 6}" class="axis-label" text-anchor="middle">'
                 f'{escape(labels["x"])}</text>')
    parts.append(f'<text x="14" y="{pad_top + inner_h / 2:.0f}" class="axis-label" text-anchor="middle" '
                 f'transform="rotate(-90 14 {pad_top + inner_h / 2:.0f})">{escape(labels["y"])}</text>')
    for f in plotted:
        x = pad_left + inner_w * f.courier_share
        y = pad_top + inner_h - inner_h * min(f.median_hours / top_hours, 1)
        tip = escape(labels["point"].format(city=f.city, share=f.courier_share * 100, hours=f.median_hours,
                                            p90=f.p90_hours or 0))
        parts.append(f'<g class="point"><title>{tip}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="6"/>'
                     f'<text x="{x + 9:.1f}" y="{y + 4:.1f}" class="point-label">{escape(f.city)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
