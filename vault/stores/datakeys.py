"""The ``DataKeyStore`` port: wrapped data keys referenced by ciphertexts, and tombstones."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class DataKeyRecord:
    """One wrapped data key. ``wrapped`` is ``None`` once destroyed (crypto-shredding)."""

    id: uuid.UUID
    tenant: str
    key_name: str
    kek_version: int
    provider: str
    wrapped: bytes | None
    subject_id: str | None
    created_at: datetime
    rewrapped_at: datetime | None = None
    destroyed_at: datetime | None = None

    def key_context(self) -> dict[str, str]:
        """The encryption context the data key is wrapped under (KMS EncryptionContext)."""
        context = {"tenant": self.tenant, "purpose": "trustplane-field-dek"}
        if self.subject_id is not None:
            context["subject_id"] = self.subject_id
        return context


@dataclass(frozen=True, slots=True)
class Tombstone:
    subject_id: str
    tenant: str
    shredded_at: datetime
    keys_destroyed: int


@runtime_checkable
class DataKeyStore(Protocol):
    def add(self, record: DataKeyRecord) -> None: ...

    def get(self, dek_id: uuid.UUID) -> DataKeyRecord | None: ...

    def pending_rewrap(
        self, key_name: str, below_version: int, after: uuid.UUID | None, limit: int
    ) -> list[DataKeyRecord]:
        """Live keys of ``key_name`` wrapped under a version < ``below_version``, by id."""
        ...

    def count_pending_rewrap(self, key_name: str, below_version: int) -> int: ...

    def replace_wrapped(
        self, dek_id: uuid.UUID, expected_version: int, wrapped: bytes, kek_version: int
    ) -> bool:
        """Compare-and-set on the version (idempotent, safe with concurrent rewrappers)."""
        ...

    def versions_in_use(self, key_name: str) -> dict[int, int]: ...

    def shred_subject(self, tenant: str, subject_id: str) -> Tombstone:
        """Erase every wrapped key of the subject and record a tombstone (idempotent)."""
        ...

    def tombstone(self, tenant: str, subject_id: str) -> Tombstone | None: ...

    def subject_keys(self, tenant: str, subject_id: str) -> Sequence[DataKeyRecord]: ...


class InMemoryDataKeyStore:
    """Dict-backed store for unit tests and the benchmark (never used by the server)."""

    def __init__(self) -> None:
        self._records: dict[uuid.UUID, DataKeyRecord] = {}
        self._tombstones: dict[tuple[str, str], Tombstone] = {}
        self._lock = threading.Lock()

    def add(self, record: DataKeyRecord) -> None:
        with self._lock:
            self._records[record.id] = record

    def get(self, dek_id: uuid.UUID) -> DataKeyRecord | None:
        return self._records.get(dek_id)

    def _pending(self, key_name: str, below_version: int) -> list[DataKeyRecord]:
        return sorted(
            (
                r
                for r in self._records.values()
                if r.key_name == key_name
                and r.wrapped is not None
                and r.kek_version < below_version
            ),
            key=lambda r: str(r.id),
        )

    def pending_rewrap(
        self, key_name: str, below_version: int, after: uuid.UUID | None, limit: int
    ) -> list[DataKeyRecord]:
        with self._lock:
            pending = self._pending(key_name, below_version)
        if after is not None:
            pending = [r for r in pending if str(r.id) > str(after)]
        return pending[:limit]

    def count_pending_rewrap(self, key_name: str, below_version: int) -> int:
        with self._lock:
            return len(self._pending(key_name, below_version))

    def replace_wrapped(
        self, dek_id: uuid.UUID, expected_version: int, wrapped: bytes, kek_version: int
    ) -> bool:
        with self._lock:
            record = self._records.get(dek_id)
            if record is None or record.wrapped is None or record.kek_version != expected_version:
                return False
            self._records[dek_id] = replace(
                record, wrapped=wrapped, kek_version=kek_version, rewrapped_at=datetime.now(UTC)
            )
            return True

    def versions_in_use(self, key_name: str) -> dict[int, int]:
        counts: dict[int, int] = {}
        with self._lock:
            for record in self._records.values():
                if record.key_name == key_name and record.wrapped is not None:
                    counts[record.kek_version] = counts.get(record.kek_version, 0) + 1
        return counts

    def shred_subject(self, tenant: str, subject_id: str) -> Tombstone:
        now = datetime.now(UTC)
        with self._lock:
            destroyed = 0
            for dek_id, record in list(self._records.items()):
                if (
                    record.tenant == tenant
                    and record.subject_id == subject_id
                    and record.wrapped is not None
                ):
                    self._records[dek_id] = replace(record, wrapped=None, destroyed_at=now)
                    destroyed += 1
            previous = self._tombstones.get((tenant, subject_id))
            stone = Tombstone(
                subject_id=subject_id,
                tenant=tenant,
                shredded_at=previous.shredded_at if previous else now,
                keys_destroyed=destroyed + (previous.keys_destroyed if previous else 0),
            )
            self._tombstones[(tenant, subject_id)] = stone
            return stone

    def tombstone(self, tenant: str, subject_id: str) -> Tombstone | None:
        return self._tombstones.get((tenant, subject_id))

    def subject_keys(self, tenant: str, subject_id: str) -> Sequence[DataKeyRecord]:
        with self._lock:
            return [
                r
                for r in self._records.values()
                if r.tenant == tenant and r.subject_id == subject_id
            ]
