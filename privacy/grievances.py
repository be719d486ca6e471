"""Grievances (DPDP s.13) with the rule-14 clock, and nominations (DPDP s.14).

A grievance is a case with a DSR's states (``privacy.model``: verify, start, complete,
reject, cancel; no extension) and a due date 90 days after receipt. A grievance filed by
someone other than the principal is accepted only from a live nominee of that principal.
Every change is a ``dsr_step`` audit event first (ids, states and counts; never the text).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Origin, Target
from privacy.consent import CHANNELS, check_principal
from privacy.errors import GrievanceNotFoundError, InvalidGrievanceError
from privacy.model import CLOSED, DsrState, next_state
from privacy.tables import GrievanceRow, NominationRow

GRIEVANCE = GrievanceRow.__table__  # type: ignore[attr-defined]
NOMINATION = NominationRow.__table__  # type: ignore[attr-defined]
GRIEVANCE_DAYS = 90  # DPDP Rules 2025 rule 14(3): at most 90 days
ACTIONS = frozenset({"verify", "start", "complete", "reject", "cancel"})


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Grievance:
    id: str
    principal_id: str
    filed_by: str
    summary: str
    channel: str
    state: DsrState
    received_at: datetime
    due_at: datetime
    closed_at: datetime | None
    resolution: str

    def overdue(self, now: datetime) -> bool:
        return self.state not in CLOSED and now > self.due_at


@dataclass(frozen=True)
class Nomination:
    id: str
    principal_id: str
    nominee_id: str
    relationship: str
    created_at: datetime
    revoked_at: datetime | None
    audit_seq: int


class GrievanceDesk:
    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._audit = audit
        self.clock = clock

    # --- nominations ---------------------------------------------------------------------

    def nominate(
        self,
        principal_id: str,
        nominee_id: str,
        relationship: str,
        *,
        actor: Actor,
        origin: Origin | None = None,
    ) -> Nomination:
        check_principal(principal_id)
        check_principal(nominee_id)
        if nominee_id == principal_id:
            raise InvalidGrievanceError("a principal cannot nominate themselves")
        if not relationship.strip() or len(relationship) > 64:
            raise InvalidGrievanceError("relationship is 1-64 characters")
        nomination_id = str(uuid.uuid4())
        seq = self._record("nomination", nomination_id, "nominated", actor, origin)
        with self._engine.begin() as connection:
            connection.execute(
                insert(NOMINATION).values(
                    id=nomination_id,
                    principal_id=principal_id,
                    nominee_id=nominee_id,
                    relationship=relationship.strip(),
                    created_at=self.clock(),
                    audit_seq=seq,
                )
            )
        return self.nomination(nomination_id)

    def revoke(
        self, nomination_id: str, *, actor: Actor, origin: Origin | None = None
    ) -> Nomination:
        found = self.nomination(nomination_id)
        if found.revoked_at is not None:
            raise InvalidGrievanceError("this nomination is already revoked")
        self._record("nomination", nomination_id, "revoked", actor, origin)
        with self._engine.begin() as connection:
            connection.execute(
                update(NOMINATION)
                .where(NOMINATION.c.id == nomination_id)
                .values(revoked_at=self.clock())
            )
        return self.nomination(nomination_id)

    def nomination(self, nomination_id: str) -> Nomination:
        return _nomination(self._one(NOMINATION, nomination_id, "nomination"))

    def nominations(self, principal_id: str) -> list[Nomination]:
        check_principal(principal_id)
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(NOMINATION)
                .where(NOMINATION.c.principal_id == principal_id)
                .order_by(NOMINATION.c.created_at)
            ).all()
        return [_nomination(row) for row in rows]

    def may_act_for(self, nominee_id: str, principal_id: str) -> bool:
        """True when ``nominee_id`` holds a live nomination of ``principal_id``."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(NOMINATION.c.id).where(
                    and_(
                        NOMINATION.c.principal_id == principal_id,
                        NOMINATION.c.nominee_id == nominee_id,
                        NOMINATION.c.revoked_at.is_(None),
                    )
                )
            ).first()
        return row is not None

    # --- grievances ----------------------------------------------------------------------

    def file(
        self,
        principal_id: str,
        summary: str,
        *,
        channel: str,
        actor: Actor,
        filed_by: str | None = None,
        origin: Origin | None = None,
    ) -> Grievance:
        check_principal(principal_id)
        filer = filed_by or principal_id
        check_principal(filer)
        if channel not in CHANNELS:
            raise InvalidGrievanceError(f"unknown channel {channel!r}")
        if not 3 <= len(summary.strip()) <= 2000:
            raise InvalidGrievanceError("a grievance says what is wrong in 3-2000 characters")
        if filer != principal_id and not self.may_act_for(filer, principal_id):
            raise InvalidGrievanceError(
                "filed on the principal's behalf by someone who holds no live nomination "
                "(DPDP s.14)"
            )
        grievance_id = str(uuid.uuid4())
        now = self.clock()
        self._record(
            "grievance", grievance_id, "received", actor, origin, by_nominee=filer != principal_id
        )
        with self._engine.begin() as connection:
            connection.execute(
                insert(GRIEVANCE).values(
                    id=grievance_id,
                    principal_id=principal_id,
                    filed_by=filer,
                    summary=summary.strip(),
                    channel=channel,
                    state=DsrState.RECEIVED.value,
                    received_at=now,
                    due_at=now + timedelta(days=GRIEVANCE_DAYS),
                    resolution="",
                    updated_at=now,
                )
            )
        return self.get(grievance_id)

    def move(
        self,
        grievance_id: str,
        action: str,
        *,
        actor: Actor,
        resolution: str = "",
        origin: Origin | None = None,
    ) -> Grievance:
        if action not in ACTIONS:
            raise InvalidGrievanceError(f"action is one of {', '.join(sorted(ACTIONS))}")
        current = self.get(grievance_id)
        target = next_state(current.state, action)
        if target in CLOSED and not resolution.strip():
            raise InvalidGrievanceError("closing a grievance states its resolution")
        now = self.clock()
        self._record("grievance", grievance_id, action, actor, origin, state=target.value)
        values: dict[str, Any] = {"state": target.value, "updated_at": now}
        if target in CLOSED:
            values |= {"closed_at": now, "resolution": resolution.strip()}
        with self._engine.begin() as connection:
            connection.execute(
                update(GRIEVANCE)
                .where(
                    and_(GRIEVANCE.c.id == grievance_id, GRIEVANCE.c.state == current.state.value)
                )
                .values(**values)
            )
        return self.get(grievance_id)

    def get(self, grievance_id: str) -> Grievance:
        return _grievance(self._one(GRIEVANCE, grievance_id, "grievance"))

    def grievances(self, *, open_only: bool = False) -> list[Grievance]:
        query = select(GRIEVANCE).order_by(GRIEVANCE.c.received_at.desc())
        if open_only:
            query = query.where(GRIEVANCE.c.state.not_in([s.value for s in CLOSED]))
        with self._engine.connect() as connection:
            return [_grievance(row) for row in connection.execute(query)]

    def _one(self, table: Any, row_id: str, label: str) -> Any:
        with self._engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.id == row_id)).first()
        if row is None:
            raise GrievanceNotFoundError(f"no {label} {row_id!r}")
        return row

    def _record(
        self,
        kind: str,
        target_id: str,
        action: str,
        actor: Actor,
        origin: Origin | None,
        **details: Any,
    ) -> int:
        return self._audit.record(
            AuditEventIn(
                type=EventType.DSR_STEP,
                actor=actor,
                origin=origin or Origin(),
                target=Target(type=kind, id=target_id),
                details={"action": f"{kind}.{action}", **details},
            )
        ).seq


def _grievance(row: Any) -> Grievance:
    received, due = _aware(row.received_at), _aware(row.due_at)
    assert received is not None
    assert due is not None
    return Grievance(
        id=row.id,
        principal_id=row.principal_id,
        filed_by=row.filed_by,
        summary=row.summary,
        channel=row.channel,
        state=DsrState(row.state),
        received_at=received,
        due_at=due,
        closed_at=_aware(row.closed_at),
        resolution=row.resolution,
    )


def _nomination(row: Any) -> Nomination:
    created = _aware(row.created_at)
    assert created is not None
    return Nomination(
        id=row.id,
        principal_id=row.principal_id,
        nominee_id=row.nominee_id,
        relationship=row.relationship,
        created_at=created,
        revoked_at=_aware(row.revoked_at),
        audit_seq=row.audit_seq,
    )
