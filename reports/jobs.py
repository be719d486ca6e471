"""Report and bundle jobs, auditor scopes, and their SQL repository."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Engine, RowMapping

from reports.bundle import Window
from reports.errors import InvalidReportRequestError
from reports.tables import JOBS, SCOPES


class ReportKind(StrEnum):
    FRAMEWORK = "framework"
    ACCESS_REVIEW = "access_review"
    KEY_INVENTORY = "key_inventory"
    PRIVACY_PERFORMANCE = "privacy_performance"
    BUNDLE = "bundle"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FORMATS = {
    ReportKind.FRAMEWORK: ("html", "pdf"),
    ReportKind.ACCESS_REVIEW: ("html", "pdf"),
    ReportKind.KEY_INVENTORY: ("html", "pdf"),
    ReportKind.PRIVACY_PERFORMANCE: ("html", "pdf"),
    ReportKind.BUNDLE: ("zip",),
}
# reports that are one page builder over the window, with no framework
PAGE_KINDS = frozenset(
    {ReportKind.ACCESS_REVIEW, ReportKind.KEY_INVENTORY, ReportKind.PRIVACY_PERFORMANCE}
)
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Job:
    id: str
    kind: ReportKind
    framework: str | None
    window: Window
    format: str
    state: JobState
    percent: int
    requested_by: str
    created_at: datetime
    finished_at: datetime | None = None
    artifact: str | None = None
    sha256: str | None = None
    size: int | None = None
    posture_percent: float | None = None
    error: str | None = None
    pruned_at: datetime | None = None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "framework": self.framework,
            "from": _iso(self.window.start),
            "to": _iso(self.window.end),
            "format": self.format,
            "state": self.state.value,
            "percent": self.percent,
            "requested_by": self.requested_by,
            "created_at": _iso(self.created_at),
            "finished_at": _iso(self.finished_at) if self.finished_at else None,
            "sha256": self.sha256,
            "size": self.size,
            "posture_percent": self.posture_percent,
            "error": self.error,
            "pruned_at": _iso(self.pruned_at) if self.pruned_at else None,
        }


@dataclass(frozen=True)
class Scope:
    """An auditor's engagement: which frameworks, which observation window."""

    account_id: str
    frameworks: frozenset[str]
    window: Window
    set_by: str
    set_at: datetime

    def covers(self, framework: str | None, window: Window) -> bool:
        if framework is not None and framework not in self.frameworks:
            return False
        return self.window.start <= window.start and window.end <= self.window.end


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def validate_request(kind: str, framework: str | None, fmt: str, known: Iterable[str]) -> None:
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in ReportKind)
        raise InvalidReportRequestError(f"unknown report kind {kind!r} (one of {kinds})") from None
    if fmt not in FORMATS[report_kind]:
        raise InvalidReportRequestError(
            f"a {kind} report comes as {' or '.join(FORMATS[report_kind])}, not {fmt!r}"
        )
    needs_framework = report_kind in (ReportKind.FRAMEWORK, ReportKind.BUNDLE)
    if needs_framework and framework not in set(known):
        raise InvalidReportRequestError(
            f"unknown framework {framework!r} (one of {', '.join(sorted(known))})"
        )


class JobsRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, job: Job) -> Job:
        with self._engine.begin() as conn:
            conn.execute(
                insert(JOBS).values(
                    id=job.id,
                    kind=job.kind.value,
                    framework=job.framework,
                    window_from=job.window.start,
                    window_to=job.window.end,
                    format=job.format,
                    state=job.state.value,
                    percent=job.percent,
                    requested_by=job.requested_by,
                    created_at=job.created_at,
                )
            )
        return job

    def claim(self, job_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take the job for ``owner`` until ``now + lease``: one atomic UPDATE that matches
        only a queued job or a running one whose lease has expired (or that never had one,
        from before leases). True for exactly one of several workers racing for it."""
        claimable = or_(
            JOBS.c.state == JobState.QUEUED.value,
            and_(
                JOBS.c.state == JobState.RUNNING.value,
                or_(JOBS.c.lease_expires_at.is_(None), JOBS.c.lease_expires_at < now),
            ),
        )
        with self._engine.begin() as conn:
            taken = conn.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, claimable)
                .values(
                    state=JobState.RUNNING.value,
                    lease_owner=owner,
                    lease_expires_at=now + lease,
                )
            ).rowcount
        return taken == 1

    def progress(
        self,
        job_id: str,
        percent: int,
        state: JobState = JobState.RUNNING,
        *,
        owner: str | None = None,
        lease_until: datetime | None = None,
    ) -> bool:
        """Write the percent (and renew the lease when ``owner`` holds it); False when
        ``owner`` no longer holds the job (its lease expired and another worker took it)."""
        query = update(JOBS).where(JOBS.c.id == job_id)
        values: dict[str, object] = {"percent": max(0, min(100, percent)), "state": state.value}
        if owner is not None:
            query = query.where(JOBS.c.lease_owner == owner)
            if lease_until is not None:
                values["lease_expires_at"] = lease_until
        with self._engine.begin() as conn:
            return bool(conn.execute(query.values(**values)).rowcount)

    def finish(self, job: Job, *, owner: str | None = None) -> bool:
        """Store the outcome; False (nothing written) when ``owner`` lost the job's lease."""
        query = update(JOBS).where(JOBS.c.id == job.id)
        if owner is not None:
            query = query.where(JOBS.c.lease_owner == owner)
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    query.values(
                        state=job.state.value,
                        percent=job.percent,
                        finished_at=job.finished_at,
                        artifact=job.artifact,
                        sha256=job.sha256,
                        size=job.size,
                        posture_percent=job.posture_percent,
                        error=(job.error or "")[:500] or None,
                        lease_expires_at=None,
                    )
                ).rowcount
            )

    def get(self, job_id: str) -> Job | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().first()
        return _job(row) if row else None

    def recent(self, *, bundles: bool, limit: int = 100) -> list[Job]:
        kind = JOBS.c.kind == ReportKind.BUNDLE.value
        query = (
            select(JOBS)
            .where(kind if bundles else ~kind)
            .order_by(JOBS.c.created_at.desc(), JOBS.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_job(row) for row in conn.execute(query).mappings()]

    def unfinished(self) -> list[Job]:
        states = (JobState.QUEUED.value, JobState.RUNNING.value)
        with self._engine.connect() as conn:
            rows = conn.execute(select(JOBS).where(JOBS.c.state.in_(states))).mappings()
            return [_job(row) for row in rows]

    def previous_framework_report(self, framework: str, before: datetime) -> Job | None:
        query = (
            select(JOBS)
            .where(
                and_(
                    JOBS.c.kind.in_((ReportKind.FRAMEWORK.value, ReportKind.BUNDLE.value)),
                    JOBS.c.framework == framework,
                    JOBS.c.state == JobState.DONE.value,
                    JOBS.c.posture_percent.is_not(None),
                    JOBS.c.created_at < before,
                )
            )
            .order_by(JOBS.c.created_at.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _job(row) if row else None

    # --- retention ----------------------------------------------------------------------

    def finished_before(self, cutoff: datetime) -> list[Job]:
        """Done jobs whose artifact is still stored and that finished before ``cutoff``."""
        query = (
            select(JOBS)
            .where(
                JOBS.c.state == JobState.DONE.value,
                JOBS.c.artifact.is_not(None),
                JOBS.c.pruned_at.is_(None),
                JOBS.c.finished_at < cutoff,
            )
            .order_by(JOBS.c.finished_at, JOBS.c.id)
        )
        with self._engine.connect() as conn:
            return [_job(row) for row in conn.execute(query).mappings()]

    def mark_pruned(self, job_ids: Iterable[str], at: datetime) -> None:
        ids = list(job_ids)
        if not ids:
            return
        with self._engine.begin() as conn:
            conn.execute(update(JOBS).where(JOBS.c.id.in_(ids)).values(pruned_at=at))

    # --- auditor scopes ---------------------------------------------------------------

    def set_scope(self, scope: Scope) -> Scope:
        values = {
            "frameworks": ",".join(sorted(scope.frameworks)),
            "window_from": scope.window.start,
            "window_to": scope.window.end,
            "set_by": scope.set_by,
            "set_at": scope.set_at,
        }
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(SCOPES).where(SCOPES.c.account_id == scope.account_id).values(**values)
            ).rowcount
            if not changed:
                conn.execute(insert(SCOPES).values(account_id=scope.account_id, **values))
        return scope

    def scope(self, account_id: str) -> Scope | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(select(SCOPES).where(SCOPES.c.account_id == account_id))
                .mappings()
                .first()
            )
        return _scope(row) if row is not None else None

    def scopes(self) -> list[Scope]:
        with self._engine.connect() as conn:
            return [_scope(row) for row in conn.execute(select(SCOPES)).mappings()]


def _scope(row: RowMapping) -> Scope:
    return Scope(
        account_id=row["account_id"],
        frameworks=frozenset(f for f in row["frameworks"].split(",") if f),
        window=Window(_utc(row["window_from"]), _utc(row["window_to"])),
        set_by=row["set_by"],
        set_at=_utc(row["set_at"]),
    )


def _job(row: RowMapping) -> Job:
    return Job(
        id=row["id"],
        kind=ReportKind(row["kind"]),
        framework=row["framework"],
        window=Window(_utc(row["window_from"]), _utc(row["window_to"])),
        format=row["format"],
        state=JobState(row["state"]),
        percent=row["percent"],
        requested_by=row["requested_by"],
        created_at=_utc(row["created_at"]),
        finished_at=_utc(row["finished_at"]) if row["finished_at"] else None,
        artifact=row["artifact"],
        sha256=row["sha256"],
        size=row["size"],
        posture_percent=row["posture_percent"],
        error=row["error"],
        pruned_at=_utc(row["pruned_at"]) if row["pruned_at"] else None,
    )


def done(job: Job, **changes: object) -> Job:
    return replace(job, **changes)  # type: ignore[arg-type]
