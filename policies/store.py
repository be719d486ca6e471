"""SQL storage of bundle revisions, the active pointer and agent status (SQLite/PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from policies.errors import RevisionNotFoundError
from policies.source import BundleFiles
from policies.tables import PolicyActivationRow, PolicyActiveRow, PolicyAgentRow, PolicyRevisionRow

ACTIVE_ROW_ID = 1


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RevisionInfo:
    revision: str
    created_at: datetime
    created_by: str
    tests_passed: int
    coverage_percent: float
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "tests_passed": self.tests_passed,
            "coverage_percent": self.coverage_percent,
            "active": self.active,
        }


@dataclass(frozen=True)
class ActivePointer:
    revision: str
    generation: int


@dataclass(frozen=True)
class AgentStatus:
    agent_id: str
    last_seen_at: datetime
    active_revision: str | None
    status: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "last_seen_at": self.last_seen_at.isoformat(),
            "active_revision": self.active_revision,
            "status": self.status,
        }


REVISION_LISTING = ("revision", "created_at", "created_by", "tests_passed", "coverage_permille")


class BundleStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def save_revision(
        self, files: BundleFiles, *, actor: str, tests_passed: int, coverage_percent: float
    ) -> str:
        """Store the revision (idempotent: the same content is the same revision)."""
        revision = files.revision
        with self._session() as session:
            if session.get(PolicyRevisionRow, revision) is not None:
                return revision
            session.add(
                PolicyRevisionRow(
                    revision=revision,
                    bundle=files.to_json(),
                    created_at=datetime.now(UTC),
                    created_by=actor,
                    tests_passed=tests_passed,
                    coverage_permille=round(coverage_percent * 10),
                )
            )
            try:
                session.commit()
            except IntegrityError:  # another replica stored the same content first
                session.rollback()
        return revision

    def load(self, revision: str) -> BundleFiles:
        with self._session() as session:
            row = session.get(PolicyRevisionRow, revision)
            if row is None:
                raise RevisionNotFoundError(f"no stored revision {revision}")
            return BundleFiles.from_json(row.bundle)

    def exists(self, revision: str) -> bool:
        with self._session() as session:
            return session.get(PolicyRevisionRow, revision) is not None

    def active(self) -> ActivePointer | None:
        """The cheap query replicas poll: one row by primary key."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(PolicyActiveRow.revision, PolicyActiveRow.generation).where(  # type: ignore[call-overload]
                    PolicyActiveRow.id == ACTIVE_ROW_ID
                )
            ).first()
        return None if row is None else ActivePointer(str(row[0]), int(row[1]))

    def activate(self, revision: str, *, actor: str, kind: str) -> ActivePointer:
        if not self.exists(revision):
            raise RevisionNotFoundError(f"no stored revision {revision}")
        now = datetime.now(UTC)
        for _ in range(3):
            with self._session() as session:
                result = session.execute(
                    update(PolicyActiveRow)
                    .where(PolicyActiveRow.id == ACTIVE_ROW_ID)  # type: ignore[arg-type]
                    .values(
                        revision=revision,
                        generation=PolicyActiveRow.generation + 1,
                        activated_at=now,
                        activated_by=actor,
                    )
                )
                if result.rowcount == 0:  # type: ignore[attr-defined]
                    session.add(
                        PolicyActiveRow(
                            id=ACTIVE_ROW_ID,
                            revision=revision,
                            generation=1,
                            activated_at=now,
                            activated_by=actor,
                        )
                    )
                session.add(
                    PolicyActivationRow(
                        revision=revision, kind=kind, activated_at=now, activated_by=actor
                    )
                )
                try:
                    session.commit()
                except IntegrityError:  # two replicas created the pointer at once: retry
                    session.rollback()
                    continue
            pointer = self.active()
            assert pointer is not None
            return pointer
        raise RevisionNotFoundError("could not activate the revision")  # pragma: no cover

    def revisions(self) -> list[RevisionInfo]:
        pointer = self.active()
        table = PolicyRevisionRow.__table__  # type: ignore[attr-defined]
        # the listing's columns only: never the stored bundles themselves
        columns = [table.c[name] for name in REVISION_LISTING]
        with self._session() as session:
            rows = session.execute(select(*columns).order_by(table.c.created_at.desc()))
            return [
                RevisionInfo(
                    revision=row.revision,
                    created_at=_utc(row.created_at),
                    created_by=row.created_by,
                    tests_passed=row.tests_passed,
                    coverage_percent=row.coverage_permille / 10,
                    active=pointer is not None and pointer.revision == row.revision,
                )
                for row in rows
            ]

    def activation_count(self) -> int:
        with self._session() as session:
            return int(
                session.execute(select(func.count()).select_from(PolicyActivationRow)).scalar_one()
            )

    # -- agents -------------------------------------------------------------------------

    def record_agent_status(
        self, agent_id: str, active_revision: str | None, status: dict[str, Any]
    ) -> None:
        now = datetime.now(UTC)
        body = json.dumps(status, sort_keys=True)
        for _ in range(3):
            with self._session() as session:
                row = session.get(PolicyAgentRow, agent_id)
                if row is None:
                    session.add(
                        PolicyAgentRow(
                            agent_id=agent_id,
                            last_seen_at=now,
                            active_revision=active_revision,
                            status=body,
                        )
                    )
                else:
                    row.last_seen_at = now
                    row.active_revision = active_revision
                    row.status = body
                    session.add(row)
                try:
                    session.commit()
                    return
                except IntegrityError:
                    session.rollback()

    def agents(self) -> list[AgentStatus]:
        with self._session() as session:
            rows = session.execute(
                select(PolicyAgentRow).order_by(PolicyAgentRow.agent_id)
            ).scalars()
            return [
                AgentStatus(
                    agent_id=row.agent_id,
                    last_seen_at=_utc(row.last_seen_at),
                    active_revision=row.active_revision,
                    status=json.loads(row.status),
                )
                for row in rows
            ]
