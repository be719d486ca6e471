"""In-memory recorder for unit tests of other rooms (never used by the server)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from audit.errors import AuditUnavailableError
from audit.events import AuditEventIn, RecordedEvent


class InMemoryAuditLog:
    """Keeps events in a list; ``fail_next`` simulates an unavailable log."""

    def __init__(self) -> None:
        self.events: list[AuditEventIn] = []
        self.fail = False
        self._lock = threading.Lock()

    def record(self, event: AuditEventIn) -> RecordedEvent:
        return self.record_many([event])[0]

    def record_many(self, events: Sequence[AuditEventIn]) -> list[RecordedEvent]:
        with self._lock:
            if self.fail:
                raise AuditUnavailableError("audit log unavailable")
            receipts = []
            for event in events:
                self.events.append(event)
                receipts.append(
                    RecordedEvent(
                        seq=len(self.events) - 1, id=str(uuid.uuid4()), time=datetime.now(UTC)
                    )
                )
            return receipts
