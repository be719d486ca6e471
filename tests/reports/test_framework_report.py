"""Framework reports render for empty, partial and full posture, in HTML and in PDF."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reports import EvidenceRecord, Window
from reports.framework.model import FRAMEWORKS, PreviousReport, assemble
from reports.framework.render import render_html, render_pdf
from tests.reports.posture import CATALOG, InMemoryPosture, findings_for, history

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=7), NOW)
HEADINGS = [
    "Executive summary",
    "Posture trend over the period",
    "Failing controls",
    "Posture per requirement",
    "Findings by control",
    "Stale evidence",
    "Exceptions",
    "Data subject requests and breaches",
    "Appendix: evidence collected in the period",
]
FAILING_CHECK = "tls.protocol_version"  # TP-ENC-02, mapped in all four frameworks


def evidence(count: int) -> list[EvidenceRecord]:
    return [
        EvidenceRecord(
            index=i,
            canonical=b"{}",
            sha256=f"{i + 1:064x}",
            collector="tls",
            scope="api",
            collected_at=WINDOW.start + timedelta(hours=i),
            stored_at=WINDOW.start + timedelta(hours=i, seconds=3),
        )
        for i in range(count)
    ]


def partial_source() -> InMemoryPosture:
    return InMemoryPosture(
        findings_for(NOW, failing_checks=[FAILING_CHECK], every_check=False),
        NOW,
        history("pci_dss", WINDOW.start, 7),
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_empty_posture_renders_every_section(framework: str) -> None:
    report = assemble(InMemoryPosture([], NOW), framework, WINDOW, [], NOW)
    html = render_html(report)
    for heading in HEADINGS:
        assert heading in html
    assert report.posture.percent_satisfied == 0.0
    assert "No posture snapshot was taken in this period." in html
    assert "No evidence was collected in this period." in html
    assert "privacy operations are not configured" in html
    assert "no previous report of this framework" in html


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_full_posture_satisfies_every_assessed_requirement(framework: str) -> None:
    source = InMemoryPosture(findings_for(NOW), NOW)
    report = assemble(source, framework, WINDOW, evidence(3), NOW)
    assert report.posture.percent_satisfied == 100.0
    assert report.failing == ()
    html = render_html(report)
    assert "100.0 %" in html
    assert "No control is failing." in html
    assert all(e.sha256 in html for e in report.evidence)


def test_partial_posture_puts_failing_first_with_owner_and_age() -> None:
    report = assemble(
        partial_source(),
        "pci_dss",
        WINDOW,
        evidence(2),
        NOW,
        previous=PreviousReport(NOW - timedelta(days=7), 40.0),
    )
    assert report.failing, "a failing check must make a failing control"
    first = report.failing[0]
    assert first.control.control_id == "TP-ENC-02"
    assert first.control.owner == "platform-security"
    assert first.age == timedelta(minutes=30)
    assert report.requirements[0].requirement.status.value == "fail"
    html = render_html(report)
    assert html.index("TP-ENC-02") < html.index("Posture per requirement")
    assert "&lt;b&gt;off&lt;/b&gt;" in html  # escaped
    assert "<b>off</b>" not in html
    assert report.change == round(report.posture.percent_satisfied - 40.0, 1)
    assert "points (previous report 2026-11-23" in html
    assert len(report.trend) == 7
    assert "data:image/svg+xml;base64," in html
    assert "Trend data (text alternative of the chart)" in html


def test_every_catalog_framework_is_reportable() -> None:
    assert set(FRAMEWORKS) == set(CATALOG.frameworks)


def test_the_pdf_has_its_headings_and_turns_into_page_images(tmp_path: Path) -> None:
    report = assemble(partial_source(), "pci_dss", WINDOW, evidence(40), NOW)
    pdf = render_pdf(render_html(report))
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    assert all(page.read_bytes().startswith(b"\x89PNG") for page in pages)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "Payment Card Industry Data Security Standard" in text
    for heading in HEADINGS:
        assert heading in text, heading
    assert "TP-ENC-02" in text
