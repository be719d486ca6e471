"""Framework report to HTML (Jinja2) and to PDF from the same HTML (WeasyPrint, ADR 0600)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reports.access import AccessReview, KeyInventoryReport
from reports.framework.chart import svg_data_uri, trend_svg, volumes_svg
from reports.framework.model import FrameworkReport
from reports.framework.pdf import WeasyPrintRenderer
from reports.privacy_performance import PrivacyPerformance


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _age(delta: timedelta | None) -> str:
    if delta is None:
        return "unknown"
    days, seconds = delta.days, delta.seconds
    if days:
        return f"{days} d {seconds // 3600} h"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _label(value: object) -> str:
    return str(getattr(value, "value", value)).replace("_", " ")


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, day=_day, age=_age, label=_label)
    return env


_ENV = environment()


def render_html(report: FrameworkReport) -> str:
    chart = svg_data_uri(trend_svg(report.trend)) if report.trend else ""
    return _ENV.get_template("framework.html.j2").render(r=report, chart_uri=chart)


def check_pdf_renderer() -> None:
    """Raise ``RendererUnavailableError`` now, before a PDF is promised to anyone."""
    WeasyPrintRenderer().check()


def render_pdf(html: str) -> bytes:
    """The PDF of ``html`` (WeasyPrint); ``RendererUnavailableError`` when it cannot load."""
    return WeasyPrintRenderer().render(html)


def render_access_review(review: AccessReview) -> str:
    return _ENV.get_template("access_review.html.j2").render(r=review)


def render_key_inventory(inventory: KeyInventoryReport) -> str:
    return _ENV.get_template("key_inventory.html.j2").render(r=inventory)


def render_privacy_performance(performance: PrivacyPerformance) -> str:
    chart = svg_data_uri(volumes_svg(performance.by_day)) if performance.total.received else ""
    return _ENV.get_template("privacy_performance.html.j2").render(r=performance, chart_uri=chart)
