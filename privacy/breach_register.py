"""The breach register: incidents, their timelines and notifications, each audited first.

Every change records a ``breach`` audit event (facts only: severity, counts, categories,
systems; never the affected identifiers) and then its timeline entry with that event's
index. A notification renders the duty's draft (Jinja2, the principal's language for a
principal notice) and sends it through the outbox when the DPO approves (``notify``); the
clock of that duty is then met, or met late.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Origin, Target
from privacy.breach import (
    Breach,
    BreachStatus,
    Clock,
    Duty,
    TimelineEntry,
    check_new,
    clocks,
    ist,
)
from privacy.errors import BreachNotFoundError, InvalidBreachError
from privacy.outbox import Outbox
from privacy.tables import BreachEventRow, BreachRow

BREACH = BreachRow.__table__  # type: ignore[attr-defined]
EVENT = BreachEventRow.__table__  # type: ignore[attr-defined]
CONTROLLER = "FinSolve Technologies Pvt. Ltd."
_ENV = Environment(
    loader=PackageLoader("privacy", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class BreachRegister:
    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        outbox: Outbox,
        duties: Sequence[Duty],
        *,
        contact: str = "dpo@finsolve.example",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._outbox = outbox
        self.duties = tuple(duties)
        self._regimes = {duty.regime for duty in self.duties}
        self._contact = contact
        self.clock = clock

    # --- reads ---------------------------------------------------------------------------

    def get(self, breach_id: str) -> Breach:
        with self._engine.connect() as connection:
            row = connection.execute(select(BREACH).where(BREACH.c.id == breach_id)).first()
            if row is None:
                raise BreachNotFoundError(f"no breach {breach_id!r}")
            events = connection.execute(
                select(EVENT).where(EVENT.c.breach_id == breach_id).order_by(EVENT.c.id)
            ).all()
        return self._breach(row, events)

    def breaches(self, *, open_only: bool = False) -> list[Breach]:
        query = select(BREACH.c.id).order_by(BREACH.c.detected_at.desc())
        if open_only:
            query = query.where(BREACH.c.status != BreachStatus.CLOSED.value)
        with self._engine.connect() as connection:
            ids = [row.id for row in connection.execute(query)]
        return [self.get(breach_id) for breach_id in ids]

    def clocks(self, breach: Breach) -> list[Clock]:
        return clocks(breach, self.duties, self.clock())

    def overdue(self) -> list[tuple[Breach, Clock]]:
        """Open breaches past a clock (the failing control's findings)."""
        return [
            (breach, clock)
            for breach in self.breaches(open_only=True)
            for clock in self.clocks(breach)
            if clock.overdue
        ]

    # --- changes -------------------------------------------------------------------------

    def create(
        self,
        *,
        title: str,
        severity: str,
        detected_at: datetime,
        aware_at: datetime | None,
        affected_count: int,
        categories: Sequence[str],
        systems: Sequence[str] = (),
        regimes: Sequence[str] = ("dpdp", "cert-in"),
        affected_ids: Sequence[str] = (),
        actor: Actor,
        origin: Origin | None = None,
    ) -> Breach:
        now = self.clock()
        aware = aware_at or detected_at
        check_new(
            title=title,
            severity=severity,
            detected_at=detected_at,
            aware_at=aware,
            affected_count=affected_count,
            affected_ids=affected_ids,
            categories=categories,
            systems=systems,
            regimes=regimes,
            known_regimes=self._regimes,
            now=now,
        )
        breach_id = str(uuid.uuid4())
        seq = self._record(
            breach_id,
            "created",
            actor,
            origin,
            severity=severity,
            affected_count=affected_count,
            categories=sorted(categories),
            systems=sorted(systems),
            regimes=sorted(regimes),
        )
        with self._engine.begin() as connection:
            connection.execute(
                insert(BREACH).values(
                    id=breach_id,
                    title=title.strip(),
                    severity=severity,
                    status=BreachStatus.OPEN.value,
                    detected_at=detected_at.astimezone(UTC),
                    aware_at=aware.astimezone(UTC),
                    affected_count=affected_count,
                    affected_ids_json=json.dumps(sorted(set(affected_ids))),
                    categories_json=json.dumps(sorted(set(categories))),
                    systems_json=json.dumps(sorted(set(systems))),
                    regimes_json=json.dumps(sorted(set(regimes))),
                    updated_at=now,
                )
            )
            self._entry(
                connection, breach_id, TimelineEntry(now, "created", title.strip(), None, seq)
            )
        return self.get(breach_id)

    def update(
        self,
        breach_id: str,
        *,
        actor: Actor,
        status: str | None = None,
        severity: str | None = None,
        affected_count: int | None = None,
        note: str = "",
        origin: Origin | None = None,
    ) -> Breach:
        breach = self.get(breach_id)
        changes: dict[str, Any] = {}
        if status is not None:
            try:
                changes["status"] = BreachStatus(status).value
            except ValueError:
                raise InvalidBreachError("status is open, contained or closed") from None
        if severity is not None:
            check_new(
                title=breach.title, severity=severity, detected_at=breach.detected_at,
                aware_at=breach.aware_at, affected_count=breach.affected_count,
                affected_ids=breach.affected_ids, categories=breach.categories,
                systems=breach.systems, regimes=breach.regimes,
                known_regimes=self._regimes, now=self.clock(),
            )  # fmt: skip
            changes["severity"] = severity
        if affected_count is not None:
            if affected_count < len(breach.affected_ids):
                raise InvalidBreachError("affected_count is smaller than the identifiers given")
            changes["affected_count"] = affected_count
        if not changes:
            raise InvalidBreachError("nothing to update (status, severity, affected_count)")
        now = self.clock()
        seq = self._record(breach_id, "updated", actor, origin, **changes)
        with self._engine.begin() as connection:
            connection.execute(
                update(BREACH).where(BREACH.c.id == breach_id).values(**changes, updated_at=now)
            )
            summary = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
            text = f"{summary}; {note}" if note else summary
            self._entry(connection, breach_id, TimelineEntry(now, "updated", text, None, seq))
        return self.get(breach_id)

    def add_note(
        self, breach_id: str, note: str, *, actor: Actor, origin: Origin | None = None
    ) -> Breach:
        self.get(breach_id)
        if not note.strip():
            raise InvalidBreachError("a timeline entry needs a note")
        now = self.clock()
        seq = self._record(breach_id, "note", actor, origin)
        with self._engine.begin() as connection:
            self._entry(connection, breach_id, TimelineEntry(now, "note", note.strip(), None, seq))
        return self.get(breach_id)

    def duty(self, breach: Breach, duty_id: str) -> Duty:
        for clock in self.clocks(breach):
            if clock.duty.id == duty_id:
                return clock.duty
        raise BreachNotFoundError(f"duty {duty_id!r} does not apply to this breach")

    def draft(self, breach_id: str, duty_id: str, lang: str = "en") -> str:
        breach = self.get(breach_id)
        duty = self.duty(breach, duty_id)
        if lang not in {"en", "hi"} or (lang == "hi" and duty.template != "principal"):
            raise InvalidBreachError("drafts: en; principal notices also hi")
        return _ENV.get_template(f"breach.{duty.template}.{lang}.txt.j2").render(
            breach=breach,
            duty=duty,
            recipient=duty.recipient.replace("_", " "),
            controller=CONTROLLER,
            contact=self._contact,
            detected_utc=breach.detected_at.strftime("%Y-%m-%d %H:%M"),
            detected_ist=ist(breach.detected_at),
            aware_utc=breach.aware_at.strftime("%Y-%m-%d %H:%M"),
            aware_ist=ist(breach.aware_at),
            timeline=[
                {"at": ist(e.at), "kind": e.kind, "note": e.note}
                for e in breach.timeline
                if e.kind != "notified"
            ],
        )

    def notify(
        self,
        breach_id: str,
        duty_id: str,
        recipients: Sequence[str],
        *,
        actor: Actor,
        lang: str = "en",
        origin: Origin | None = None,
    ) -> Breach:
        """The DPO approves the duty's draft: sent to each recipient through the outbox."""
        if not recipients:
            raise InvalidBreachError("a notification names at least one recipient")
        text = self.draft(breach_id, duty_id, lang)
        subject, _, body = text.partition("\n")
        subject = subject.removeprefix("Subject: ").removeprefix("विषय: ")
        message_ids = [self._outbox.send(to, subject, body.lstrip()) for to in recipients]
        now = self.clock()
        seq = self._record(
            breach_id, "notified", actor, origin, duty=duty_id, recipients=len(message_ids)
        )
        with self._engine.begin() as connection:
            note = f"{len(message_ids)} message(s) sent ({lang})"
            self._entry(connection, breach_id, TimelineEntry(now, "notified", note, duty_id, seq))
        return self.get(breach_id)

    # --- internals -----------------------------------------------------------------------

    def _record(
        self, breach_id: str, action: str, actor: Actor, origin: Origin | None, **details: Any
    ) -> int:
        return self._audit.record(
            AuditEventIn(
                type=EventType.BREACH,
                actor=actor,
                origin=origin or Origin(),
                target=Target(type="breach", id=breach_id),
                details={"action": f"breach.{action}", **details},
            )
        ).seq

    @staticmethod
    def _entry(connection: Any, breach_id: str, entry: TimelineEntry) -> None:
        connection.execute(
            insert(EVENT).values(
                breach_id=breach_id,
                at=entry.at,
                kind=entry.kind,
                note=entry.note,
                duty_id=entry.duty_id,
                audit_seq=entry.audit_seq,
            )
        )

    @staticmethod
    def _breach(row: Any, events: Sequence[Any]) -> Breach:
        return Breach(
            id=row.id,
            title=row.title,
            severity=row.severity,
            status=BreachStatus(row.status),
            detected_at=_aware(row.detected_at),
            aware_at=_aware(row.aware_at),
            affected_count=row.affected_count,
            affected_ids=tuple(json.loads(row.affected_ids_json)),
            categories=tuple(json.loads(row.categories_json)),
            systems=tuple(json.loads(row.systems_json)),
            regimes=tuple(json.loads(row.regimes_json)),
            timeline=tuple(
                TimelineEntry(_aware(e.at), e.kind, e.note, e.duty_id, e.audit_seq) for e in events
            ),
        )
