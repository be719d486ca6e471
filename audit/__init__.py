"""audit: the tamper-evident log every room records into."""

from audit.errors import AuditError, AuditIntegrityError, AuditUnavailableError
from audit.events import (
    SYSTEM_ACTOR,
    Actor,
    AuditEventIn,
    EventType,
    Origin,
    Outcome,
    RecordedEvent,
    Target,
)
from audit.memory import InMemoryAuditLog
from audit.ports import AuditRecorder

__all__ = [
    "SYSTEM_ACTOR",
    "Actor",
    "AuditError",
    "AuditEventIn",
    "AuditIntegrityError",
    "AuditRecorder",
    "AuditUnavailableError",
    "EventType",
    "InMemoryAuditLog",
    "Origin",
    "Outcome",
    "RecordedEvent",
    "Target",
]
