"""Bundle lifecycle: push (tests first), rollback, and every replica following the active
revision without a restart (polling one primary-key row, see ADR 0201)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Target
from policies.engines.port import PolicyEngine
from policies.engines.regorus import RegorusEngine
from policies.errors import BundleError, PolicyTestFailedError
from policies.source import BundleFiles
from policies.store import ActivePointer, BundleStore
from policies.testing import COVERAGE_FLOOR, RegoTestReport, run_rego_tests

log = structlog.get_logger("policies")

EngineFactory = Callable[[BundleFiles], PolicyEngine]


@dataclass(frozen=True)
class PushResult:
    revision: str
    report: RegoTestReport
    activated: bool


class BundleService:
    """Owns the active bundle of this replica; an ``EngineSource`` for the decision service."""

    def __init__(
        self,
        store: BundleStore,
        recorder: AuditRecorder,
        *,
        engine_factory: EngineFactory = RegorusEngine,
        coverage_floor: float = COVERAGE_FLOOR,
        poll_seconds: float = 2.0,
        default: BundleFiles | None = None,
        watch: bool = False,
    ) -> None:
        self._store = store
        self._recorder = recorder
        self._engine_factory = engine_factory
        self._coverage_floor = coverage_floor
        self._poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._engine: PolicyEngine | None = None
        self._files: BundleFiles | None = None
        self._generation = -1
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._default = default
        self._watch_on_load = watch

    # -- EngineSource ---------------------------------------------------------------------

    def current(self) -> PolicyEngine:
        """The active engine; on first use loads it (bootstrapping ``default`` if none)."""
        engine = self._engine
        if engine is None:
            if self._default is not None:
                self.bootstrap(self._default)
            else:
                self.sync()
            engine = self._engine
            if engine is None:
                raise BundleError("no active policy bundle")
            if self._watch_on_load:
                self.start_watching()
        return engine

    @property
    def loaded(self) -> bool:
        """Whether an engine is loaded (until then, the first ``current()`` reads the store)."""
        return self._engine is not None

    @property
    def active_files(self) -> BundleFiles:
        self.current()
        assert self._files is not None
        return self._files

    @property
    def active_revision(self) -> str:
        return self.current().revision

    # -- lifecycle ------------------------------------------------------------------------

    def bootstrap(self, default: BundleFiles, *, actor: str = "trustplane") -> str:
        """Make sure some revision is active (the shipped bundle on a fresh database)."""
        if self._store.active() is None:
            self.push(default, actor=actor, kind="bootstrap")
        self.sync()
        return self.active_revision

    def check(self, files: BundleFiles) -> RegoTestReport:
        """Parse and run the bundle's Rego tests; refuse on failure or low coverage."""
        report = run_rego_tests(files)
        if not report.results:
            raise PolicyTestFailedError("the bundle has no test_* rules")
        if report.failed:
            names = ", ".join(result.rule for result in report.failed[:5])
            raise PolicyTestFailedError(f"{len(report.failed)} Rego test(s) failed: {names}")
        if report.coverage_percent < self._coverage_floor:
            raise PolicyTestFailedError(
                f"policy coverage {report.coverage_percent:.1f}% is below "
                f"{self._coverage_floor:.0f}%"
            )
        return report

    def push(self, files: BundleFiles, *, actor: str, kind: str = "push") -> PushResult:
        report = self.check(files)
        self._engine_factory(files)  # compiles: a bundle the engine rejects is not stored
        revision = self._store.save_revision(
            files,
            actor=actor,
            tests_passed=report.passed,
            coverage_percent=report.coverage_percent,
        )
        self._audit(revision, actor, kind, report)
        self._store.activate(revision, actor=actor, kind=kind)
        self.sync()
        return PushResult(revision=revision, report=report, activated=True)

    def rollback(self, revision: str, *, actor: str) -> ActivePointer:
        files = self._store.load(revision)
        self._engine_factory(files)
        self._audit(revision, actor, "rollback", None)
        pointer = self._store.activate(revision, actor=actor, kind="rollback")
        self.sync()
        return pointer

    def sync(self) -> bool:
        """Load the active revision when it changed; True when this replica switched."""
        pointer = self._store.active()
        if pointer is None or pointer.generation == self._generation:
            return False
        with self._lock:
            if pointer.generation == self._generation:
                return False
            if self._engine is not None and self._engine.revision == pointer.revision:
                self._generation = pointer.generation
                return False
            files = self._store.load(pointer.revision)
            engine = self._engine_factory(files)
            self._files, self._engine, self._generation = files, engine, pointer.generation
            return True

    def start_watching(self) -> None:
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="policy-watch", daemon=True)
            self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            try:
                self.sync()
            except Exception as exc:  # a database hiccup: keep the loaded revision, retry later
                log.warning("policy_sync_failed", error_type=type(exc).__name__)

    def _audit(self, revision: str, actor: str, kind: str, report: RegoTestReport | None) -> None:
        details: dict[str, object] = {"revision": revision, "kind": kind}
        if report is not None:
            details["tests_passed"] = report.passed
            details["coverage_percent"] = round(report.coverage_percent, 1)
        self._recorder.record(
            AuditEventIn(
                type=EventType.POLICY_REVISION,
                actor=Actor(id=actor, kind="user" if actor != "trustplane" else "system"),
                target=Target(type="policy_bundle", id=revision),
                details=details,
            )
        )
