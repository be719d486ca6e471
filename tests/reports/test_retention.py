"""Artifact retention: old reports and bundles are pruned, recorded first as an audit event;
a bundle an active auditor engagement covers stays; nothing is deleted unaudited."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from audit import AuditLog, AuditUnavailableError, EventType, InMemoryAuditLog
from controls import LocalEvidenceStore
from reports import ReportNotFoundError, Window
from reports.jobs import Job, JobsRepository, JobState, Scope
from reports.service import ReportsService, Requester
from tests.reports.conftest import LOG_TIME, WINDOW_END, WINDOW_START, seed_week
from tests.reports.posture import InMemoryPosture

SECURITY = Requester(id="u-sec", roles=frozenset({"security"}))
ADMIN = Requester(id="u-admin", roles=frozenset({"admin"}))
WINDOW = Window(WINDOW_START, WINDOW_END)
RETENTION = timedelta(days=90)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def service(
    engine: Engine,
    log: AuditLog,
    store: LocalEvidenceStore,
    tmp_path: Path,
    clock: Clock,
    recorder: InMemoryAuditLog,
    active: set[str],
) -> ReportsService:
    return ReportsService(
        JobsRepository(engine),
        controls=InMemoryPosture([], LOG_TIME),
        log=log,
        store=store,
        recorder=recorder,
        artifacts=tmp_path / "artifacts",
        clock=clock,
        retention=RETENTION,
        engagement_active=lambda account: account in active,
    )


@pytest.fixture
def built(
    engine: Engine, audit_log: AuditLog, evidence_store: LocalEvidenceStore, tmp_path: Path
) -> tuple[ReportsService, Clock, InMemoryAuditLog, set[str], dict[str, Job]]:
    seed_week(evidence_store, audit_log)
    clock, recorder, active = Clock(LOG_TIME), InMemoryAuditLog(), {"tpc_auditor"}
    reports = service(engine, audit_log, evidence_store, tmp_path, clock, recorder, active)
    jobs = {
        "report": reports.request("framework", "gdpr", WINDOW, "html", SECURITY, background=False),
        "covered": reports.request("bundle", "pci_dss", WINDOW, "zip", SECURITY, background=False),
        "uncovered": reports.request("bundle", "gdpr", WINDOW, "zip", SECURITY, background=False),
    }
    clock.now = LOG_TIME + timedelta(days=30)
    jobs["young"] = reports.request("framework", "dpdp", WINDOW, "html", SECURITY, background=False)
    assert {job.state for job in jobs.values()} == {JobState.DONE}
    reports.jobs.set_scope(
        Scope("tpc_auditor", frozenset({"pci_dss"}), WINDOW, "u-admin", LOG_TIME)
    )
    clock.now = LOG_TIME + RETENTION + timedelta(days=1)
    return reports, clock, recorder, active, jobs


def stored(tmp_path: Path, job: Job) -> bool:
    return (tmp_path / "artifacts" / str(job.artifact)).is_file()


def test_old_artifacts_are_pruned_and_the_pruning_audited(
    built: tuple[ReportsService, Clock, InMemoryAuditLog, set[str], dict[str, Job]],
    tmp_path: Path,
) -> None:
    reports, _clock, recorder, _active, jobs = built
    would = reports.prune(ADMIN, dry_run=True)
    assert {job.id for job in would} == {jobs["report"].id, jobs["uncovered"].id}
    assert all(stored(tmp_path, job) for job in jobs.values())  # a dry run deletes nothing
    before = len(recorder.events)
    pruned = reports.prune(ADMIN)
    assert {job.id for job in pruned} == {jobs["report"].id, jobs["uncovered"].id}
    assert not stored(tmp_path, jobs["report"])
    assert not stored(tmp_path, jobs["uncovered"])
    assert stored(tmp_path, jobs["covered"])  # an active engagement covers this bundle
    assert stored(tmp_path, jobs["young"])
    (event,) = recorder.events[before:]
    assert event.type is EventType.ADMIN_ACTION
    assert event.details["action"] == "reports.retention.prune"
    assert {a["sha256"] for a in event.details["artifacts"]} == {
        jobs["report"].sha256,
        jobs["uncovered"].sha256,
    }
    with pytest.raises(ReportNotFoundError, match="pruned on"):
        reports.download(jobs["report"].id, SECURITY)
    shown = reports.job(jobs["report"].id, SECURITY).as_json()
    assert shown["pruned_at"] is not None
    assert reports.prune(ADMIN) == []  # nothing left to prune, no further event
    assert len(recorder.events) == before + 1  # one event for the one pruning


def test_a_bundle_stays_only_while_the_engagement_is_active(
    built: tuple[ReportsService, Clock, InMemoryAuditLog, set[str], dict[str, Job]],
    tmp_path: Path,
) -> None:
    reports, _clock, _recorder, active, jobs = built
    active.clear()  # the auditor's engagement ended (or the account was disabled)
    pruned = reports.prune(ADMIN)
    assert jobs["covered"].id in {job.id for job in pruned}
    assert not stored(tmp_path, jobs["covered"])


def test_nothing_is_deleted_when_the_pruning_cannot_be_audited(
    built: tuple[ReportsService, Clock, InMemoryAuditLog, set[str], dict[str, Job]],
    tmp_path: Path,
) -> None:
    reports, _clock, recorder, _active, jobs = built
    recorder.fail = True
    with pytest.raises(AuditUnavailableError):
        reports.prune(ADMIN)
    assert all(stored(tmp_path, job) for job in jobs.values())
    assert all(reports.job(job.id, SECURITY).pruned_at is None for job in jobs.values())
