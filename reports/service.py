"""The reports service: requests, auditor scoping, background builds with progress, downloads.

A request is stored (``queued``) before it is acknowledged, then built on a worker thread;
its percent is written as it goes. Jobs left ``queued`` or ``running`` by a killed process
are built again by ``resume()`` at start. Several workers (uvicorn workers, replicas) share
the jobs table: a build starts only after an atomic claim gives this worker a lease on the
job, renewed with each percent written; a running job is taken over only once its lease has
expired, and a worker that lost its lease writes nothing more. Every finished build and
every download is an audit event; if the event cannot be recorded the build fails and the
download is refused.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy.exc import SQLAlchemyError
from ulid import ULID

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Target
from reports.bundle import (
    BundleLog,
    EvidenceReader,
    EvidenceRecord,
    Window,
    select_evidence,
    write_bundle,
)
from reports.bundle.layout import ASSESSMENT_RESULTS, REPORT_HTML, REPORT_PDF, json_bytes
from reports.errors import (
    ArtifactIntegrityError,
    InvalidReportRequestError,
    JobTakenOverError,
    OutOfScopeError,
    ReportNotFoundError,
    ReportsError,
)
from reports.framework.model import (
    FrameworkReport,
    PostureSource,
    PreviousReport,
    PrivacySummary,
    assemble,
)
from reports.framework.pdf import PdfRenderer, WeasyPrintRenderer
from reports.framework.render import render_html
from reports.jobs import (
    PAGE_KINDS,
    Job,
    JobsRepository,
    JobState,
    ReportKind,
    Scope,
    validate_request,
)
from reports.oscal import assessment_results, component_definition

log = structlog.get_logger("reports")

Clock = Callable[[], datetime]
Progress = Callable[[int], None]  # percent
# is this auditor account's engagement still active (identity's expiry, not disabled)?
EngagementCheck = Callable[[str], bool]
# an extra report kind: (window, now) -> HTML
PageBuilder = Callable[[Window, datetime], str]
LEASE = timedelta(minutes=10)
RETENTION = timedelta(days=90)
UNSCOPED_ROLES = frozenset({"security", "admin"})
AUDITOR = "auditor"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Requester:
    """Who asks: the id, kind and roles the web layer or CLI authenticated."""

    id: str
    kind: str = "user"
    roles: frozenset[str] = frozenset()

    @property
    def scoped(self) -> bool:
        """An auditor without a broader role sees only their engagement's scope."""
        return AUDITOR in self.roles and not (self.roles & UNSCOPED_ROLES)

    @property
    def actor(self) -> Actor:
        return Actor(id=self.id, kind=self.kind, roles=tuple(sorted(self.roles)))


class ReportsService:
    def __init__(
        self,
        jobs: JobsRepository,
        *,
        controls: PostureSource,
        log: BundleLog,
        store: EvidenceReader,
        recorder: AuditRecorder,
        artifacts: Path,
        pages: Mapping[ReportKind, PageBuilder] | None = None,
        privacy: Callable[[Window], PrivacySummary | None] | None = None,
        clock: Clock = utc_now,
        workers: int = 1,
        lease: timedelta = LEASE,
        worker_id: str | None = None,
        retention: timedelta = RETENTION,
        engagement_active: EngagementCheck | None = None,
        pdf: PdfRenderer | None = None,
        sweep_seconds: float = 60.0,
    ) -> None:
        self.jobs = jobs
        self._controls = controls
        self._log = log
        self._store = store
        self._recorder = recorder
        self._artifacts = artifacts
        self._pages = dict(pages or {})
        self._privacy = privacy
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reports")
        self._pending: list[Future[Job]] = []
        self._lease = lease
        self._sweep_seconds = sweep_seconds
        self._stopping = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()
        self._pdf: PdfRenderer = pdf or WeasyPrintRenderer()
        self._retention = retention
        self._engagement_active = engagement_active or (lambda _account: True)
        self.worker_id = (worker_id or f"{socket.gethostname()}:{os.getpid()}:{ULID()}")[:80]
        artifacts.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def frameworks(self) -> list[str]:
        return sorted(self._controls.catalog.frameworks)

    # --- scoping ----------------------------------------------------------------------

    def check_scope(self, requester: Requester, framework: str | None, window: Window) -> None:
        if not requester.scoped:
            return
        if framework is None:
            raise OutOfScopeError("an auditor's engagement covers framework reports and bundles")
        scope = self.jobs.scope(requester.id)
        if scope is None:
            raise OutOfScopeError("no engagement scope is set for this auditor")
        if not scope.covers(framework, window):
            raise OutOfScopeError(
                "outside the engagement: frameworks "
                f"{', '.join(sorted(scope.frameworks))}, window "
                f"{scope.window.as_json()['from']} to {scope.window.as_json()['to']}"
            )

    def set_scope(
        self, account_id: str, frameworks: Iterable[str], window: Window, requester: Requester
    ) -> Scope:
        chosen = frozenset(frameworks)
        unknown = sorted(chosen - set(self.frameworks))
        if not chosen or unknown:
            raise InvalidReportRequestError(f"unknown or no frameworks: {unknown}")
        scope = Scope(account_id, chosen, window, requester.id, self._clock())
        self._recorder.record(
            AuditEventIn(
                type=EventType.ADMIN_ACTION,
                actor=requester.actor,
                target=Target(type="auditor_scope", id=account_id),
                details={
                    "action": "reports.scope.set",
                    "frameworks": sorted(chosen),
                    **window.as_json(),
                },
            )
        )
        return self.jobs.set_scope(scope)

    def _visible(self, requester: Requester, job: Job) -> bool:
        try:
            self.check_scope(requester, job.framework, job.window)
        except OutOfScopeError:
            return False
        return True

    # --- requests ---------------------------------------------------------------------

    def request(
        self,
        kind: str,
        framework: str | None,
        window: Window,
        fmt: str,
        requester: Requester,
        *,
        background: bool = True,
        progress: Progress | None = None,
    ) -> Job:
        validate_request(kind, framework, fmt, self.frameworks)
        report_kind = ReportKind(kind)
        if report_kind in PAGE_KINDS:
            if report_kind not in self._pages:
                raise InvalidReportRequestError(f"{kind} reports are not configured here")
            framework = None
        self.check_scope(requester, framework, window)
        if fmt == "pdf" or report_kind is ReportKind.BUNDLE:
            self._pdf.check()
        job = self.jobs.add(
            Job(
                id=str(ULID()),
                kind=report_kind,
                framework=framework,
                window=window,
                format=fmt,
                state=JobState.QUEUED,
                percent=0,
                requested_by=requester.id,
                created_at=self._clock(),
            )
        )
        if background:
            self._submit(job, requester.actor)
            return job
        return self._execute(job, requester.actor, progress)

    def job(self, job_id: str, requester: Requester, *, bundle: bool | None = None) -> Job:
        found = self.jobs.get(job_id)
        if (
            found is None
            or (bundle is not None and (found.kind is ReportKind.BUNDLE) != bundle)
            or not self._visible(requester, found)
        ):
            raise ReportNotFoundError(f"no {'bundle' if bundle else 'report'} {job_id}")
        return found

    def recent(self, requester: Requester, *, bundles: bool, limit: int = 100) -> list[Job]:
        return [
            job
            for job in self.jobs.recent(bundles=bundles, limit=limit)
            if self._visible(requester, job)
        ]

    def download(
        self, job_id: str, requester: Requester, *, bundle: bool | None = None
    ) -> tuple[Job, Path]:
        """The finished artifact; the download is recorded first (fail closed)."""
        job = self.job(job_id, requester, bundle=bundle)
        if job.state is not JobState.DONE or job.artifact is None:
            raise ReportNotFoundError(f"{job_id} is {job.state.value}, not ready for download")
        if job.pruned_at is not None:
            raise ReportNotFoundError(
                f"the artifact of {job_id} was pruned on {job.pruned_at:%Y-%m-%d} "
                f"(kept {self._retention.days} days); request it again"
            )
        path = self._artifacts / job.artifact
        if not path.is_file():
            raise ReportNotFoundError(f"the artifact of {job_id} is no longer stored")
        if _sha256_file(path) != job.sha256:
            raise ArtifactIntegrityError(f"the stored artifact of {job_id} was altered")
        self._recorder.record(
            AuditEventIn(
                type=EventType.AUDIT_EXPORT,
                actor=requester.actor,
                target=Target(type=_target(job), id=job.id),
                details={"action": "download", "sha256": job.sha256, "kind": job.kind.value},
            )
        )
        return job, path

    # --- retention --------------------------------------------------------------------

    def prunable(self, now: datetime | None = None) -> list[Job]:
        """Artifacts older than the retention, except bundles an active engagement covers."""
        moment = now or self._clock()
        scopes = [
            scope for scope in self.jobs.scopes() if self._engagement_active(scope.account_id)
        ]
        return [
            job
            for job in self.jobs.finished_before(moment - self._retention)
            if not (
                job.kind is ReportKind.BUNDLE
                and any(scope.covers(job.framework, job.window) for scope in scopes)
            )
        ]

    def prune(self, requester: Requester, *, dry_run: bool = False) -> list[Job]:
        """Delete the artifacts ``prunable()`` names; recorded first as one audit event (if
        it cannot be recorded nothing is deleted), then each job is marked pruned."""
        now = self._clock()
        expired = self.prunable(now)
        if dry_run or not expired:
            return expired
        self._recorder.record(
            AuditEventIn(
                type=EventType.ADMIN_ACTION,
                actor=requester.actor,
                target=Target(type="report_artifacts", id=f"retention-{now:%Y%m%dT%H%M%SZ}"),
                details={
                    "action": "reports.retention.prune",
                    "retention_days": self._retention.days,
                    "artifacts": [
                        {"job": job.id, "kind": job.kind.value, "sha256": job.sha256}
                        for job in expired
                    ],
                },
            )
        )
        for job in expired:
            assert job.artifact is not None
            (self._artifacts / job.artifact).unlink(missing_ok=True)
        self.jobs.mark_pruned((job.id for job in expired), now)
        log.info("report_artifacts_pruned", count=len(expired))
        return expired

    # --- background -------------------------------------------------------------------

    def _submit(self, job: Job, actor: Actor) -> Future[Job] | None:
        with self._inflight_lock:
            if job.id in self._inflight:  # already queued or building in this process
                return None
            self._inflight.add(job.id)
        future = self._pool.submit(self._execute, job, actor, None)
        future.add_done_callback(lambda _done: self._forget(job.id))
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(future)
        return future

    def _forget(self, job_id: str) -> None:
        with self._inflight_lock:
            self._inflight.discard(job_id)

    def wait(self, timeout: float | None = None) -> None:
        """Block until every build submitted so far has finished (tests, CLI)."""
        wait(list(self._pending), timeout=timeout)

    def resume(self) -> int:
        """Build again every job a previous process acknowledged but did not finish, and from
        now on look again every ``sweep_seconds``: a job whose worker died mid-build (its
        lease expired) is built by whichever worker claims it first."""
        submitted = self._sweep()
        if self._sweeper is None:
            self._sweeper = threading.Thread(
                target=self._sweep_until_stopped, name="reports-sweeper", daemon=True
            )
            self._sweeper.start()
        return submitted

    def _sweep(self) -> int:
        try:
            unfinished = self.jobs.unfinished()
        except SQLAlchemyError as exc:  # schema not migrated yet: nothing can be pending
            log.warning("reports_resume_skipped", error=type(exc).__name__)
            return 0
        submitted = 0
        for job in unfinished:
            if self._submit(job, Actor(id=job.requested_by, kind="user")) is not None:
                submitted += 1
        return submitted

    def _sweep_until_stopped(self) -> None:
        while not self._stopping.wait(self._sweep_seconds):
            try:
                self._sweep()
            except RuntimeError:  # the pool was shut down meanwhile
                return

    def close(self) -> None:
        """Finish the build under way; queued ones stay queued for ``resume()`` at start."""
        self._stopping.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _execute(self, job: Job, actor: Actor, progress: Progress | None) -> Job:
        if not self.jobs.claim(job.id, self.worker_id, self._clock(), self._lease):
            log.info("report_job_held_elsewhere", job=job.id)
            return self.jobs.get(job.id) or job
        last = [-1]

        def report(percent: int) -> None:
            if percent != last[0]:
                last[0] = percent
                held = self.jobs.progress(
                    job.id, percent, owner=self.worker_id, lease_until=self._clock() + self._lease
                )
                if not held:
                    raise JobTakenOverError(f"another worker took over job {job.id}")
                if progress is not None:
                    progress(percent)

        report(1)
        try:
            finished = self._build(job, actor, report)
        except Exception as exc:
            log.warning("report_build_failed", job=job.id, error=type(exc).__name__)
            message = str(exc) if isinstance(exc, ReportsError) else type(exc).__name__
            failed = replace(
                job,
                state=JobState.FAILED,
                finished_at=self._clock(),
                error=f"{type(exc).__name__}: {message}",
            )
            return self._store_outcome(failed)
        if progress is not None:
            progress(100)
        return self._store_outcome(finished)

    def _store_outcome(self, job: Job) -> Job:
        """The outcome, unless another worker took the job over meanwhile (then its own)."""
        if self.jobs.finish(job, owner=self.worker_id):
            return job
        log.warning("report_job_taken_over", job=job.id)
        return self.jobs.get(job.id) or job

    def _build(self, job: Job, actor: Actor, report: Progress) -> Job:
        now = self._clock()
        if job.kind is ReportKind.BUNDLE:
            return self._build_bundle(job, actor, now, report)
        posture: float | None = None
        if job.kind is ReportKind.FRAMEWORK:
            assert job.framework is not None
            selection = select_evidence(self._log, job.framework, job.window)
            report(30)
            framework = self._framework_report(job, selection.evidence, now)
            posture = framework.posture.percent_satisfied
            html = render_html(framework)
        else:
            html = self._pages[job.kind](job.window, now)
        report(60)
        content = html.encode() if job.format == "html" else self._pdf.render(html)
        report(90)
        name = f"{job.id}.{job.format}"
        _write_private(self._artifacts / name, content)
        digest = hashlib.sha256(content).hexdigest()
        self._record_generated(job, actor, digest, len(content))
        return replace(
            job,
            state=JobState.DONE,
            percent=100,
            finished_at=self._clock(),
            artifact=name,
            sha256=digest,
            size=len(content),
            posture_percent=posture,
        )

    def _framework_report(
        self, job: Job, evidence: Sequence[EvidenceRecord], now: datetime
    ) -> FrameworkReport:
        assert job.framework is not None
        previous = self.jobs.previous_framework_report(job.framework, job.created_at)
        return assemble(
            self._controls,
            job.framework,
            job.window,
            evidence,
            now,
            previous=(
                PreviousReport(previous.created_at, previous.posture_percent)
                if previous is not None and previous.posture_percent is not None
                else None
            ),
            privacy=self._privacy(job.window) if self._privacy else None,
        )

    def _build_bundle(self, job: Job, actor: Actor, now: datetime, report: Progress) -> Job:
        assert job.framework is not None
        selection = select_evidence(self._log, job.framework, job.window)
        report(10)
        framework = self._framework_report(job, selection.evidence, now)
        html = render_html(framework)
        documents = {
            REPORT_HTML: html.encode(),
            REPORT_PDF: self._pdf.render(html),
            ASSESSMENT_RESULTS: json_bytes(
                assessment_results(framework, bundled=selection.evidence_hashes())
            ),
            "oscal/component-definition.json": json_bytes(
                component_definition(self._controls.catalog, now)
            ),
        }
        report(30)
        name = f"{job.id}.zip"

        def bundle_progress(done: int, total: int) -> None:
            report(30 + int(69 * done / max(total, 1)))

        result = write_bundle(
            selection,
            documents,
            self._artifacts / name,
            log=self._log,
            store=self._store,
            bundle_id=job.id,
            actor=actor,
            generated_at=now,
            progress=bundle_progress,
        )
        os.chmod(result.path, 0o600)
        content_hash = _sha256_file(result.path)
        return replace(
            job,
            state=JobState.DONE,
            percent=100,
            finished_at=self._clock(),
            artifact=name,
            sha256=content_hash,
            size=result.path.stat().st_size,
            posture_percent=framework.posture.percent_satisfied,
        )

    def _record_generated(self, job: Job, actor: Actor, digest: str, size: int) -> None:
        self._recorder.record(
            AuditEventIn(
                type=EventType.REPORT_GENERATED,
                actor=actor,
                target=Target(type=_target(job), id=job.id),
                details={
                    "kind": job.kind.value,
                    "framework": job.framework,
                    **job.window.as_json(),
                    "format": job.format,
                    "sha256": digest,
                    "size": size,
                },
            )
        )


def _target(job: Job) -> str:
    return "evidence_bundle" if job.kind is ReportKind.BUNDLE else "report"


def _write_private(path: Path, content: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
