"""Storage of data subject requests, their steps, events, codes and data map versions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from privacy.model import CLOSED, DsrRequest, DsrState, DsrType, Step
from privacy.sla import Regime
from privacy.tables import DataMapRow, DsrEventRow, DsrRow, DsrStepRow, VerificationRow

DSR = DsrRow.__table__  # type: ignore[attr-defined]
STEP = DsrStepRow.__table__  # type: ignore[attr-defined]
EVENT = DsrEventRow.__table__  # type: ignore[attr-defined]
CODE = VerificationRow.__table__  # type: ignore[attr-defined]
DATAMAP = DataMapRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StoredDataMap:
    version: int
    sha256: str
    content: str
    loaded_by: str
    loaded_at: datetime
    audit_seq: int


@dataclass(frozen=True)
class StoredCode:
    code_hash: str
    expires_at: datetime
    attempts: int


def _request(row: Any) -> DsrRequest:
    return DsrRequest(
        id=row.id,
        type=DsrType(row.type),
        state=DsrState(row.state),
        regime=Regime(row.regime),
        identifier_kind=row.identifier_kind,
        identifier_hash=row.identifier_hash,
        received_at=row.received_at,
        due_at=row.due_at,
        extended=row.extended,
        verified_method=row.verified_method,
        approved_by=row.approved_by,
        reason=row.reason,
        note=row.note,
        correction=json.loads(row.correction_json),
        subject_ids=json.loads(row.subject_ids_json),
        closed_at=row.closed_at,
        package_sha256=row.package_sha256,
    )


class DsrRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._aware = engine.dialect.name != "sqlite"

    def _utc(self, value: datetime | None) -> datetime | None:
        from datetime import UTC

        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)  # SQLite hands back naive values

    def _fix(self, request: DsrRequest) -> DsrRequest:
        request.received_at = self._utc(request.received_at) or request.received_at
        request.due_at = self._utc(request.due_at) or request.due_at
        request.closed_at = self._utc(request.closed_at)
        return request

    # --- requests -----------------------------------------------------------------------

    def insert(self, request: DsrRequest, identifier_sealed: str, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(DSR).values(
                    id=request.id,
                    type=request.type.value,
                    state=request.state.value,
                    regime=request.regime.value,
                    identifier_kind=request.identifier_kind,
                    identifier_sealed=identifier_sealed,
                    identifier_hash=request.identifier_hash,
                    received_at=request.received_at,
                    due_at=request.due_at,
                    extended=False,
                    note=request.note,
                    correction_json=json.dumps(request.correction, sort_keys=True),
                    subject_ids_json="[]",
                    updated_at=now,
                )
            )

    def get(self, dsr_id: str) -> DsrRequest | None:
        with self.engine.connect() as connection:
            loaded = self._read(connection, dsr_id)
        return None if loaded is None else loaded[0]

    def load(self, dsr_id: str) -> tuple[DsrRequest, str, int | None] | None:
        """The request, its sealed identifier and the latest data map version, from one
        connection (an execution's reads)."""
        with self.engine.connect() as connection:
            loaded = self._read(connection, dsr_id, with_datamap=True)
        if loaded is None:
            return None
        request, sealed, version = loaded
        return request, sealed, None if version is None else int(version)

    def _read(
        self, connection: Connection, dsr_id: str, *, with_datamap: bool = False
    ) -> tuple[DsrRequest, str, Any] | None:
        """The request with its steps and event sequence numbers, its sealed identifier and
        (``with_datamap``) the latest data map version, read in the request's own query."""
        query = select(DSR).where(DSR.c.id == dsr_id)
        if with_datamap:
            query = query.add_columns(
                select(func.max(DATAMAP.c.id)).scalar_subquery().label("datamap_version")
            )
        row = connection.execute(query).first()
        if row is None:
            return None
        request = self._fix(_request(row))
        steps = connection.execute(
            select(STEP).where(STEP.c.dsr_id == dsr_id).order_by(STEP.c.updated_at, STEP.c.id)
        ).all()
        request.steps = [
            Step(
                id=s.id,
                system=s.system,
                action=s.action,
                status=s.status,
                detail=json.loads(s.detail_json),
                error=s.error,
                audit_seq=s.audit_seq,
                updated_at=self._utc(s.updated_at),
            )
            for s in steps
        ]
        request.audit_seqs = list(
            connection.execute(
                select(EVENT.c.audit_seq)
                .where(EVENT.c.dsr_id == dsr_id)
                .order_by(EVENT.c.audit_seq)
            ).scalars()
        )
        version = row.datamap_version if with_datamap else None
        return request, str(row.identifier_sealed), version

    def identifier_sealed(self, dsr_id: str) -> str:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(DSR.c.identifier_sealed).where(DSR.c.id == dsr_id)
            ).scalar_one()
            return str(value)

    def open_duplicate(self, identifier_hash: str, dsr_type: DsrType) -> str | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(DSR.c.id).where(
                    DSR.c.identifier_hash == identifier_hash,
                    DSR.c.type == dsr_type.value,
                    DSR.c.state.not_in([s.value for s in CLOSED]),
                )
            ).first()
            return None if found is None else str(found[0])

    def transition(
        self,
        dsr_id: str,
        expected: DsrState,
        values: dict[str, Any],
        now: datetime,
        *,
        event: tuple[str, int] | None = None,
    ) -> bool:
        """Conditional update: applies only when the request is still in ``expected``."""
        return self.apply(dsr_id, expected, values, now, events=[event] if event else ())

    def apply(
        self,
        dsr_id: str,
        expected: DsrState,
        values: dict[str, Any],
        now: datetime,
        *,
        steps: Sequence[Step] = (),
        events: Sequence[tuple[str, int]] = (),
    ) -> bool:
        """One transaction: the request's ``values``, its ``steps`` (upserted) and audit
        ``events`` (action, sequence number), only when the request is still in ``expected``;
        False (nothing changed) otherwise."""
        values = dict(values)
        for key in ("correction", "subject_ids"):
            if key in values:
                values[f"{key}_json"] = json.dumps(values.pop(key), sort_keys=True)
        if isinstance(values.get("state"), DsrState):
            values["state"] = values["state"].value
        with self.engine.begin() as connection:
            result = connection.execute(
                update(DSR)
                .where(DSR.c.id == dsr_id, DSR.c.state == expected.value)
                .values(updated_at=now, **values)
            )
            if result.rowcount != 1:
                return False
            for step in steps:
                self._upsert_step(connection, dsr_id, step, now)
            if events:
                connection.execute(
                    insert(EVENT),
                    [{"dsr_id": dsr_id, "action": a, "audit_seq": q, "at": now} for a, q in events],
                )
            return True

    def list_requests(
        self,
        *,
        state: DsrState | None = None,
        dsr_type: DsrType | None = None,
        overdue_at: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[DsrRequest]:
        query = select(DSR)
        if state is not None:
            query = query.where(DSR.c.state == state.value)
        if dsr_type is not None:
            query = query.where(DSR.c.type == dsr_type.value)
        if overdue_at is not None:
            query = query.where(
                DSR.c.due_at < overdue_at, DSR.c.state.not_in([s.value for s in CLOSED])
            )
        if after is not None:
            received, last_id = after
            query = query.where(
                or_(
                    DSR.c.received_at > received,
                    and_(DSR.c.received_at == received, DSR.c.id > last_id),
                )
            )
        query = query.order_by(DSR.c.received_at, DSR.c.id).limit(limit)
        with self.engine.connect() as connection:
            return [self._fix(_request(row)) for row in connection.execute(query)]

    def received_between(self, start: datetime, end: datetime) -> list[DsrRequest]:
        """Requests received in [start, end) (the reports' DSR performance)."""
        query = select(DSR).where(DSR.c.received_at >= start, DSR.c.received_at < end)
        with self.engine.connect() as connection:
            return [self._fix(_request(row)) for row in connection.execute(query)]

    def sla_rows(self, closed_since: datetime) -> list[DsrRequest]:
        """Open requests, and those closed since ``closed_since`` (the SLA control's input)."""
        query = select(DSR).where(or_(DSR.c.closed_at.is_(None), DSR.c.closed_at >= closed_since))
        with self.engine.connect() as connection:
            return [self._fix(_request(row)) for row in connection.execute(query)]

    # --- steps and events ---------------------------------------------------------------

    def _upsert_step(self, connection: Connection, dsr_id: str, step: Step, now: datetime) -> None:
        values = {
            "system": step.system,
            "action": step.action,
            "status": step.status,
            "detail_json": json.dumps(step.detail, sort_keys=True, default=str),
            "error": step.error,
            "audit_seq": step.audit_seq,
            "updated_at": now,
        }
        if step.updated_at is not None:  # read from the table: update it
            changed = connection.execute(
                update(STEP).where(STEP.c.id == step.id).values(**values)
            ).rowcount
            if changed:
                return
        connection.execute(insert(STEP).values(id=step.id, dsr_id=dsr_id, **values))

    def add_event(self, dsr_id: str, action: str, seq: int, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(EVENT).values(dsr_id=dsr_id, action=action, audit_seq=seq, at=now)
            )

    # --- verification codes -------------------------------------------------------------

    def put_code(self, dsr_id: str, code_hash: str, expires_at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(CODE).where(CODE.c.dsr_id == dsr_id))
            connection.execute(
                insert(CODE).values(
                    dsr_id=dsr_id, code_hash=code_hash, expires_at=expires_at, attempts=0
                )
            )

    def get_code(self, dsr_id: str) -> StoredCode | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(CODE).where(CODE.c.dsr_id == dsr_id)).first()
        if row is None:
            return None
        expires = self._utc(row.expires_at)
        assert expires is not None
        return StoredCode(row.code_hash, expires, row.attempts)

    def count_attempt(self, dsr_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(CODE).where(CODE.c.dsr_id == dsr_id).values(attempts=CODE.c.attempts + 1)
            )

    def drop_code(self, dsr_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(CODE).where(CODE.c.dsr_id == dsr_id))

    # --- data map -----------------------------------------------------------------------

    def add_datamap(
        self, sha256: str, content: str, loaded_by: str, now: datetime, seq: int
    ) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(DATAMAP).values(
                    sha256=sha256,
                    content=content,
                    loaded_by=loaded_by,
                    loaded_at=now,
                    audit_seq=seq,
                )
            )
            key = result.inserted_primary_key
            return int(key[0]) if key else 0

    def latest_datamap(self) -> StoredDataMap | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(DATAMAP).order_by(DATAMAP.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        loaded = self._utc(row.loaded_at)
        assert loaded is not None
        return StoredDataMap(row.id, row.sha256, row.content, row.loaded_by, loaded, row.audit_seq)


def ids(requests: Sequence[DsrRequest]) -> list[str]:
    return [r.id for r in requests]
