"""Jobs across workers: several runners on one database build each job exactly once.

Each runner has its own engine (as separate uvicorn workers or replicas do), on SQLite and
on a real PostgreSQL; the runners race from threads released together by a barrier.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from audit import AuditLog, EventType, InMemoryAuditLog, build_audit_log
from controls import LocalEvidenceStore
from reports import Window
from reports.jobs import Job, JobsRepository, JobState, ReportKind
from reports.service import ReportsService, Requester
from tests.reports.conftest import LOG_TIME, ORIGIN, SIGNING_KEY, WINDOW_END, WINDOW_START
from tests.reports.posture import InMemoryPosture
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

WINDOW = Window(WINDOW_START, WINDOW_END)
LEASE = timedelta(minutes=10)


@pytest.fixture
def url(db_url: str) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


@pytest.fixture
def engines(url: str) -> Iterator[list[Engine]]:
    made = [make_engine(url) for _ in range(2)]
    yield made
    for engine in made:
        engine.dispose()


def queued(jobs: JobsRepository, count: int, state: JobState = JobState.QUEUED) -> list[str]:
    ids = [f"01JCLAIM{state.value[:1].upper()}{n:017d}" for n in range(count)]
    for job_id in ids:
        jobs.add(
            Job(
                id=job_id,
                kind=ReportKind.FRAMEWORK,
                framework="gdpr",
                window=WINDOW,
                format="html",
                state=state,
                percent=0,
                requested_by="u-sec",
                created_at=LOG_TIME,
            )
        )
    return ids


def race(*runs: Callable[[], None]) -> None:
    barrier = threading.Barrier(len(runs))
    failures: list[BaseException] = []

    def released(run: Callable[[], None]) -> None:
        barrier.wait()
        try:
            run()
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=released, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures


def test_of_two_workers_racing_for_each_job_exactly_one_claims_it(
    engines: list[Engine],
) -> None:
    repositories = [JobsRepository(engine) for engine in engines]
    ids = queued(repositories[0], 30)
    won: dict[str, list[str]] = {"a": [], "b": []}

    def claim_all(worker: str, jobs: JobsRepository) -> Callable[[], None]:
        def run() -> None:
            for job_id in ids:
                if jobs.claim(job_id, worker, LOG_TIME, LEASE):
                    won[worker].append(job_id)

        return run

    race(claim_all("a", repositories[0]), claim_all("b", repositories[1]))
    assert sorted(won["a"] + won["b"]) == ids  # every job claimed, none twice
    for job_id in ids:
        job = repositories[0].get(job_id)
        assert job is not None
        assert job.state is JobState.RUNNING


def test_a_live_lease_is_respected_and_an_expired_one_taken_over(engines: list[Engine]) -> None:
    jobs = JobsRepository(engines[0])
    (job_id,) = queued(jobs, 1)
    assert jobs.claim(job_id, "a", LOG_TIME, LEASE)
    assert not jobs.claim(job_id, "b", LOG_TIME + LEASE - timedelta(seconds=1), LEASE)
    assert jobs.progress(job_id, 40, owner="a", lease_until=LOG_TIME + 2 * LEASE)  # renewed
    assert not jobs.claim(job_id, "b", LOG_TIME + LEASE + timedelta(seconds=1), LEASE)
    assert jobs.claim(job_id, "b", LOG_TIME + 2 * LEASE + timedelta(seconds=1), LEASE)
    # the worker that lost its lease can neither report progress nor store an outcome
    assert not jobs.progress(job_id, 90, owner="a", lease_until=LOG_TIME + 3 * LEASE)
    stale = jobs.get(job_id)
    assert stale is not None
    assert not jobs.finish(Job(**{**stale.__dict__, "state": JobState.FAILED}), owner="a")
    assert jobs.finish(Job(**{**stale.__dict__, "state": JobState.DONE, "percent": 100}), owner="b")
    done = jobs.get(job_id)
    assert done is not None
    assert done.state is JobState.DONE
    assert not jobs.claim(job_id, "c", LOG_TIME + timedelta(days=1), LEASE)  # finished stays


def runner(
    engine: Engine,
    log: AuditLog,
    recorder: InMemoryAuditLog,
    tmp_path: Path,
    name: str,
    jobs: JobsRepository | None = None,
) -> ReportsService:
    return ReportsService(
        jobs or JobsRepository(engine),
        controls=InMemoryPosture([], LOG_TIME),
        log=log,
        store=LocalEvidenceStore(tmp_path / "evidence"),
        recorder=recorder,
        artifacts=tmp_path / "artifacts",
        clock=lambda: LOG_TIME,
        worker_id=name,
    )


def signed_log(engine: Engine) -> AuditLog:
    """The audit log the racing runners share, on the first backend's engine."""
    return build_audit_log(
        engine, hmac_key=bytes(32), signing_key=SIGNING_KEY, origin=ORIGIN, clock=lambda: LOG_TIME
    )


def test_two_runners_resuming_the_same_jobs_build_each_once(
    engines: list[Engine], tmp_path: Path
) -> None:
    log = signed_log(engines[0])
    recorder = InMemoryAuditLog()
    try:
        ids = queued(JobsRepository(engines[0]), 6)
        ids += queued(JobsRepository(engines[0]), 2, JobState.RUNNING)  # killed, no lease
        runners = [
            runner(engine, log, recorder, tmp_path, f"worker-{n}")
            for n, engine in enumerate(engines)
        ]

        def resume(service: ReportsService) -> Callable[[], None]:
            def run() -> None:
                service.resume()
                service.wait(timeout=120)

            return run

        race(*(resume(service) for service in runners))
        for service in runners:
            service.close()
    finally:
        log.close()
    built = Counter(
        event.target.id for event in recorder.events if event.type is EventType.REPORT_GENERATED
    )
    assert built == Counter(dict.fromkeys(ids, 1))
    jobs = JobsRepository(engines[1])
    for job_id in ids:
        job = jobs.get(job_id)
        assert job is not None
        assert job.state is JobState.DONE, job.error


class TakenOverMidway(JobsRepository):
    """While the build is at 30 %, its lease runs out and another worker claims the job."""

    def progress(
        self,
        job_id: str,
        percent: int,
        state: JobState = JobState.RUNNING,
        *,
        owner: str | None = None,
        lease_until: datetime | None = None,
    ) -> bool:
        if percent >= 30:
            assert self.claim(job_id, "fast", LOG_TIME + 2 * LEASE, LEASE)
        return super().progress(job_id, percent, state, owner=owner, lease_until=lease_until)


def test_a_worker_whose_job_was_taken_over_stops_and_writes_nothing(
    engines: list[Engine], tmp_path: Path
) -> None:
    log = signed_log(engines[0])
    recorder = InMemoryAuditLog()
    try:
        jobs = JobsRepository(engines[0])
        slow = runner(engines[0], log, recorder, tmp_path, "slow", TakenOverMidway(engines[1]))
        security = Requester(id="u-sec", roles=frozenset({"security"}))
        outcome = slow.request("framework", "gdpr", WINDOW, "html", security)
        slow.wait(timeout=60)
        slow.close()
    finally:
        log.close()
    job = jobs.get(outcome.id)
    assert job is not None
    assert job.state is JobState.RUNNING  # the slow worker stored neither DONE nor FAILED
    assert job.artifact is None
    assert not any(event.type is EventType.REPORT_GENERATED for event in recorder.events)


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_job_whose_worker_died_is_built_once_its_lease_expires(
    engines: list[Engine], tmp_path: Path
) -> None:
    log = signed_log(engines[0])
    recorder = InMemoryAuditLog()
    clock = MovableClock(LOG_TIME)
    jobs = JobsRepository(engines[0])
    (job_id,) = queued(jobs, 1)
    assert jobs.claim(job_id, "killed-worker", LOG_TIME, LEASE)  # then SIGKILL, mid-build
    survivor = ReportsService(
        JobsRepository(engines[1]),
        controls=InMemoryPosture([], LOG_TIME),
        log=log,
        store=LocalEvidenceStore(tmp_path / "evidence"),
        recorder=recorder,
        artifacts=tmp_path / "artifacts",
        clock=clock,
        worker_id="survivor",
        lease=LEASE,
        sweep_seconds=0.05,
    )
    try:
        survivor.resume()
        survivor.wait(timeout=30)
        held = jobs.get(job_id)
        assert held is not None
        assert held.state is JobState.RUNNING  # the lease is live: not taken over
        clock.now = LOG_TIME + LEASE + timedelta(seconds=1)  # the dead worker's lease ends
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = jobs.get(job_id)
            if found is not None and found.state is JobState.DONE:
                break
            time.sleep(0.05)
        survivor.wait(timeout=30)
    finally:
        survivor.close()
        log.close()
    done = jobs.get(job_id)
    assert done is not None
    assert done.state is JobState.DONE, done.error
    built = [e for e in recorder.events if e.type is EventType.REPORT_GENERATED]
    assert [e.target.id for e in built] == [job_id]  # built once, though swept many times
