"""Runs on both storage backends: parallel collectors, crash and timeout isolation, posture."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from audit import EventType, InMemoryAuditLog
from controls.catalog_loader import load_catalog
from controls.collectors.base import Collected, Collector, collected_from
from controls.collectors.manual import ManualCollector
from controls.errors import AttestationError, UnknownCollectorError
from controls.evidence import InMemoryEvidenceStore, LocalEvidenceStore
from controls.posture import ControlStatus
from controls.repository import ControlsRepository
from controls.runner import CollectionRunner
from controls.scheduler import Scheduler, collector_periods
from controls.service import ControlsService
from controls.snapshots.postgres import PostgresSnapshot, Role
from controls.snapshots.tls import TlsSnapshot


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class GoodPostgres:
    name = "postgres"

    def collect(self) -> Collected:
        return collected_from(
            "postgres:test",
            PostgresSnapshot(
                server="db:5432/app",
                ssl="on",
                password_encryption="scram-sha-256",
                log_connections="on",
                roles=(Role(name="app", superuser=False, can_login=True),),
            ),
        )


class CrashingTls:
    name = "tls"

    def collect(self) -> Collected:
        raise RuntimeError("socket exploded")


class HangingAws:
    name = "aws"

    def __init__(self) -> None:
        self.release = threading.Event()

    def collect(self) -> Collected:
        self.release.wait(10)
        raise RuntimeError("released")


class EmptyTls:
    name = "tls"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def collect(self) -> Collected:
        return collected_from("tls:none", TlsSnapshot(observed_at=self._clock(), endpoints=()))


def _service(
    engine: Engine,
    collectors: list[Collector],
    tmp_path: Path,
    clock: Clock,
    log: InMemoryAuditLog,
    **kw: Any,
) -> ControlsService:
    repository = ControlsRepository(engine)
    store = LocalEvidenceStore(tmp_path / "evidence")
    runner = CollectionRunner(collectors, repository, store, log, clock=clock, **kw)
    return ControlsService(load_catalog(), repository, runner, store, log, clock=clock)


def test_a_crash_and_a_timeout_do_not_stop_the_others(engine: Engine, tmp_path: Path) -> None:
    clock, log, hanging = Clock(), InMemoryAuditLog(), HangingAws()
    service = _service(
        engine,
        [GoodPostgres(), CrashingTls(), hanging],
        tmp_path,
        clock,
        log,
        timeout_seconds=5,
        timeouts={"aws": 0.2},
    )
    seen: list[str] = []
    report = service.collect(progress=lambda record: seen.append(record.collector))
    hanging.release.set()
    assert sorted(seen) == ["aws", "postgres", "tls"]
    by_name = {c.collector: c for c in report.collections}
    assert by_name["postgres"].status == "ok"
    assert {f.status.value for f in by_name["postgres"].findings} == {"pass"}
    assert by_name["tls"].status == "error"
    assert by_name["tls"].error == "RuntimeError: socket exploded"
    assert {f.status.value for f in by_name["tls"].findings} == {"error"}
    assert {f.check_id for f in by_name["tls"].findings} == {
        "tls.protocol_version",
        "tls.certificate_valid",
        "tls.weak_ciphers",
    }
    assert by_name["aws"].status == "timeout"
    assert all(f.status.value == "error" for f in by_name["aws"].findings)
    assert sorted(report.failed_collectors) == ["aws", "tls"]

    stored = service.repository.run(report.run_id)
    assert stored is not None
    assert stored.status == "completed"
    assert [c.collector for c in stored.collections] == ["aws", "postgres", "tls"]
    assert stored.collections[1].findings == by_name["postgres"].findings
    assert stored.collections[1].started_at.tzinfo is not None

    evidence_events = [e for e in log.events if e.type is EventType.EVIDENCE_COLLECTED]
    assert [e.target.id for e in evidence_events] == [by_name["postgres"].evidence_sha256]
    assert any(e.type is EventType.CONTROL_RESULT for e in log.events)

    postures = service.control_postures()
    assert postures["TP-ENC-02"].status is ControlStatus.ERROR  # tls errors + postgres.ssl pass
    assert postures["TP-IAM-01"].status is ControlStatus.ERROR  # aws iam checks timed out
    assert postures["TP-IAM-02"].status is ControlStatus.PASS
    assert postures["TP-NET-01"].status is ControlStatus.ERROR  # aws timed out: never a pass
    assert postures["TP-BCP-01"].status is ControlStatus.NO_EVIDENCE


def test_posture_goes_stale_and_history_is_kept(engine: Engine, tmp_path: Path) -> None:
    clock, log = Clock(), InMemoryAuditLog()
    service = _service(engine, [GoodPostgres()], tmp_path, clock, log)
    first = service.collect()
    assert service.control_postures()["TP-IAM-02"].status is ControlStatus.PASS
    pci = service.framework_posture("pci_dss")
    assert pci.counts["pass"] >= 1
    assert 0 < pci.percent_satisfied < 100
    requirement = next(r for r in pci.requirements if r.requirement_id == "7")
    assert "TP-IAM-02" in requirement.controls

    clock.now += timedelta(days=2)
    stale = service.control_postures()["TP-IAM-02"]
    assert stale.status is ControlStatus.STALE
    assert stale.evidence == (first.collections[0].evidence_sha256,)
    second = service.collect()
    history = service.posture_history("pci_dss")
    assert [h.run_id for h in history] == [second.run_id, first.run_id]
    assert history[0].percent == pci.percent_satisfied
    meta, content = service.evidence(second.collections[0].evidence_sha256 or "")
    assert meta.collector == "postgres"
    assert b"scram-sha-256" in content


def test_unknown_collector_is_refused(engine: Engine, tmp_path: Path) -> None:
    service = _service(engine, [GoodPostgres()], tmp_path, Clock(), InMemoryAuditLog())
    with pytest.raises(UnknownCollectorError):
        service.collect(["nope"])
    report = service.collect(["postgres"])
    assert [c.collector for c in report.collections] == ["postgres"]


def test_audit_outage_turns_evidence_into_errors(engine: Engine, tmp_path: Path) -> None:
    clock, log = Clock(), InMemoryAuditLog()
    repository = ControlsRepository(engine)
    runner = CollectionRunner(
        [GoodPostgres()], repository, InMemoryEvidenceStore(), log, clock=clock
    )
    log.fail = True
    report = runner.run()
    (collection,) = report.collections
    assert collection.status == "error"
    assert collection.error is not None
    assert collection.error.startswith("evidence not recorded: AuditUnavailableError")
    assert {f.status.value for f in collection.findings} == {"error"}


def test_attestations_are_stored_audited_and_expire(engine: Engine, tmp_path: Path) -> None:
    clock, log = Clock(), InMemoryAuditLog()
    repository = ControlsRepository(engine)
    store = LocalEvidenceStore(tmp_path / "ev")
    manual = ManualCollector(repository, clock=clock)
    runner = CollectionRunner([manual], repository, store, log, clock=clock)
    service = ControlsService(load_catalog(), repository, runner, store, log, clock=clock)
    item = service.attest(
        kind="dr_drill",
        title="DR drill Q4",
        attested_by="sre-lead",
        expires_at=clock.now + timedelta(days=30),
        document=b"%PDF-1.7 drill report",
        media_type="application/pdf",
    )
    assert item.evidence_sha256 is not None
    assert store.get(item.evidence_sha256) == b"%PDF-1.7 drill report"
    assert repository.attestations()[0].expires_at == clock.now + timedelta(days=30)
    service.collect()
    assert service.control_postures()["TP-BCP-01"].status is ControlStatus.PASS
    clock.now += timedelta(days=31)
    service.collect()
    control, posture = service.control("TP-BCP-01")
    assert control.id == "TP-BCP-01"
    assert posture.status is ControlStatus.FAIL
    with pytest.raises(AttestationError):
        service.attest(
            kind="bogus", title="x", attested_by="me", expires_at=clock.now + timedelta(days=1)
        )
    with pytest.raises(AttestationError):
        service.attest(kind="dr_drill", title="x", attested_by="me", expires_at=clock.now)
    with pytest.raises(AttestationError):
        service.attest(
            kind="dr_drill", title="x", attested_by="me", expires_at=datetime(2030, 1, 1)
        )


def test_scheduler_runs_what_is_due(engine: Engine, tmp_path: Path) -> None:
    clock, log = Clock(), InMemoryAuditLog()
    service = _service(engine, [GoodPostgres(), EmptyTls(clock)], tmp_path, clock, log)
    scheduler = Scheduler(service, tick_seconds=0.01, clock=clock)
    assert scheduler.periods == {"postgres": timedelta(days=1), "tls": timedelta(days=1)}
    assert scheduler.due() == ["postgres", "tls"]
    first = scheduler.tick()
    assert first is not None
    assert scheduler.tick() is None
    clock.now += timedelta(hours=2)
    assert scheduler.due() == []
    clock.now += timedelta(hours=23)
    assert scheduler.due() == ["postgres", "tls"]
    scheduler.start()
    assert scheduler.running
    for _ in range(500):
        if not scheduler.due():
            break
        threading.Event().wait(0.01)
    scheduler.stop()
    assert not scheduler.running
    assert scheduler.due() == []


def test_collector_periods_default_to_daily() -> None:
    periods = collector_periods(load_catalog(), ["aws", "nothing"])
    assert periods == {"aws": timedelta(hours=1), "nothing": timedelta(days=1)}
