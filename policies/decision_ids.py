"""Does the audit log already hold a decision id? (refusing replayed ids in agent uploads)

Reported decisions are found by their target (``decision`` / id; an indexed filter). First-
hand decisions carry trustplane's ULIDs: a ULID names the millisecond it was made, and a
durable decision's event is committed within the decision log's bounded wait, so only the
decision events of that short window are read. Real OPA agents send UUIDs, which never take
the window path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from ulid import ULID

from audit import EventFilter, EventPage, EventType

REPORTED_TARGET_TYPE = "decision"


@runtime_checkable
class EventReader(Protocol):
    def events(
        self, where: EventFilter | None = None, *, after: int = -1, limit: int = 100
    ) -> EventPage: ...


def _ulid_time(decision_id: str) -> datetime | None:
    if len(decision_id) != 26:
        return None
    try:
        return ULID.from_str(decision_id).datetime.astimezone(UTC)
    except ValueError:
        return None


class InMemoryDecisionIds:
    """``DecisionIdLookup`` over an in-memory log's events (unit tests)."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder

    def existing(self, decision_ids: Sequence[str]) -> set[str]:
        held: set[str] = set()
        for event in getattr(self._recorder, "events", []):
            held.add(str(event.details.get("decision_id", "")))
            if event.target.type == REPORTED_TARGET_TYPE and event.target.id:
                held.add(event.target.id)
        return held & set(decision_ids)


class AuditDecisionIds:
    """``DecisionIdLookup`` over the audit log's read API."""

    def __init__(self, reader: EventReader, *, window_seconds: float = 60.0) -> None:
        self._reader = reader
        self._window = timedelta(seconds=window_seconds)

    def existing(self, decision_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for decision_id in decision_ids:
            reported = EventFilter(
                type=EventType.DECISION_REPORTED,
                target_type=REPORTED_TARGET_TYPE,
                target_id=decision_id,
            )
            if self._reader.events(reported, limit=1).events:
                found.add(decision_id)
        timed = {i: t for i in decision_ids if i not in found and (t := _ulid_time(i)) is not None}
        if timed:
            found |= self._first_hand(timed)
        return found

    def _first_hand(self, timed: dict[str, datetime]) -> set[str]:
        wanted = set(timed)
        where = EventFilter(
            type=EventType.DECISION,
            since=min(timed.values()) - self._window,
            until=max(timed.values()) + self._window,
        )
        found: set[str] = set()
        after = -1
        while True:
            page = self._reader.events(where, after=after, limit=1000)
            for event in page.events:
                decision_id = event.document.get("details", {}).get("decision_id")
                if decision_id in wanted:
                    found.add(decision_id)
            if page.next_cursor is None or found == wanted:
                return found
            after = page.next_cursor
