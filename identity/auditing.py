"""Building the audit events the identity room records (ids only: no email, no secret)."""

from __future__ import annotations

from typing import Any

from audit import Actor, AuditEventIn, AuditRecorder, EventType, Origin, Outcome, Target
from identity.caller import Caller

ANONYMOUS = Actor(id="anonymous", kind="unknown")


def actor_of(caller: Caller) -> Actor:
    return Actor(id=caller.id, kind=caller.kind.value, roles=tuple(sorted(caller.roles)))


def record(
    audit: AuditRecorder,
    event_type: EventType,
    *,
    actor: Actor,
    target: Target,
    origin: Origin | None,
    outcome: Outcome = Outcome.SUCCESS,
    **details: Any,
) -> None:
    """Record one event; ``AuditUnavailableError`` propagates so the request fails closed."""
    audit.record(
        AuditEventIn(
            type=event_type,
            outcome=outcome,
            actor=actor,
            origin=origin or Origin(),
            target=target,
            details=details,
        )
    )
