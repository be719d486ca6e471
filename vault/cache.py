"""Data-key cache in the manner of the AWS Encryption SDK caching materials manager.

An encryption data key is reused for at most ``max_values`` values and ``max_age_seconds``
seconds, per partition (tenant, KEK name, subject); unwrapped decryption keys are kept for
``max_age_seconds`` (LRU-bounded by ``max_entries``). Memory only. ``max_values=0``
disables caching (every value gets its own data key, every decrypt unwraps).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

Partition = tuple[str, str, str | None]  # tenant, key name, subject id


@dataclass(slots=True)
class Materials:
    """An unwrapped data key ready for use (never persisted, never logged)."""

    dek_id: uuid.UUID
    tenant: str
    key_name: str
    kek_version: int
    subject_id: str | None
    aead: AESGCM = field(repr=False)
    commit_key: bytes = field(repr=False)
    commit_hasher: Any = field(repr=False)  # blake2s keyed with commit_key, copied per use
    header: bytes = field(repr=False)  # ciphertext header without commitment
    text_prefix: str = field(default="", repr=False)  # envelope.split_header(header)[0]
    header_tail: bytes = field(default=b"", repr=False)  # envelope.split_header(header)[1]
    created: float = 0.0
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)


def _reuse_function(
    encrypt: dict[Partition, Materials],
    max_values: int,
    max_age_seconds: float,
    clock: Callable[[], float],
) -> Callable[[Partition], Materials | None]:
    """Build ``DataKeyCache.reuse`` with the cache's dict, bounds and clock bound as locals.

    ``reuse(partition)`` is the lock-free fast path: the partition's data key if it may
    encrypt one more value, else None. ``next()`` on ``itertools.count`` is atomic under
    the GIL, so no two callers get the same use number and a key never serves more than
    ``max_values`` values; the clock is read on every use, so no key is used at or past
    ``max_age_seconds``. A closure rather than a method: it runs once per encrypted value
    and skips five attribute lookups (ADR 0305).
    """
    get = encrypt.get

    def reuse(partition: Partition) -> Materials | None:
        """The partition's data key if it may encrypt one more value, else None."""
        current = get(partition)
        if (
            current is not None
            and next(current.counter) <= max_values
            and clock() - current.created < max_age_seconds
        ):
            return current
        return None

    return reuse


class DataKeyCache:
    def __init__(
        self,
        max_values: int = 10_000,
        max_age_seconds: float = 300.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_values = max_values
        self._max_age_seconds = max_age_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._encrypt: dict[Partition, Materials] = {}  # never rebound: ``reuse`` holds it
        self._decrypt: OrderedDict[bytes, Materials] = OrderedDict()
        self._fill_locks: dict[Partition, threading.Lock] = {}
        self.reuse: Callable[[Partition], Materials | None] = _reuse_function(
            self._encrypt, max_values, max_age_seconds, clock
        )

    @property
    def max_values(self) -> int:
        """N: values one data key encrypts at most (read-only: the fast path binds it)."""
        return self._max_values

    @property
    def max_age_seconds(self) -> float:
        """T: seconds one data key is used at most (read-only: the fast path binds it)."""
        return self._max_age_seconds

    @property
    def enabled(self) -> bool:
        return self._max_values > 0 and self._max_age_seconds > 0

    def _fresh(self, materials: Materials, now: float) -> bool:
        return now - materials.created < self._max_age_seconds

    def encryption_materials(
        self, partition: Partition, generate: Callable[[], Materials]
    ) -> Materials:
        """Reuse the partition's data key, or generate one (one caller per partition)."""
        if not self.enabled:
            return generate()
        cached = self.reuse(partition)
        if cached is not None:
            return cached
        with self._lock:
            fill_lock = self._fill_locks.setdefault(partition, threading.Lock())
        with fill_lock:  # single flight: one provider round trip per partition
            with self._lock:
                current = self._encrypt.get(partition)
                now = self._clock()
                if (
                    current is not None
                    and next(current.counter) <= self._max_values
                    and self._fresh(current, now)
                ):
                    return current
            materials = generate()
            materials.created = self._clock()
            next(materials.counter)  # this caller's use
            with self._lock:
                self._encrypt[partition] = materials
                self._remember(materials)
                self._bound_partitions()
            return materials

    def cached_decryption(self, dek_id: bytes) -> Materials | None:
        """Lock-free lookup of an unwrapped data key (``dek_id`` as its 16 bytes)."""
        cached = self._decrypt.get(dek_id)
        if cached is not None and self._clock() - cached.created < self._max_age_seconds:
            return cached
        return None

    def decryption_materials(self, dek_id: bytes, unwrap: Callable[[], Materials]) -> Materials:
        if not self.enabled:
            return unwrap()
        cached = self.cached_decryption(dek_id)
        if cached is not None:
            return cached
        materials = unwrap()
        materials.created = self._clock()
        with self._lock:
            self._remember(materials)
        return materials

    def _remember(self, materials: Materials) -> None:
        self._decrypt[materials.dek_id.bytes] = materials
        self._decrypt.move_to_end(materials.dek_id.bytes)
        while len(self._decrypt) > self.max_entries:
            self._decrypt.popitem(last=False)

    def _bound_partitions(self) -> None:
        """Keep per-subject partitions and their fill locks bounded."""
        if len(self._encrypt) > self.max_entries:
            for partition in list(self._encrypt)[: len(self._encrypt) - self.max_entries]:
                del self._encrypt[partition]
        if len(self._fill_locks) > 2 * self.max_entries:
            self._fill_locks = {p: self._fill_locks[p] for p in self._encrypt}

    def evict_subject(self, tenant: str, subject_id: str) -> None:
        with self._lock:
            for partition in [p for p in self._encrypt if p[0] == tenant and p[2] == subject_id]:
                del self._encrypt[partition]
            for dek_id in [
                d
                for d, m in self._decrypt.items()
                if m.tenant == tenant and m.subject_id == subject_id
            ]:
                del self._decrypt[dek_id]

    def clear(self) -> None:
        with self._lock:
            self._encrypt.clear()
            self._decrypt.clear()

    def __len__(self) -> int:
        return len(self._decrypt)
