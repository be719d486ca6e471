"""Jobs, scopes and a bundle on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from audit import AuditLog, build_audit_log
from controls import LocalEvidenceStore
from reports import Window, parse_key, select_evidence, verify_bundle, write_bundle
from reports.jobs import Job, JobsRepository, JobState, ReportKind, Scope
from tests.reports.conftest import (
    LOG_TIME,
    ORIGIN,
    SIGNING_KEY,
    WINDOW_END,
    WINDOW_START,
    seed_week,
)
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

WINDOW = Window(WINDOW_START, WINDOW_END)


@pytest.fixture
def backend(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_jobs_and_scopes_round_trip(backend: Engine) -> None:
    jobs = JobsRepository(backend)
    job = Job(
        id="01JBACKEND0000000000000001",
        kind=ReportKind.FRAMEWORK,
        framework="gdpr",
        window=WINDOW,
        format="pdf",
        state=JobState.QUEUED,
        percent=0,
        requested_by="u-sec",
        created_at=LOG_TIME,
    )
    jobs.add(job)
    jobs.progress(job.id, 140)
    assert jobs.get(job.id) == Job(**{**job.__dict__, "state": JobState.RUNNING, "percent": 100})
    assert [j.id for j in jobs.unfinished()] == [job.id]
    jobs.finish(
        Job(**{**job.__dict__, "state": JobState.DONE, "percent": 100, "posture_percent": 62.5})
    )
    previous = jobs.previous_framework_report("gdpr", LOG_TIME + timedelta(seconds=1))
    assert previous is not None
    assert previous.posture_percent == 62.5
    assert jobs.previous_framework_report("gdpr", LOG_TIME) is None
    for frameworks in ({"gdpr"}, {"gdpr", "pci_dss"}):
        jobs.set_scope(Scope("tpc_x", frozenset(frameworks), WINDOW, "u-admin", LOG_TIME))
        scope = jobs.scope("tpc_x")
        assert scope is not None
        assert scope.frameworks == frozenset(frameworks)
        assert scope.window == WINDOW
    assert jobs.scope("nobody") is None


def test_a_bundle_from_each_backend_verifies(backend: Engine, tmp_path: Path) -> None:
    log: AuditLog = build_audit_log(
        backend, hmac_key=bytes(32), signing_key=SIGNING_KEY, origin=ORIGIN, clock=lambda: LOG_TIME
    )
    try:
        store = LocalEvidenceStore(tmp_path / "evidence")
        seed_week(store, log)
        path = tmp_path / "bundle.zip"
        write_bundle(
            select_evidence(log, "gdpr", WINDOW), {}, path, log=log, store=store, bundle_id="b"
        )
        report = verify_bundle(path, parse_key(log.public_key()))
        assert report.ok, report.problems
        assert report.evidence_items == 5
    finally:
        log.close()
