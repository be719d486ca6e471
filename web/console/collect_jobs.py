""" "Collect now" from the console, run in the background: one job at a time per replica, its
per-collector state fed by the runner's progress callback, kept in memory for the progress
page (the run and its collections are stored by the controls room as usual)."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import structlog

from audit import Actor
from controls import CollectionRecord

log = structlog.get_logger("web.console.collect")
KEPT_JOBS = 20


class Collecting(Protocol):
    """What a job needs of the controls service (``ControlsService.collect``)."""

    def collect(
        self,
        only: None = None,
        *,
        trigger: str = ...,
        actor: Actor | None = ...,
        progress: Callable[[CollectionRecord], None] | None = ...,
    ) -> object: ...


@dataclass
class CollectorState:
    name: str
    status: str = "collecting"  # then the collection's status: ok | error | timeout
    findings: int = 0
    failing: int = 0
    error: str | None = None


@dataclass
class CollectionJob:
    id: str
    started_by: str
    started_at: datetime
    collectors: dict[str, CollectorState]
    run_id: str | None = None
    finished_at: datetime | None = None
    failure: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return not self.done.is_set()

    @property
    def finished_count(self) -> int:
        return sum(state.status != "collecting" for state in self.collectors.values())


class CollectionJobs:
    """The console's background collections (thread-safe)."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._jobs: OrderedDict[str, CollectionJob] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock

    def start(self, service: Collecting, collectors: list[str], actor: Actor) -> CollectionJob:
        """A new job, or the one already running (a second click does not start a second
        run; it shows the first one's progress)."""
        with self._lock:
            for job in self._jobs.values():
                if job.running:
                    return job
            job = CollectionJob(
                id=str(uuid.uuid4()),
                started_by=actor.id,
                started_at=self._clock(),
                collectors={name: CollectorState(name) for name in collectors},
            )
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)
        thread = threading.Thread(
            target=self._run, args=(service, job, actor), name="console-collect", daemon=True
        )
        thread.start()
        return job

    def get(self, job_id: str) -> CollectionJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, service: Collecting, job: CollectionJob, actor: Actor) -> None:
        def progress(record: CollectionRecord) -> None:
            with self._lock:
                job.run_id = record.run_id
                job.collectors[record.collector] = CollectorState(
                    record.collector,
                    record.status,
                    len(record.findings),
                    sum(f.status.value == "fail" for f in record.findings),
                    record.error,
                )

        try:
            report = service.collect(trigger="console", actor=actor, progress=progress)
            run_id = getattr(report, "run_id", None)
            with self._lock:
                job.run_id = run_id if isinstance(run_id, str) else job.run_id
        except Exception as exc:  # shown on the progress page; the run's own records stay
            log.error("console_collection_failed", error_type=type(exc).__name__)
            with self._lock:
                job.failure = type(exc).__name__
        finally:
            with self._lock:
                job.finished_at = self._clock()
            job.done.set()
