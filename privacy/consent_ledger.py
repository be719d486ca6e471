"""The consent ledger: append-only grants and withdrawals, each an audit event first.

Every change is recorded in the audit log (``consent_change``; the principal's id under the
redacted key ``principal_id``) before its row is written with that event's sequence number,
so a principal's history can be proven event by event with inclusion proofs.

Reads for decisions (``consents_of``, the ``policies.ConsentSource`` port) are cached per
principal. A change through this ledger drops that principal's entry before it returns, so
the next decision in this process sees it; a change made by another replica is seen within
``refresh_seconds`` (the ledger's head is re-read at most that often: ADR 0602).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Origin, Target
from privacy.consent import (
    ConsentAction,
    ConsentEvent,
    ConsentState,
    Purpose,
    check_channel,
    check_principal,
    fold,
)
from privacy.errors import ConsentNotGivenError, InvalidConsentError, NoticeNotFoundError
from privacy.notices import NoticeRegistry
from privacy.tables import ConsentEventRow

CONSENT = ConsentEventRow.__table__  # type: ignore[attr-defined]
MAX_CACHED = 100_000


class ConsentListener(Protocol):
    """Told of every change after it is recorded (e.g. signed webhooks to domain services)."""

    def consent_changed(self, event: ConsentEvent) -> None: ...


class ConsentLedger:
    def __init__(
        self,
        engine: Engine,
        audit: AuditRecorder,
        purposes: Sequence[Purpose],
        notices: NoticeRegistry,
        *,
        refresh_seconds: float = 1.0,
        listeners: Sequence[ConsentListener] = (),
        link_key: bytes | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._purposes = {purpose.name: purpose for purpose in purposes}
        self._purpose_names = frozenset(self._purposes)
        self.notices = notices
        self._refresh = refresh_seconds
        self._listeners = tuple(listeners)
        self._link_key = link_key
        self.clock = clock
        self._generation = 0  # bumped by every change: a read that raced one is not cached
        self._cache: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._head: int | None = None
        self._checked = float("-inf")

    @property
    def listeners(self) -> tuple[ConsentListener, ...]:
        return self._listeners

    # --- the policies.ConsentSource port -------------------------------------------------

    def purposes(self) -> frozenset[str]:
        return self._purpose_names

    def consents_of(self, principal_id: str) -> frozenset[str]:
        self._follow_other_replicas()
        cached = self._cache.get(principal_id)
        if cached is not None:
            return cached
        generation = self._generation
        held = self.state(principal_id).purposes
        with self._lock:
            if generation != self._generation:
                return held
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[principal_id] = held
        return held

    def cached(self, principal_id: str) -> bool:
        fresh = time.monotonic() - self._checked < self._refresh
        return fresh and principal_id in self._cache

    def _follow_other_replicas(self) -> None:
        now = time.monotonic()
        if now - self._checked < self._refresh:
            return
        with self._engine.connect() as connection:
            head = connection.execute(select(func.max(CONSENT.c.id))).scalar()
        with self._lock:
            if head != self._head:
                self._generation += 1
                self._cache.clear()
                self._head = head
            self._checked = now

    # --- the ledger ----------------------------------------------------------------------

    def purpose_list(self) -> list[Purpose]:
        return [self._purposes[name] for name in sorted(self._purposes)]

    def state(self, principal_id: str) -> ConsentState:
        check_principal(principal_id)
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(CONSENT).where(CONSENT.c.principal_id == principal_id).order_by(CONSENT.c.id)
            ).all()
        return fold(principal_id, [self._event(row) for row in rows])

    def grant(
        self,
        principal_id: str,
        purpose: str,
        *,
        channel: str,
        notice_id: str,
        notice_version: int | None,
        actor: Actor,
        consent_manager_id: str | None = None,
        origin: Origin | None = None,
    ) -> ConsentEvent:
        """Record a consent given under ``notice_id`` (its latest version when None)."""
        check_principal(principal_id)
        self._check_purpose(purpose)
        check_channel(channel, consent_manager_id)
        try:
            version = self.notices.get(notice_id).version(notice_version)
        except NoticeNotFoundError as exc:
            raise InvalidConsentError(str(exc)) from None
        if purpose not in version.purposes:
            raise InvalidConsentError(
                f"notice {notice_id} v{version.version} does not itemise purpose {purpose!r}"
            )
        return self._append(
            principal_id,
            purpose,
            action=ConsentAction.GRANT,
            channel=channel,
            notice_id=notice_id,
            notice_version=version.version,
            consent_manager_id=consent_manager_id,
            actor=actor,
            origin=origin,
        )

    def withdraw(
        self,
        principal_id: str,
        purpose: str,
        *,
        channel: str,
        actor: Actor,
        consent_manager_id: str | None = None,
        origin: Origin | None = None,
    ) -> ConsentEvent:
        """Withdraw a consent in force (DPDP s.6(4)); ``ConsentNotGivenError`` otherwise."""
        check_principal(principal_id)
        self._check_purpose(purpose)
        check_channel(channel, consent_manager_id)
        given = self.state(principal_id).granted.get(purpose)
        if given is None:
            raise ConsentNotGivenError(
                f"no consent to {purpose!r} is in force for this principal; nothing to withdraw"
            )
        return self._append(
            principal_id,
            purpose,
            action=ConsentAction.WITHDRAW,
            channel=channel,
            notice_id=given.notice_id,
            notice_version=given.notice_version,
            consent_manager_id=consent_manager_id,
            actor=actor,
            origin=origin,
        )

    # --- withdrawal links (the public intake) ---------------------------------------------

    def withdrawal_token(self, grant: ConsentEvent) -> str | None:
        """A token that withdraws exactly this grant, for the principal (in the app, in the
        confirmation message); None without a link key. It names no principal or purpose."""
        if self._link_key is None or grant.action is not ConsentAction.GRANT:
            return None
        head = base64.urlsafe_b64encode(str(grant.id).encode()).decode().rstrip("=")
        return f"{head}.{self._mac(grant)}"

    def withdraw_by_token(
        self, token: str, *, actor: Actor, origin: Origin | None = None
    ) -> ConsentEvent:
        """One call withdraws the grant the token was issued for (DPDP s.6(4)).

        ``InvalidConsentError`` for a token that is malformed, forged or for an unknown grant;
        ``ConsentNotGivenError`` when that grant is no longer in force.
        """
        head, _, mac = token.partition(".")
        try:
            grant_id = int(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            raise InvalidConsentError("invalid withdrawal link") from None
        with self._engine.connect() as connection:
            row = connection.execute(select(CONSENT).where(CONSENT.c.id == grant_id)).first()
        grant = self._event(row) if row is not None else None
        if (
            self._link_key is None
            or grant is None
            or grant.action is not ConsentAction.GRANT
            or not hmac.compare_digest(mac, self._mac(grant))
        ):
            raise InvalidConsentError("invalid withdrawal link")
        in_force = self.state(grant.principal_id).granted.get(grant.purpose)
        if in_force is None or in_force.id != grant.id:
            raise ConsentNotGivenError("this consent is no longer in force; nothing to withdraw")
        return self.withdraw(
            grant.principal_id, grant.purpose, channel="web", actor=actor, origin=origin
        )

    def _mac(self, grant: ConsentEvent) -> str:
        assert self._link_key is not None
        message = f"{grant.id}\x00{grant.principal_id}\x00{grant.purpose}".encode()
        return hmac.new(self._link_key, message, hashlib.sha256).hexdigest()[:32]

    # --- internals -----------------------------------------------------------------------

    def _check_purpose(self, purpose: str) -> None:
        if purpose not in self._purposes:
            raise InvalidConsentError(
                f"unknown purpose {purpose!r}; one of: {', '.join(sorted(self._purposes))}"
            )

    def _append(
        self,
        principal_id: str,
        purpose: str,
        *,
        action: ConsentAction,
        channel: str,
        notice_id: str,
        notice_version: int,
        consent_manager_id: str | None,
        actor: Actor,
        origin: Origin | None,
    ) -> ConsentEvent:
        at = self.clock()
        details: dict[str, Any] = {
            "action": f"consent.{action.value}",
            "principal_id": principal_id,  # redacted by the audit log (keyed HMAC)
            "purpose": purpose,
            "channel": channel,
            "notice": f"{notice_id}@{notice_version}",
        }
        if consent_manager_id is not None:
            details["consent_manager_id"] = consent_manager_id
        seq = self._audit.record(
            AuditEventIn(
                type=EventType.CONSENT_CHANGE,
                actor=actor,
                origin=origin or Origin(),
                target=Target(type="consent", id=purpose),
                details=details,
            )
        ).seq
        values = {
            "principal_id": principal_id,
            "purpose": purpose,
            "action": action.value,
            "at": at,
            "channel": channel,
            "notice_id": notice_id,
            "notice_version": notice_version,
            "consent_manager_id": consent_manager_id,
            "actor": actor.id,
            "audit_seq": seq,
        }
        try:
            with self._engine.begin() as connection:
                new_id = connection.execute(insert(CONSENT).values(**values)).inserted_primary_key
        finally:
            with self._lock:  # even when the write failed: the next read goes to the table
                self._generation += 1
                self._cache.pop(principal_id, None)
        event = ConsentEvent(
            id=int(new_id[0]) if new_id else 0,
            principal_id=principal_id,
            purpose=purpose,
            action=action,
            at=at,
            channel=channel,
            notice_id=notice_id,
            notice_version=notice_version,
            consent_manager_id=consent_manager_id,
            actor=actor.id,
            audit_seq=seq,
        )
        for listener in self._listeners:
            listener.consent_changed(event)
        return event

    def _event(self, row: Any) -> ConsentEvent:
        at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
        return ConsentEvent(
            id=row.id,
            principal_id=row.principal_id,
            purpose=row.purpose,
            action=ConsentAction(row.action),
            at=at,
            channel=row.channel,
            notice_id=row.notice_id,
            notice_version=row.notice_version,
            consent_manager_id=row.consent_manager_id,
            actor=row.actor,
            audit_seq=row.audit_seq,
        )
