"""Lockout of email addresses that match no account, so that "locked" enumerates nothing.

A real account locks after ``threshold`` failed logins (stored on its row). An address that
matches no account gets the same treatment here, in memory, so an attacker who tries one
address six times sees the same "account temporarily locked" answer either way. Bounded:
at most ``max_keys`` addresses are remembered (the oldest are forgotten first), per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class _Record:
    failures: int
    locked_until: datetime | None


class PhantomLockout:
    def __init__(self, threshold: int, lockout_seconds: int, max_keys: int = 100_000) -> None:
        self._threshold = threshold
        self._lockout = timedelta(seconds=lockout_seconds)
        self._max_keys = max_keys
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def locked_for(self, key: str, now: datetime) -> int | None:
        """Seconds until ``key`` may try again, or None when it is not locked."""
        with self._lock:
            record = self._records.get(key)
            if record is None or record.locked_until is None or record.locked_until <= now:
                return None
            return max(1, int((record.locked_until - now).total_seconds() + 0.999))

    def fail(self, key: str, now: datetime) -> bool:
        """Count a failure; True when this one locks ``key`` (as a real account would)."""
        with self._lock:
            record = self._records.pop(key, None) or _Record(0, None)
            record.failures += 1
            locked = record.failures >= self._threshold
            if locked:
                record.failures = 0
                record.locked_until = now + self._lockout
            self._records[key] = record
            while len(self._records) > self._max_keys:
                self._records.popitem(last=False)
            return locked
