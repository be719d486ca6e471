"""Ports of the audit room."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from audit.events import AuditEventIn, RecordedEvent


@runtime_checkable
class AuditRecorder(Protocol):
    """Everyone records into the audit log through this port.

    ``record`` returns only once the event is durable and raises
    ``AuditUnavailableError`` when it cannot be; the caller then fails closed.
    """

    def record(self, event: AuditEventIn) -> RecordedEvent: ...

    def record_many(self, events: Sequence[AuditEventIn]) -> list[RecordedEvent]: ...
