"""The reports read privacy through ``reports.PrivacyRecords`` (issue 18, item 2), which the
privacy room's read-only adapter implements over the DSR table and the breach register, on a
real container with the demo's requests and breach: the framework reports' privacy section
and the DSR and breach performance report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from privacy.performance_source import PrivacyFigures
from reports import PrivacySummary, Requester, Window
from reports.framework.model import assemble
from reports.framework.render import render_html
from tests.reports.posture import InMemoryPosture
from trustplane.cli.demo import seed_demo
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings
from trustplane.wiring.reports import PrivacySection

SECURITY = Requester(id="u-sec", roles=frozenset({"security"}))


@pytest.fixture
def container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    monkeypatch.setenv("TRUSTPLANE_PRIVACY__DEMO_CUSTOMERS", "40")
    built = build_container(Settings(data_dir=tmp_path))
    upgrade(built.engine)
    seed_demo(built)  # the demo opens two requests and records one breach
    yield built
    built.close()


def test_privacy_section_counts_requests_and_breaches_of_the_window(
    container: Container,
) -> None:
    now = datetime.now(UTC)
    window = Window(now - timedelta(days=1), now + timedelta(minutes=1))
    figures = PrivacyFigures(container.privacy.repository, container.breaches)
    today = PrivacySection(figures, lambda: now)(window)
    # the demo breach's duties are still running: detected, not yet notified in time
    assert today == PrivacySummary(
        dsr_total=2, dsr_within_sla=0, dsr_overdue=0, breaches_total=1, breaches_notified_in_time=0
    )
    late = PrivacySection(figures, lambda: now + timedelta(days=120))(window)
    assert late is not None
    assert late.dsr_overdue == 2  # still open, past due
    earlier = Window(now - timedelta(days=30), now - timedelta(days=20))
    assert PrivacySection(figures, lambda: now)(earlier) is None  # nothing received or detected
    (breach,) = figures.breaches_detected(window.start, window.end)
    assert breach.affected_count == 120
    assert {n.state for n in breach.notifications} <= {"running", "due_now", "overdue"}
    assert "affected_ids" not in breach.__dataclass_fields__  # no identifier leaves privacy


def test_the_performance_report_is_built_through_the_service(container: Container) -> None:
    now = datetime.now(UTC)
    window = Window(now - timedelta(days=1), now + timedelta(minutes=1))
    job = container.reports.request(
        "privacy_performance", None, window, "html", SECURITY, background=False
    )
    assert job.state.value == "done", job.error
    _, path = container.reports.download(job.id, SECURITY)
    html = path.read_text()
    assert "DSR and breach performance" in html
    assert 'src="data:image/svg+xml;base64,' in html  # the chart of the two requests
    assert "<td>120</td>" in html  # the demo breach's principals affected
    framework = container.reports.request(
        "framework", "dpdp", window, "html", SECURITY, background=False
    )
    _, path = container.reports.download(framework.id, SECURITY)
    assert "no breach register configured" not in path.read_text()


def test_a_report_without_a_breach_register_invents_no_breach_count() -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    window = Window(now - timedelta(days=7), now)
    summary = PrivacySummary(dsr_total=5, dsr_within_sla=3, dsr_overdue=1)
    html = render_html(assemble(InMemoryPosture([], now), "gdpr", window, [], now, privacy=summary))
    assert "<td>5</td><td>3</td><td>1</td>" in html
    assert "no breach register configured" in html
