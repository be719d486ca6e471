"""The stored form of an event and its RFC 8785 canonical bytes (the Merkle leaf input)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import rfc8785

from audit.events import AuditEventIn


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and a ``Z`` (one spelling, so bytes are stable)."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def stored_event(event: AuditEventIn, *, seq: int, event_id: str, time: datetime) -> dict[str, Any]:
    """The JSON object that is stored, hashed and returned to verifiers."""
    return {
        "seq": seq,
        "id": event_id,
        "time": format_time(time),
        "type": event.type.value,
        "outcome": event.outcome.value,
        "actor": event.actor.model_dump(mode="json"),
        "origin": event.origin.model_dump(mode="json"),
        "target": event.target.model_dump(mode="json"),
        "details": event.details,
    }


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme bytes of ``document``."""
    return bytes(rfc8785.dumps(document))


def decode(canonical: bytes) -> dict[str, Any]:
    document = json.loads(canonical)
    if not isinstance(document, dict):
        raise ValueError("a stored event is a JSON object")
    return document
