"""Storage of runs, collections, findings, attestations and posture history (SQLModel)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from ulid import ULID

from controls.findings import Finding, FindingStatus
from controls.records import (
    CollectionRecord,
    PostureSnapshot,
    RunRecord,
    StoredFinding,
)
from controls.snapshots.manual import AttestationInfo
from controls.tables import AttestationRow, CollectionRow, FindingRow, PostureRow, RunRow


def new_id() -> str:
    return str(ULID())


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ControlsRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # --- runs -----------------------------------------------------------------------------

    def start_run(self, trigger: str, actor: str, started_at: datetime) -> str:
        run_id = new_id()
        with self._session() as session:
            session.add(
                RunRow(
                    id=run_id, trigger=trigger, actor=actor, status="running", started_at=started_at
                )
            )
            session.commit()
        return run_id

    def finish_run(self, run_id: str, finished_at: datetime) -> None:
        with self._session() as session:
            row = session.get(RunRow, run_id)
            if row is not None:
                row.status = "completed"
                row.finished_at = finished_at
                session.add(row)
                session.commit()

    def record_collection(self, record: CollectionRecord) -> None:
        """One collection and its findings, in one transaction."""
        with self._session() as session:
            session.add(
                CollectionRow(
                    id=record.id,
                    run_id=record.run_id,
                    collector=record.collector,
                    status=record.status,
                    scope=record.scope[:1024],
                    evidence_sha256=record.evidence_sha256,
                    error=(record.error or None) and record.error[:500],
                    started_at=record.started_at,
                    finished_at=record.finished_at,
                )
            )
            session.flush()
            session.add_all(
                FindingRow(
                    collection_id=record.id,
                    check_id=f.check_id,
                    status=f.status.value,
                    resource=f.resource[:1024],
                    reason=f.reason[:1024],
                )
                for f in record.findings
            )
            session.commit()

    def run(self, run_id: str) -> RunRecord | None:
        with self._session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                return None
            collections = session.exec(
                select(CollectionRow).where(CollectionRow.run_id == run_id)
            ).all()
            return RunRecord(
                id=row.id,
                trigger=row.trigger,
                actor=row.actor,
                status=row.status,
                started_at=_utc(row.started_at),
                finished_at=_utc(row.finished_at) if row.finished_at else None,
                collections=tuple(
                    self._collection(session, c)
                    for c in sorted(collections, key=lambda c: c.collector)
                ),
            )

    def _collection(self, session: Session, row: CollectionRow) -> CollectionRecord:
        findings = session.exec(
            select(FindingRow)
            .where(FindingRow.collection_id == row.id)
            .order_by(col(FindingRow.id))
        ).all()
        return CollectionRecord(
            id=row.id,
            run_id=row.run_id,
            collector=row.collector,
            status=row.status,
            scope=row.scope,
            evidence_sha256=row.evidence_sha256,
            error=row.error,
            started_at=_utc(row.started_at),
            finished_at=_utc(row.finished_at),
            findings=tuple(_finding(f, row.collector) for f in findings),
        )

    # --- latest state ---------------------------------------------------------------------

    def _latest_rows(self, session: Session) -> dict[str, CollectionRow]:
        """Per collector, its newest collection (on a tie of finish times, the highest id)."""
        newest = (
            select(CollectionRow.collector, func.max(CollectionRow.finished_at).label("at"))
            .group_by(CollectionRow.collector)
            .subquery()
        )
        rows = session.exec(
            select(CollectionRow).join(
                newest,
                and_(
                    col(CollectionRow.collector) == newest.c.collector,
                    col(CollectionRow.finished_at) == newest.c.at,
                ),
            )
        ).all()
        latest: dict[str, CollectionRow] = {}
        for row in sorted(rows, key=lambda r: r.id):
            latest[row.collector] = row
        return latest

    def latest_collections(self) -> dict[str, CollectionRecord]:
        """The newest collection of each collector (with its findings)."""
        with self._session() as session:
            return {
                collector: self._collection(session, row)
                for collector, row in self._latest_rows(session).items()
            }

    def latest_collection_ids(self) -> tuple[tuple[str, str], ...]:
        """(collector, collection id) of each collector's newest collection, in the order
        ``latest_findings`` reads them: one query over collections, none over findings.

        A collection's findings are written with it in one transaction and never change, so
        these ids name the latest findings exactly (the posture cache's key, ADR 0405).
        """
        with self._session() as session:
            return tuple((c, row.id) for c, row in self._latest_rows(session).items())

    def latest_findings(self) -> list[StoredFinding]:
        return [
            StoredFinding(
                finding=f,
                observed_at=c.finished_at,
                evidence_sha256=c.evidence_sha256,
                run_id=c.run_id,
            )
            for c in self.latest_collections().values()
            for f in c.findings
        ]

    def findings_of(self, collection_ids: Sequence[str]) -> list[StoredFinding]:
        """The findings of these collections, in the given order (as ``latest_findings``),
        read as plain columns: no ORM objects, one query per collection."""
        stored: list[StoredFinding] = []
        with self._engine.connect() as connection:
            for collection_id in collection_ids:
                head = connection.execute(
                    select(
                        CollectionRow.collector,
                        CollectionRow.finished_at,
                        CollectionRow.evidence_sha256,
                        CollectionRow.run_id,
                    ).where(CollectionRow.id == collection_id)
                ).first()
                if head is None:
                    continue
                collector, finished_at, evidence_sha256, run_id = head
                observed_at = _utc(finished_at)
                rows = connection.execute(
                    select(
                        FindingRow.check_id,
                        FindingRow.status,
                        FindingRow.resource,
                        FindingRow.reason,
                    )
                    .where(FindingRow.collection_id == collection_id)
                    .order_by(col(FindingRow.id))
                )
                stored.extend(
                    StoredFinding(
                        finding=Finding(
                            check_id=check_id,
                            collector=collector,
                            status=FindingStatus(status),
                            resource=resource,
                            reason=reason,
                        ),
                        observed_at=observed_at,
                        evidence_sha256=evidence_sha256,
                        run_id=run_id,
                    )
                    for check_id, status, resource, reason in rows
                )
        return stored

    # --- attestations ---------------------------------------------------------------------

    def add_attestation(self, attestation: AttestationInfo) -> AttestationInfo:
        with self._session() as session:
            session.add(AttestationRow(**attestation.model_dump()))
            session.commit()
        return attestation

    def attestations(self) -> Sequence[AttestationInfo]:
        with self._session() as session:
            rows = session.exec(
                select(AttestationRow).order_by(col(AttestationRow.attested_at))
            ).all()
            return [
                AttestationInfo(
                    id=r.id,
                    kind=r.kind,
                    title=r.title,
                    attested_by=r.attested_by,
                    attested_at=_utc(r.attested_at),
                    expires_at=_utc(r.expires_at),
                    evidence_sha256=r.evidence_sha256,
                )
                for r in rows
            ]

    # --- posture history ------------------------------------------------------------------

    def record_posture(self, snapshots: Sequence[PostureSnapshot]) -> None:
        with self._session() as session:
            session.add_all(PostureRow(**s.model_dump()) for s in snapshots)
            session.commit()

    def posture_version(self) -> tuple[int, int]:
        """(highest id, row count) of the posture snapshots: changes whenever one is stored
        (snapshots are only ever added), so a history read under it can be kept."""
        with self._session() as session:
            highest, count = session.exec(select(func.max(PostureRow.id), func.count())).one()
        return int(highest or 0), int(count)

    def posture_history(self, framework_id: str, limit: int = 100) -> list[PostureSnapshot]:
        with self._session() as session:
            rows = session.exec(
                select(PostureRow)
                .where(PostureRow.framework_id == framework_id)
                .order_by(col(PostureRow.taken_at).desc(), col(PostureRow.id).desc())
                .limit(limit)
            ).all()
            return [
                PostureSnapshot(
                    run_id=r.run_id,
                    framework_id=r.framework_id,
                    satisfied=r.satisfied,
                    assessed=r.assessed,
                    failing=r.failing,
                    total=r.total,
                    taken_at=_utc(r.taken_at),
                )
                for r in rows
            ]


def _finding(row: FindingRow, collector: str) -> Finding:
    return Finding(
        check_id=row.check_id,
        collector=collector,
        status=FindingStatus(row.status),
        resource=row.resource,
        reason=row.reason,
    )
