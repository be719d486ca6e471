"""Turning an ``AuditEventIn`` into its stored bytes, split around the sequence number.

RFC 8785 sorts object keys, and ``seq`` sits between ``outcome`` and ``target``; the bytes
before and after it are computed (redaction included) in the caller's thread, so the
writer only splices the number in while it holds the log's append lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit.canonical import canonical_bytes, format_time
from audit.events import AuditEventIn
from audit.ids import new_event_id
from audit.redaction import Redactor


@dataclass(frozen=True)
class PreparedEvent:
    event_id: str
    time: datetime
    type: str
    outcome: str
    actor_id: str
    target_type: str
    target_id: str | None
    request_id: str | None
    head: bytes  # '{"actor":...,"outcome":...' without the closing brace
    tail: bytes  # '"target":...,"type":...}' without the opening brace

    def canonical(self, seq: int) -> bytes:
        return b"".join((self.head, b',"seq":', str(seq).encode(), b",", self.tail))


_ORIGIN_KEYS = frozenset({"ip", "request_id", "service"})
_SEQ_MARK = b',"seq":0,'


def prepare(
    event: AuditEventIn, redactor: Redactor, time: datetime, time_text: str | None = None
) -> PreparedEvent:
    """``time_text`` is ``format_time(time)``, passed in when many events share a time."""
    event_id = new_event_id()
    actor, origin, target = event.actor, event.origin, event.target
    for name, column in (
        ("actor.id", actor.id),
        ("target.type", target.type),
        ("target.id", target.id),
        ("origin.request_id", origin.request_id),
    ):
        if column is not None and "\x00" in column:
            # an indexed text column: PostgreSQL refuses NUL (and one refused event would
            # fail the whole group commit it shares with other callers)
            raise ValueError(f"{name} holds a NUL character")
    origin_doc = {"ip": origin.ip, "request_id": origin.request_id, "service": origin.service}
    if not redactor.sensitive_keys.isdisjoint(_ORIGIN_KEYS):
        origin_doc = redactor.redact(origin_doc)
    # all but the caller's details are strings and string lists: plain JSON by construction
    details, plain = redactor.redact_plain(event.details)
    type_, outcome = str(event.type), str(event.outcome)
    document = {
        "actor": {"id": actor.id, "kind": actor.kind, "roles": list(actor.roles)},
        "details": details,
        "id": event_id,
        "origin": origin_doc,
        "outcome": outcome,
        "seq": 0,
        "target": {"id": target.id, "type": target.type},
        "time": time_text or format_time(time),
        "type": type_,
    }
    data = canonical_bytes(document, plain=plain)
    # the top-level "seq" is the last ',"seq":0,' of the bytes: what follows it (target,
    # time, type) holds no "seq" key, and inside JSON strings '"' is always escaped
    cut = data.rindex(_SEQ_MARK)
    return PreparedEvent(
        event_id=event_id,
        time=time,
        type=type_,
        outcome=outcome,
        actor_id=actor.id,
        target_type=target.type,
        target_id=target.id,
        request_id=origin.request_id,
        head=data[:cut],
        tail=data[cut + len(_SEQ_MARK) :],
    )
