"""A trend chart as SVG markup with presentation attributes only (no <style>, no script),
so it passes the console's strict CSP; the page shows the same numbers as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 480, 160, 32


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    percent: float


def trend_svg(points: Sequence[TrendPoint], label: str) -> Markup:
    """A line of percent satisfied over time, 0-100 on the y axis."""
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for percent in (0, 50, 100):
        y = PAD + inner_h * (1 - percent / 100)
        parts.append(
            f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" '
            'stroke="#767676" stroke-width="0.5"/>'
            f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="#1a1a1a">{percent}%</text>'
        )
    if points:
        first, last = points[0].at.timestamp(), points[-1].at.timestamp()
        span = max(last - first, 1.0)
        coords = [
            (
                PAD + inner_w * ((p.at.timestamp() - first) / span if len(points) > 1 else 0.5),
                PAD + inner_h * (1 - max(0.0, min(100.0, p.percent)) / 100),
            )
            for p in points
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0b5394" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0b5394"/>' for x, y in coords)
    parts.append("</svg>")
    # every interpolated value above is a number or escaped text
    return Markup("".join(parts))  # noqa: S704
