"""The posture read is O(controls): postures judged once per set of latest collections give
exactly the answer of the full computation, staleness included (ADR 0405)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from ulid import ULID

from audit import InMemoryAuditLog
from controls.catalog_loader import load_catalog
from controls.collectors.base import Collected, collected_from
from controls.collectors.manual import ManualCollector
from controls.evidence import LocalEvidenceStore
from controls.findings import Finding, FindingStatus
from controls.posture import ControlStatus, all_control_postures, judge
from controls.records import CollectionRecord, StoredFinding
from controls.repository import ControlsRepository
from controls.runner import CollectionRunner
from controls.service import ControlsService
from controls.snapshots.postgres import PostgresSnapshot, Role

CATALOG = load_catalog()
CHECKS = sorted({check for c in CATALOG.controls.values() for check in c.checks})
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

stored_findings = st.builds(
    lambda check, status, resource, hours, run: StoredFinding(
        finding=Finding(
            check_id=check,
            collector=check.split(".")[0],
            status=status,
            resource=f"r-{resource}",
            reason="random",
        ),
        observed_at=START + timedelta(hours=hours),
        evidence_sha256=f"{run:064x}" if run % 3 else None,
        run_id=f"run-{run}",
    ),
    st.sampled_from([*CHECKS, "unknown.check"]),
    st.sampled_from(list(FindingStatus)),
    st.integers(0, 5),
    st.integers(0, 24 * 400),
    st.integers(0, 4),
)


@settings(max_examples=150, deadline=None)
@given(
    findings=st.lists(stored_findings, max_size=60),
    later=st.lists(st.integers(-24, 24 * 800), min_size=1, max_size=5),
)
def test_a_judgement_at_any_time_equals_the_full_computation(
    findings: list[StoredFinding], later: list[int]
) -> None:
    judgement = judge(CATALOG, findings)
    for hours in later:
        now = START + timedelta(hours=hours)
        assert judgement.at(now) == all_control_postures(CATALOG, findings, now)


def test_staleness_is_decided_at_read_time() -> None:
    control = CATALOG.controls["TP-IAM-02"]
    findings = [
        StoredFinding(
            finding=Finding(
                check_id=control.checks[0],
                collector=control.checks[0].split(".")[0],
                status=FindingStatus.FAIL,
                resource="r",
                reason="x",
            ),
            observed_at=START,
            run_id="run",
        )
    ]
    judgement = judge(CATALOG, findings)
    assert judgement.at(START)[control.id].status is ControlStatus.FAIL
    edge = START + control.frequency.period
    assert judgement.at(edge)[control.id].status is ControlStatus.FAIL
    later = edge + timedelta(microseconds=1)
    assert judgement.at(later)[control.id].status is ControlStatus.STALE
    # the kept judgement is not changed by a read
    assert judgement.at(START)[control.id].status is ControlStatus.FAIL


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Postgres:
    name = "postgres"

    def __init__(self) -> None:
        self.superuser = False

    def collect(self) -> Collected:
        return collected_from(
            "postgres:test",
            PostgresSnapshot(
                server="db:5432/app",
                ssl="on",
                password_encryption="scram-sha-256",
                log_connections="on",
                roles=(Role(name="app", superuser=self.superuser, can_login=True),),
            ),
        )


class CountingRepository(ControlsRepository):
    """The real repository, counting how often findings are read."""

    reads = 0

    def findings_of(self, collection_ids: Sequence[str]) -> list[StoredFinding]:
        self.reads += 1
        return super().findings_of(collection_ids)


def _service(
    engine: Engine, tmp_path: Path, clock: Clock, pg: Postgres
) -> tuple[ControlsService, CountingRepository]:
    repository = CountingRepository(engine)
    store = LocalEvidenceStore(tmp_path / "evidence")
    log = InMemoryAuditLog()
    manual = ManualCollector(repository, clock=clock)
    runner = CollectionRunner([pg, manual], repository, store, log, clock=clock)
    return ControlsService(CATALOG, repository, runner, store, log, clock=clock), repository


def _full(service: ControlsService, now: datetime) -> dict[str, object]:
    return dict(all_control_postures(CATALOG, service.repository.latest_findings(), now))


def test_cached_postures_equal_the_full_computation_across_collections_and_attestations(
    engine: Engine, tmp_path: Path
) -> None:
    clock, pg = Clock(), Postgres()
    service, repository = _service(engine, tmp_path, clock, pg)
    assert service.control_postures() == _full(service, clock.now)  # nothing collected yet

    service.collect()
    reads = repository.reads
    assert service.control_postures() == _full(service, clock.now)
    assert service.framework_posture("dpdp").requirements
    assert repository.reads == reads  # served from the judgement: no findings read

    # time passes without a collection: staleness is recomputed from the kept judgement
    clock.now += timedelta(days=2)
    postures = service.control_postures()
    assert postures == _full(service, clock.now)
    assert any(p.status is ControlStatus.STALE for p in postures.values())
    assert repository.reads == reads

    # a second collection with a different answer
    pg.superuser = True
    service.collect(["postgres"])
    assert service.control_postures() == _full(service, clock.now)
    assert repository.reads == reads + 1

    # an attestation changes posture (through the manual collection it triggers)
    before = service.control_postures()["TP-BCP-01"].status
    service.attest(
        kind="dr_drill",
        title="DR drill Q4",
        attested_by="sre-lead",
        expires_at=clock.now + timedelta(days=30),
    )
    after = service.control_postures()
    assert after == _full(service, clock.now)
    assert after["TP-BCP-01"].status is ControlStatus.PASS
    assert before is not ControlStatus.PASS


def test_a_collection_stored_by_another_worker_is_seen(engine: Engine, tmp_path: Path) -> None:
    clock = Clock()
    reader, _ = _service(engine, tmp_path / "a", clock, Postgres())
    writer, _ = _service(engine, tmp_path / "b", clock, Postgres())
    writer.collect()
    first = reader.control_postures()
    assert first == _full(reader, clock.now)

    # another process writes a collection straight into the shared database
    check = CATALOG.controls["TP-IAM-02"].checks[0]
    repository = ControlsRepository(engine)
    run_id = repository.start_run("other", "other", clock.now)
    repository.record_collection(
        CollectionRecord(
            id=str(ULID()),
            run_id=run_id,
            collector="other",
            status="ok",
            scope="other",
            evidence_sha256=None,
            error=None,
            started_at=clock.now,
            finished_at=clock.now + timedelta(seconds=1),
            findings=(
                Finding(
                    check_id=check,
                    collector="other",
                    status=FindingStatus.FAIL,
                    resource="other:r",
                    reason="other worker",
                ),
            ),
        )
    )
    clock.now += timedelta(seconds=2)
    second = reader.control_postures()
    assert second == _full(reader, clock.now)
    assert second != first
    assert second["TP-IAM-02"].status is ControlStatus.FAIL


collection_batches = st.lists(
    st.tuples(
        st.sampled_from(["postgres", "manual", "other"]),
        st.integers(0, 3),  # finish time in days: ties between collections of one collector
        st.lists(
            st.tuples(st.sampled_from(CHECKS), st.sampled_from(list(FindingStatus))), max_size=8
        ),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(collection_batches, min_size=1, max_size=3), days=st.integers(0, 40))
def test_random_collections_in_the_database_give_the_full_answer(
    engine: Engine,
    tmp_path: Path,
    batches: list[list[tuple[str, int, list[tuple[str, FindingStatus]]]]],
    days: int,
) -> None:
    """Collections (ties of finish time included) accumulate in one database across batches
    and examples; after each batch, and again later with no new collection, the reader's
    answer equals the full computation over whatever is latest."""
    clock = Clock()
    reader, _ = _service(engine, tmp_path, clock, Postgres())
    repository = ControlsRepository(engine)
    for batch in batches:
        run_id = repository.start_run("random", "random", START)
        for collector, day, findings in batch:
            finished = START + timedelta(days=day)
            repository.record_collection(
                CollectionRecord(
                    id=str(ULID()),
                    run_id=run_id,
                    collector=collector,
                    status="ok",
                    scope="random",
                    evidence_sha256=None,
                    error=None,
                    started_at=finished,
                    finished_at=finished,
                    findings=tuple(
                        Finding(
                            check_id=check,
                            collector=collector,
                            status=status,
                            resource=f"r-{i}",
                            reason="random",
                        )
                        for i, (check, status) in enumerate(findings)
                    ),
                )
            )
        clock.now = START + timedelta(days=days)
        assert reader.control_postures() == _full(reader, clock.now)
        clock.now += timedelta(days=days)
        assert reader.control_postures() == _full(reader, clock.now)
