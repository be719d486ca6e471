"""The demo's audit clock: a week back while the demo seeds an empty log, then real time.

The audit log stamps every event with its own clock (a port). ``trustplane demo`` hands the
log a ``SeedingClock``; when the log is empty at start, the composition root holds the clock
a week back before anything is recorded, the console seeder moves it forward day by day
while the decision point decides each day's sample requests, and releases it to real time
before the server starts. Every event still goes through the log's one writer (hash-chained,
checkpoints signed), and the times only move forward. Nothing in the server can set the
clock: only the demo's own process holds the object, and a released clock stays released.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

RealClock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ClockMovedBackError(ValueError):
    """A held clock is only moved forward; a released clock is never held again."""


class SeedingClock:
    def __init__(self, real: RealClock = _utc_now) -> None:
        self._real = real
        self._held: datetime | None = None
        self._released = False
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._real() if self._held is None else self._held

    @property
    def held(self) -> bool:
        return self._held is not None

    def hold(self, moment: datetime) -> None:
        """Stamp everything at ``moment`` from now on (only forward, before release)."""
        with self._lock:
            if self._released:
                raise ClockMovedBackError("the demo clock was released to real time")
            if moment.tzinfo is None:
                raise ClockMovedBackError("the demo clock holds UTC times only")
            if self._held is not None and moment < self._held:
                raise ClockMovedBackError("the demo clock only moves forward")
            if moment > self._real():
                raise ClockMovedBackError("the demo clock never runs ahead of real time")
            self._held = moment

    def release(self) -> None:
        """Real time from now on, for good."""
        with self._lock:
            self._held = None
            self._released = True
