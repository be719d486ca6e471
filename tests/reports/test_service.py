"""The reports service: acknowledged jobs survive a killed process, failures close."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from audit import AuditLog, InMemoryAuditLog
from controls import LocalEvidenceStore
from reports import ArtifactIntegrityError, RendererUnavailableError, Window
from reports.jobs import Job, JobsRepository, JobState, ReportKind
from reports.service import ReportsService, Requester
from tests.reports.conftest import LOG_TIME, WINDOW_END, WINDOW_START, seed_week
from tests.reports.posture import InMemoryPosture

SECURITY = Requester(id="u-sec", roles=frozenset({"security"}))
WINDOW = Window(WINDOW_START, WINDOW_END)


def service(
    engine: Engine, log: AuditLog, store: LocalEvidenceStore, tmp_path: Path, **kwargs: object
) -> ReportsService:
    return ReportsService(
        JobsRepository(engine),
        controls=InMemoryPosture([], LOG_TIME),
        log=log,
        store=store,
        recorder=kwargs.pop("recorder", log),  # type: ignore[arg-type]
        artifacts=tmp_path / "artifacts",
        clock=kwargs.pop("clock", lambda: LOG_TIME),  # type: ignore[arg-type]
    )


def test_jobs_a_killed_process_acknowledged_are_built_at_start(
    engine: Engine, audit_log: AuditLog, evidence_store: LocalEvidenceStore, tmp_path: Path
) -> None:
    seed_week(evidence_store, audit_log)
    jobs = JobsRepository(engine)
    for job_id, state, percent in (
        ("01JDEMO00000000000000000A1", JobState.QUEUED, 0),
        ("01JDEMO00000000000000000A2", JobState.RUNNING, 40),
    ):
        jobs.add(
            Job(
                id=job_id,
                kind=ReportKind.BUNDLE,
                framework="pci_dss",
                window=WINDOW,
                format="zip",
                state=state,
                percent=percent,
                requested_by="u-sec",
                created_at=LOG_TIME,
            )
        )
    restarted = service(engine, audit_log, evidence_store, tmp_path)
    assert restarted.resume() == 2
    restarted.wait(timeout=120)
    restarted.close()
    for job_id in ("01JDEMO00000000000000000A1", "01JDEMO00000000000000000A2"):
        job = jobs.get(job_id)
        assert job is not None
        assert job.state is JobState.DONE, job.error
        assert job.percent == 100
        assert (tmp_path / "artifacts" / f"{job_id}.zip").is_file()
    assert jobs.unfinished() == []


def test_a_build_that_cannot_read_evidence_fails_and_says_why(
    engine: Engine, audit_log: AuditLog, evidence_store: LocalEvidenceStore, tmp_path: Path
) -> None:
    hashes = seed_week(evidence_store, audit_log)
    victim = tmp_path / "evidence" / hashes[0][:2] / hashes[0]
    victim.chmod(0o600)
    victim.write_bytes(b"swapped")
    reports = service(engine, audit_log, evidence_store, tmp_path)
    job = reports.request("bundle", "pci_dss", WINDOW, "zip", SECURITY, background=False)
    assert job.state is JobState.FAILED
    assert job.error is not None
    assert "EvidenceIntegrityError" in job.error
    assert not (tmp_path / "artifacts" / f"{job.id}.zip").exists()


def test_a_report_whose_generation_cannot_be_audited_fails(
    engine: Engine, audit_log: AuditLog, evidence_store: LocalEvidenceStore, tmp_path: Path
) -> None:
    broken = InMemoryAuditLog()
    broken.fail = True
    reports = service(engine, audit_log, evidence_store, tmp_path, recorder=broken)
    job = reports.request("framework", "gdpr", WINDOW, "html", SECURITY, background=False)
    assert job.state is JobState.FAILED
    assert job.error is not None
    assert "AuditUnavailableError" in job.error


def test_no_pdf_is_promised_without_a_renderer(
    engine: Engine,
    audit_log: AuditLog,
    evidence_store: LocalEvidenceStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import now raises ImportError
    reports = service(engine, audit_log, evidence_store, tmp_path)
    with pytest.raises(RendererUnavailableError, match="pango"):
        reports.request("framework", "gdpr", WINDOW, "pdf", SECURITY)
    with pytest.raises(RendererUnavailableError):
        reports.request("bundle", "gdpr", WINDOW, "zip", SECURITY)
    assert reports.recent(SECURITY, bundles=True) == []
    assert reports.recent(SECURITY, bundles=False) == []
    html = reports.request("framework", "gdpr", WINDOW, "html", SECURITY, background=False)
    assert html.state is JobState.DONE


def test_previous_report_feeds_the_change(
    engine: Engine, audit_log: AuditLog, evidence_store: LocalEvidenceStore, tmp_path: Path
) -> None:
    moments = iter(LOG_TIME + timedelta(hours=hour) for hour in range(100))
    reports = service(engine, audit_log, evidence_store, tmp_path, clock=lambda: next(moments))
    first = reports.request("framework", "gdpr", WINDOW, "html", SECURITY, background=False)
    _, path = reports.download(first.id, SECURITY)
    assert "no previous report of this framework" in path.read_text()
    second = reports.request("framework", "gdpr", WINDOW, "html", SECURITY, background=False)
    _, path = reports.download(second.id, SECURITY)
    assert first.posture_percent == 0.0
    assert "+0.0 points (previous report 2026-11-29 12:00: 0.0 %)" in path.read_text()


def test_shutdown_keeps_queued_jobs_for_the_next_start(
    engine: Engine, audit_log: AuditLog, evidence_store: LocalEvidenceStore, tmp_path: Path
) -> None:
    first = service(engine, audit_log, evidence_store, tmp_path)
    accepted = [
        first.request("framework", framework, WINDOW, "html", SECURITY)
        for framework in ("gdpr", "dpdp", "pci_dss", "iso27001")
    ]
    first.close()
    jobs = JobsRepository(engine)
    states = {jobs.get(job.id).state for job in accepted}  # type: ignore[union-attr]
    assert states <= {JobState.DONE, JobState.QUEUED}  # nothing left half-built
    second = service(engine, audit_log, evidence_store, tmp_path)
    second.resume()
    second.wait(timeout=120)
    second.close()
    assert {jobs.get(job.id).state for job in accepted} == {JobState.DONE}  # type: ignore[union-attr]


def test_an_artifact_altered_at_rest_is_not_served(
    engine: Engine, audit_log: AuditLog, evidence_store: LocalEvidenceStore, tmp_path: Path
) -> None:
    reports = service(engine, audit_log, evidence_store, tmp_path)
    job = reports.request("framework", "gdpr", WINDOW, "html", SECURITY, background=False)
    _, path = reports.download(job.id, SECURITY)
    path.write_text(path.read_text().replace("Executive summary", "Everything is fine"))
    with pytest.raises(ArtifactIntegrityError):
        reports.download(job.id, SECURITY)
