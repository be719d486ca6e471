"""The decisions page's figures: allow/deny rates by day and service, top deny reasons and
denied subjects over the last ``WINDOW_DAYS`` days (UTC), read from the policies room's
decision tally (ADR 0840): exact, caught up from the audit log on each read, and as cheap at
a million decisions as at ten (the cost is the days and labels shown, not the events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policies import DecisionSummary, PolicyRoom

WINDOW_DAYS = 30


def window_start(now: datetime | None = None) -> str:
    """The first day (``YYYY-MM-DD``, UTC) shown: today and the 29 days before it."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return (today - timedelta(days=WINDOW_DAYS - 1)).isoformat()


def recent_decisions(room: PolicyRoom, now: datetime | None = None) -> DecisionSummary | None:
    """The summary of the window, or None when the room keeps no tally (no readable log)."""
    if room.tally is None:
        return None
    return room.tally.summary(window_start(now))
