"""The reports' privacy section reads the DSR table (issue 18, item 2): requests received in
the window, answered within their SLA, overdue; breach figures stay "not configured" until a
breach register feeds them (never a made-up zero)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reports import PrivacySummary, Window
from reports.framework.model import assemble
from reports.framework.render import render_html
from tests.reports.posture import InMemoryPosture
from trustplane.cli.demo import seed_demo
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings
from trustplane.wiring.reports import DsrPerformance


@pytest.fixture
def container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    monkeypatch.setenv("TRUSTPLANE_PRIVACY__DEMO_CUSTOMERS", "40")
    built = build_container(Settings(data_dir=tmp_path))
    upgrade(built.engine)
    seed_demo(built)  # the demo opens two requests
    yield built
    built.close()


def test_dsr_performance_counts_the_window_and_the_clock(container: Container) -> None:
    now = datetime.now(UTC)
    window = Window(now - timedelta(days=1), now + timedelta(minutes=1))
    dsr_requests = container.privacy.repository
    today = DsrPerformance(dsr_requests, lambda: now)(window)
    assert today == PrivacySummary(dsr_total=2, dsr_within_sla=0, dsr_overdue=0)
    late = DsrPerformance(dsr_requests, lambda: now + timedelta(days=120))(window)
    assert late is not None
    assert late.dsr_overdue == 2  # still open, past due
    earlier = Window(now - timedelta(days=30), now - timedelta(days=20))
    assert DsrPerformance(dsr_requests, lambda: now)(earlier) is None  # nothing received


def test_a_report_shows_the_dsr_figures_and_no_invented_breach_count() -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    window = Window(now - timedelta(days=7), now)
    summary = PrivacySummary(dsr_total=5, dsr_within_sla=3, dsr_overdue=1)
    html = render_html(assemble(InMemoryPosture([], now), "gdpr", window, [], now, privacy=summary))
    assert "<td>5</td><td>3</td><td>1</td>" in html
    assert "no breach register configured" in html
