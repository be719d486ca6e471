"""The posture trend as an SVG line chart (pygal), readable in print, with its data table."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pygal
from pygal.style import Style

from controls import PostureSnapshot

if TYPE_CHECKING:
    from reports.privacy_performance import RequestRow

OUTCOME_COLOURS = ("#1e6b2e", "#8a5a00", "#a50e0e", "#1f4e79")  # met, late, overdue, open
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


def volumes_svg(days: Sequence[RequestRow]) -> str:
    """An SVG stacked bar chart (no scripts) of requests received per day, by outcome."""
    style = Style(**{**PRINT_STYLE.__dict__, "colors": OUTCOME_COLOURS})
    chart = pygal.StackedBar(
        width=760,
        height=320,
        style=style,
        js=[],
        disable_xml_declaration=True,
        legend_at_bottom=True,
        x_label_rotation=30,
        show_minor_x_labels=len(days) <= 14,
        x_labels_major_count=14,
        print_values=False,
    )
    chart.title = "Requests received per day"
    chart.x_labels = [row.label for row in days]
    top = max((row.received for row in days), default=0)
    step = max(1, -(-top // 10))
    chart.y_labels = list(range(0, top + step + 1, step))  # whole requests, never 0.2
    chart.add("within SLA", [row.met for row in days])
    chart.add("late", [row.late for row in days])
    chart.add("overdue", [row.overdue for row in days])
    chart.add("open", [row.open for row in days])
    rendered: str = chart.render(is_unicode=True)
    return rendered


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
