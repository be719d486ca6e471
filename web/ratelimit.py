"""Per-caller token buckets (in-process; each replica limits its own share)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from web.errors import RateLimitedError


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """``rate`` tokens per second, at most ``burst`` saved up, one token per request."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens for ``key``; 0.0 when granted, else seconds until they are."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._evict_full(now)
                bucket = _Bucket(tokens=self._burst, updated=now)
                self._buckets[key] = bucket
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / self._rate

    def _evict_full(self, now: float) -> None:
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()


class WorkGate:
    """At most ``workers`` expensive jobs (argon2) at once and ``queue`` more waiting, each
    for at most ``wait_seconds``; anything beyond is refused at once (429), so a flood of
    junk logins cannot queue up behind the cores and slow every other request."""

    def __init__(self, workers: int, queue: int, wait_seconds: float = 2.0) -> None:
        self._slots = threading.BoundedSemaphore(workers)
        self._limit = workers + queue
        self._admitted = 0  # running + waiting
        self._wait = wait_seconds
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._admitted >= self._limit:
                raise RateLimitedError(1.0)
            self._admitted += 1
        try:
            if not self._slots.acquire(timeout=self._wait):
                raise RateLimitedError(1.0)
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._admitted -= 1


class LoginGuard:
    """Bounds password and client-secret checks: per client address, per account (email or
    client id), and argon2 work overall (a slot per core, a short queue, then 429)."""

    def __init__(
        self,
        *,
        per_address: tuple[float, int] = (1.0, 30),
        per_account: tuple[float, int] = (0.2, 10),
        workers: int | None = None,
        queue: int = 16,
    ) -> None:
        self._addresses = TokenBucketLimiter(*per_address)
        self._accounts = TokenBucketLimiter(*per_account)
        self.work = WorkGate(workers or max(1, os.cpu_count() or 1), queue)

    def admit(self, address: str, account: str) -> None:
        """Raise ``RateLimitedError`` when this address or account tried too often."""
        for limiter, key in ((self._addresses, address), (self._accounts, account.strip().lower())):
            retry_after = limiter.acquire(key)
            if retry_after > 0:
                raise RateLimitedError(retry_after)


class VolumeAlarm:
    """Counts per key in fixed windows; says once per window when a key crosses ``threshold``."""

    def __init__(
        self,
        threshold: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._threshold = threshold
        self._window = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, amount: int) -> int | None:
        """Count ``amount``; the window's total when this call crossed the threshold."""
        now = self._clock()
        with self._lock:
            started, count = self._counts.get(key, (now, 0))
            if now - started >= self._window:
                started, count = now, 0
            if len(self._counts) >= self._max_keys and key not in self._counts:
                self._counts.clear()
            total = count + amount
            self._counts[key] = (started, total)
            return total if count < self._threshold <= total else None


class BlindIndexGuard:
    """Per-caller budget of blind-indexed values and an alarm on unusual volumes: a blind
    index is a keyed hash, and a fast one is an oracle that recovers a phone number from its
    index by trying every number (issue 15, item 10)."""

    def __init__(self, per_second: float, burst: int, alert_per_minute: int) -> None:
        self.limiter = TokenBucketLimiter(per_second, burst)
        self.alarm = VolumeAlarm(alert_per_minute, 60.0)
