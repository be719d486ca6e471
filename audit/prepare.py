"""Turning an ``AuditEventIn`` into its stored bytes, split around the sequence number.

RFC 8785 sorts object keys, and ``seq`` sits between ``outcome`` and ``target``; the bytes
before and after it are computed (redaction included) in the caller's thread, so the
writer only splices the number in while it holds the log's append lock.

The stored event has a fixed shape: only ``details`` (and a redacted ``origin``) are
free-form. JCS is compositional (an object's canonical form is its sorted members, each
``"key":`` plus the member's own canonical form), so the fixed members are written in
their sorted order around the canonical form of ``details``; ``json``'s C string escaper
is the one the plain encoder uses (``audit.canonical``). That is about a third of the
cost of canonicalizing the whole document (ADR 0106).
"""

from __future__ import annotations

from datetime import datetime
from json.encoder import encode_basestring
from typing import NamedTuple

from audit.canonical import canonical_bytes, format_time
from audit.events import AuditEventIn
from audit.ids import new_event_id
from audit.redaction import Redactor


class PreparedEvent(NamedTuple):
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


def _text(value: str | None) -> str:
    """A JSON string (or null), escaped as the plain canonical encoder does."""
    return "null" if value is None else encode_basestring(value)


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
    if redactor.sensitive_keys.isdisjoint(_ORIGIN_KEYS):
        origin_json = (
            f'{{"ip":{_text(origin.ip)},"request_id":{_text(origin.request_id)},'
            f'"service":{encode_basestring(origin.service)}}}'
        )
    else:
        origin_doc = {"ip": origin.ip, "request_id": origin.request_id, "service": origin.service}
        origin_redacted, origin_plain = redactor.redact_plain(origin_doc)
        origin_json = canonical_bytes(origin_redacted, plain=origin_plain).decode()
    details, plain = redactor.redact_plain(event.details)
    details_json = canonical_bytes(details, plain=plain).decode()
    type_, outcome = str(event.type), str(event.outcome)
    roles = ",".join(map(encode_basestring, actor.roles))
    head = (
        f'{{"actor":{{"id":{encode_basestring(actor.id)},"kind":{encode_basestring(actor.kind)},'
        f'"roles":[{roles}]}},"details":{details_json},"id":"{event_id}",'
        f'"origin":{origin_json},"outcome":{encode_basestring(outcome)}'
    )
    tail = (
        f'"target":{{"id":{_text(target.id)},"type":{encode_basestring(target.type)}}},'
        f'"time":"{time_text or format_time(time)}","type":{encode_basestring(type_)}}}'
    )
    try:
        head_bytes, tail_bytes = head.encode(), tail.encode()
    except UnicodeEncodeError as exc:  # a lone surrogate: not representable in I-JSON
        raise ValueError("event text is not valid Unicode") from exc
    return PreparedEvent(
        event_id,
        time,
        type_,
        outcome,
        actor.id,
        target.type,
        target.id,
        origin.request_id,
        head_bytes,
        tail_bytes,
    )
