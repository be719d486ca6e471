"""The console's background collections with an in-memory controls service: one job at a
time, per-collector state as the runner reports it, and a failure shown, not lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from audit import Actor
from controls import CollectionRecord
from web.console.collect_jobs import CollectionJobs

ACTOR = Actor(id="u-1", kind="user", roles=("security",))
NOW = datetime(2026, 12, 5, tzinfo=UTC)


class SlowControls:
    """Reports ``aws`` at once, then waits for ``release`` before ``tls`` and the end."""

    def __init__(self, fail: bool = False) -> None:
        self.release = threading.Event()
        self.calls = 0
        self.fail = fail

    def collect(
        self,
        only: None = None,
        *,
        trigger: str = "manual",
        actor: Actor | None = None,
        progress: Callable[[CollectionRecord], None] | None = None,
    ) -> object:
        self.calls += 1
        assert trigger == "console"
        assert actor == ACTOR
        assert progress is not None
        progress(record("aws", "ok"))
        self.release.wait(10)
        if self.fail:
            raise RuntimeError("database went away")
        progress(record("tls", "timeout", error="timed out after 5 s"))
        return type("Report", (), {"run_id": "run-1"})()


def record(collector: str, status: str, error: str | None = None) -> CollectionRecord:
    return CollectionRecord(
        id=f"c-{collector}",
        run_id="run-1",
        collector=collector,
        status=status,
        scope="demo",
        evidence_sha256=None,
        error=error,
        started_at=NOW,
        finished_at=NOW,
    )


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = threading.Event()
    for _ in range(200):
        if condition():
            return
        deadline.wait(0.02)
    raise AssertionError("condition not reached")


def test_progress_per_collector_then_the_run() -> None:
    jobs, controls = CollectionJobs(clock=lambda: NOW), SlowControls()
    job = jobs.start(controls, ["aws", "tls"], ACTOR)
    wait_for(lambda: job.collectors["aws"].status == "ok")
    assert job.running
    assert job.collectors["tls"].status == "collecting"
    assert job.finished_count == 1
    assert jobs.start(controls, ["aws", "tls"], ACTOR) is job  # a second click joins the run
    controls.release.set()
    assert job.done.wait(5)
    assert controls.calls == 1
    assert job.run_id == "run-1"
    assert job.collectors["tls"].status == "timeout"
    assert job.collectors["tls"].error == "timed out after 5 s"
    assert job.failure is None
    assert jobs.get(job.id) is job
    assert jobs.start(controls, ["aws", "tls"], ACTOR) is not job  # done: a new run starts


def test_a_failing_collection_is_shown_as_failed() -> None:
    jobs, controls = CollectionJobs(clock=lambda: NOW), SlowControls(fail=True)
    job = jobs.start(controls, ["aws", "tls"], ACTOR)
    controls.release.set()
    assert job.done.wait(5)
    assert job.failure == "RuntimeError"
    assert job.finished_at == NOW
    assert job.collectors["aws"].status == "ok"


def test_only_the_latest_jobs_are_kept() -> None:
    jobs = CollectionJobs(clock=lambda: NOW)
    first = None
    for _ in range(25):
        controls = SlowControls()
        controls.release.set()
        job = jobs.start(controls, ["aws", "tls"], ACTOR)
        first = first or job
        assert job.done.wait(5)
    assert first is not None
    assert jobs.get(first.id) is None
