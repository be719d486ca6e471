"""The posture trend as an SVG line chart (pygal), readable in print, with its data table."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pygal
from pygal.style import Style

from controls import PostureSnapshot

PRINT_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#000000",
    foreground_subtle="#777777",
    colors=("#1f4e79",),
    font_family="DejaVu Sans, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    title_font_size=15,
    value_font_size=11,
)


def trend_svg(trend: Sequence[PostureSnapshot]) -> str:
    """An SVG document (no scripts) of the percentage of requirements satisfied."""
    chart = pygal.Line(
        width=760,
        height=320,
        style=PRINT_STYLE,
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        range=(0, 100),
        x_label_rotation=30,
        show_minor_x_labels=len(trend) <= 14,
        x_labels_major_count=14,
        dots_size=3,
    )
    chart.title = "Requirements satisfied (%)"
    chart.x_labels = [s.taken_at.strftime("%d %b %H:%M") for s in trend]
    chart.add("satisfied", [s.percent for s in trend])
    rendered: str = chart.render(is_unicode=True)
    return rendered


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
