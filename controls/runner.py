"""Runs: every collector in parallel, a timeout each; a crash or timeout becomes ``error``
findings (never a pass) while the others complete and are recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from audit import AuditRecorder
from controls.checks.registry import REGISTRY, CheckRegistry
from controls.collectors.base import Clock, Collected, Collector, utc_now
from controls.errors import UnknownCollectorError
from controls.evidence.model import EvidenceStore
from controls.evidence.recording import store_and_record
from controls.records import CollectionRecord, CollectionStatus
from controls.repository import ControlsRepository, new_id

Progress = Callable[[CollectionRecord], None]


@dataclass
class _Job:
    collector: Collector
    started_at: datetime
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    result: Collected | None = None
    error: BaseException | None = None

    def work(self) -> None:
        try:
            self.result = self.collector.collect()
        except BaseException as exc:  # a collector may fail any way; it becomes `error`
            self.error = exc
        finally:
            self.done.set()


@dataclass(frozen=True)
class RunReport:
    run_id: str
    collections: tuple[CollectionRecord, ...]

    @property
    def failed_collectors(self) -> list[str]:
        return [c.collector for c in self.collections if c.status != CollectionStatus.OK]


class CollectionRunner:
    def __init__(
        self,
        collectors: Sequence[Collector],
        repository: ControlsRepository,
        store: EvidenceStore,
        recorder: AuditRecorder,
        *,
        timeout_seconds: float = 300.0,
        timeouts: Mapping[str, float] | None = None,
        registry: CheckRegistry = REGISTRY,
        clock: Clock = utc_now,
    ) -> None:
        self._collectors = {c.name: c for c in collectors}
        self._repository = repository
        self._store = store
        self._recorder = recorder
        self._timeout = timeout_seconds
        self._timeouts = dict(timeouts or {})
        self._registry = registry
        self._clock = clock

    @property
    def collector_names(self) -> list[str]:
        return sorted(self._collectors)

    def run(
        self,
        only: Sequence[str] | None = None,
        *,
        trigger: str = "manual",
        actor: str = "trustplane",
        progress: Progress | None = None,
    ) -> RunReport:
        chosen = self._chosen(only)
        run_id = self._repository.start_run(trigger, actor, self._clock())
        jobs = [self._start(collector) for collector in chosen]
        records = []
        for job in sorted(jobs, key=lambda j: j.deadline):
            job.done.wait(max(0.0, job.deadline - time.monotonic()))
            record = self._settle(run_id, job)
            self._repository.record_collection(record)
            records.append(record)
            if progress is not None:
                progress(record)
        self._repository.finish_run(run_id, self._clock())
        return RunReport(run_id=run_id, collections=tuple(records))

    def _chosen(self, only: Sequence[str] | None) -> list[Collector]:
        if not only:
            return list(self._collectors.values())
        unknown = sorted(set(only) - set(self._collectors))
        if unknown:
            raise UnknownCollectorError(
                f"unknown collector(s) {unknown}; configured: {self.collector_names}"
            )
        return [self._collectors[name] for name in only]

    def _start(self, collector: Collector) -> _Job:
        timeout = self._timeouts.get(collector.name, self._timeout)
        job = _Job(
            collector=collector,
            started_at=self._clock(),
            deadline=time.monotonic() + timeout,
        )
        threading.Thread(target=job.work, name=f"collect-{collector.name}", daemon=True).start()
        return job

    def _settle(self, run_id: str, job: _Job) -> CollectionRecord:
        name = job.collector.name
        if not job.done.is_set():
            timeout = self._timeouts.get(name, self._timeout)
            return self._failed(
                run_id, job, CollectionStatus.TIMEOUT, f"timed out after {timeout:g} s"
            )
        if job.error is not None or job.result is None:
            return self._failed(run_id, job, CollectionStatus.ERROR, _describe(job.error))
        collected = job.result
        finished = self._clock()
        try:
            meta = store_and_record(
                self._store,
                self._recorder,
                collected.artifact,
                collector=name,
                scope=collected.scope,
                collected_at=finished,
                media_type=collected.media_type,
            )
        except Exception as exc:  # evidence not kept or not audited: nothing may pass
            return self._failed(
                run_id, job, CollectionStatus.ERROR, "evidence not recorded: " + _describe(exc)
            )
        return CollectionRecord(
            id=new_id(),
            run_id=run_id,
            collector=name,
            status=CollectionStatus.OK,
            scope=collected.scope,
            evidence_sha256=meta.sha256,
            error=None,
            started_at=job.started_at,
            finished_at=finished,
            findings=tuple(self._registry.run(name, collected.snapshot)),
        )

    def _failed(self, run_id: str, job: _Job, status: str, reason: str) -> CollectionRecord:
        name = job.collector.name
        return CollectionRecord(
            id=new_id(),
            run_id=run_id,
            collector=name,
            status=status,
            scope=name,
            evidence_sha256=None,
            error=reason,
            started_at=job.started_at,
            finished_at=self._clock(),
            findings=tuple(self._registry.errors_for(name, f"collector {status}: {reason}")),
        )


def _describe(exc: BaseException | None) -> str:
    """Type and a short message; collectors' messages never carry credentials."""
    if exc is None:
        return "no result"
    message = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
