"""The demo leaves a week of evidence: a report and a bundle of the last week have content."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit import AuditLog
from reports import Window, parse_key, verify_bundle
from reports.jobs import JobState
from reports.service import ReportsService, Requester
from trustplane.cli.demo import seed_demo
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

SECURITY = Requester(id="u-sec", roles=frozenset({"security"}))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, list[str]]]:
    root = tmp_path_factory.mktemp("reports-demo")
    settings = Settings(data_dir=root, database_url=f"sqlite:///{root / 'tp.db'}")
    container = build_container(settings)
    upgrade(container.engine)
    lines = seed_demo(container).lines
    yield container, lines
    container.close()


def last_week() -> Window:
    now = datetime.now(UTC)
    return Window(now - timedelta(days=7), now + timedelta(minutes=1))


def test_the_demo_seeds_a_week_once(demo: tuple[Container, list[str]]) -> None:
    container, lines = demo
    assert any(line.startswith("demo evidence: 7 daily collections") for line in lines)
    again = seed_demo(container).lines
    assert any("demo evidence exists" in line for line in again)


def test_a_report_of_the_last_week_has_content(demo: tuple[Container, list[str]]) -> None:
    container, _ = demo
    service = container.reports
    assert isinstance(service, ReportsService)
    job = service.request("framework", "pci_dss", last_week(), "html", SECURITY, background=False)
    assert job.state is JobState.DONE, job.error
    _, path = service.download(job.id, SECURITY)
    html = path.read_text()
    assert "TP-" in html
    assert "No posture snapshot was taken in this period." not in html
    assert "No evidence was collected in this period." not in html
    assert "console access without MFA" in html  # the failing control, first
    assert html.count("<tr><td>20") >= 7  # seven trend rows at least


def test_a_bundle_of_the_last_week_verifies(
    demo: tuple[Container, list[str]], tmp_path: Path
) -> None:
    container, _ = demo
    service = container.reports
    log = container.audit
    assert isinstance(service, ReportsService)
    assert isinstance(log, AuditLog)
    job = service.request("bundle", "iso27001", last_week(), "zip", SECURITY, background=False)
    assert job.state is JobState.DONE, job.error
    _, path = service.download(job.id, SECURITY)
    report = verify_bundle(path, parse_key(log.public_key()))
    assert report.ok, report.problems
    assert report.evidence_items >= 7 * 5
