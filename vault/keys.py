"""Key management: inventory, rotation, rewrap of stored data keys, retirement, shredding.

Every operation is recorded in the audit log (``KEY_OPERATION``); when the log refuses
the event, the caller gets ``audit.AuditUnavailableError``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from audit import SYSTEM_ACTOR, Actor, AuditEventIn, AuditRecorder, EventType, Origin, Target
from vault.cache import DataKeyCache
from vault.errors import NoSubjectKeysError, RewrapIncompleteError, VaultError
from vault.providers.port import KeyInfo, KeyProvider
from vault.stores.datakeys import DataKeyStore, Tombstone

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class InventoryEntry:
    """One KEK as evidence for PCI DSS v4.0.1 3.6/3.7 (key inventory, cryptoperiods)."""

    info: KeyInfo
    rotation_age_days: float | None
    data_keys_by_version: dict[int, int]

    def as_dict(self) -> dict[str, Any]:
        info = self.info
        return {
            "name": info.name,
            "id": info.key_id,
            "provider": info.provider,
            "version": info.version,
            "min_decryption_version": info.min_decryption_version,
            "created_at": info.created_at.isoformat() if info.created_at else None,
            "last_rotated_at": info.last_rotated_at.isoformat() if info.last_rotated_at else None,
            "rotation_age_days": self.rotation_age_days,
            "data_keys_by_version": {
                str(v): n for v, n in sorted(self.data_keys_by_version.items())
            },
        }


@dataclass
class RewrapReport:
    key_name: str
    target_version: int
    total: int = 0
    rewrapped: int = 0
    skipped: int = 0
    failed: int = 0
    failed_ids: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.failed == 0


class KeyManager:
    def __init__(
        self,
        provider: KeyProvider,
        store: DataKeyStore,
        audit: AuditRecorder,
        cache: DataKeyCache,
        *,
        key_names: Sequence[str] = ("fields",),
    ) -> None:
        self.provider = provider
        self.store = store
        self.audit = audit
        self.cache = cache
        self.key_names = tuple(key_names)

    def _record(
        self,
        operation: str,
        target: Target,
        actor: Actor,
        origin: Origin | None,
        details: dict[str, Any],
    ) -> None:
        self.audit.record(
            AuditEventIn(
                type=EventType.KEY_OPERATION,
                actor=actor,
                origin=origin or Origin(),
                target=target,
                details={"operation": operation, "provider": self.provider.kind, **details},
            )
        )

    def inventory(self, now: datetime | None = None) -> list[InventoryEntry]:
        moment = now or datetime.now(UTC)
        names = sorted(set(self.key_names) | set(self.provider.list_keys()))
        entries = []
        for name in names:
            info = self.provider.describe(name)
            since = info.last_rotated_at or info.created_at
            age = round((moment - since).total_seconds() / 86400, 3) if since else None
            entries.append(InventoryEntry(info, age, self.store.versions_in_use(name)))
        return entries

    def rotate(
        self, key_name: str, *, actor: Actor = SYSTEM_ACTOR, origin: Origin | None = None
    ) -> KeyInfo:
        """A new KEK version; new data keys (and so new writes) use it from now on."""
        version = self.provider.rotate(key_name)
        self.cache.clear()  # stop handing out data keys wrapped under the old version
        self._record("rotate", Target(type="key", id=key_name), actor, origin, {"version": version})
        return self.provider.describe(key_name)

    def rewrap(
        self,
        key_name: str,
        *,
        batch_size: int = 200,
        progress: Progress | None = None,
        actor: Actor = SYSTEM_ACTOR,
        origin: Origin | None = None,
    ) -> RewrapReport:
        """Re-wrap stored data keys under the newest KEK version; data fields are untouched.

        Idempotent and resumable: only keys still below the newest version are visited
        (compare-and-set per key), so an interrupted run simply continues where it stopped.
        """
        target = self.provider.describe(key_name).version
        report = RewrapReport(key_name=key_name, target_version=target)
        report.total = self.store.count_pending_rewrap(key_name, target)
        after: uuid.UUID | None = None
        done = 0
        while True:
            batch = self.store.pending_rewrap(key_name, target, after, batch_size)
            if not batch:
                break
            for record in batch:
                after = record.id
                done += 1
                if record.wrapped is None:  # pragma: no cover - filtered by the store
                    continue
                try:
                    new = self.provider.rewrap_data_key(
                        key_name, record.wrapped, record.key_context()
                    )
                except VaultError:
                    report.failed += 1
                    report.failed_ids.append(str(record.id))
                    continue
                if self.store.replace_wrapped(
                    record.id, record.kek_version, new.wrapped, new.kek_version
                ):
                    report.rewrapped += 1
                else:
                    report.skipped += 1
                if progress is not None:
                    progress(done, report.total)
        self._record(
            "rewrap",
            Target(type="key", id=key_name),
            actor,
            origin,
            {
                "target_version": target,
                "rewrapped": report.rewrapped,
                "skipped": report.skipped,
                "failed": report.failed,
            },
        )
        return report

    def retire(
        self, key_name: str, *, actor: Actor = SYSTEM_ACTOR, origin: Origin | None = None
    ) -> KeyInfo:
        """Refuse old KEK versions once no stored data key needs them."""
        latest = self.provider.describe(key_name).version
        pending = self.store.count_pending_rewrap(key_name, latest)
        if pending:
            raise RewrapIncompleteError(
                f"{pending} data keys of {key_name!r} are still wrapped under older versions"
            )
        self.provider.retire_versions_below(key_name, latest)
        self._record(
            "retire",
            Target(type="key", id=key_name),
            actor,
            origin,
            {"min_decryption_version": latest},
        )
        return self.provider.describe(key_name)

    def shred(
        self,
        subject_id: str,
        *,
        tenant: str = "default",
        actor: Actor = SYSTEM_ACTOR,
        origin: Origin | None = None,
        force: bool = False,
    ) -> Tombstone:
        """Crypto-shred a data principal: destroy their data keys, leave a tombstone.

        The providers never store our data keys (they only wrap them), so erasing every
        wrapped copy is the destruction; the in-process caches are evicted too. A subject
        with no data key and no tombstone is refused (``NoSubjectKeysError``) unless
        ``force``: the tombstone would destroy nothing and block the id for ever.
        """
        if (
            not force
            and self.store.tombstone(tenant, subject_id) is None
            and not self.store.subject_keys(tenant, subject_id)
        ):
            raise NoSubjectKeysError(
                "no data keys exist for this data principal; nothing would be destroyed and"
                " the id would be blocked for ever (force to block it anyway)"
            )
        target = Target(type="data_subject", id=subject_id)
        # Recorded before anything is destroyed: no audit log, no shredding (fail closed).
        self._record("shred_requested", target, actor, origin, {"tenant": tenant})
        stone = self.store.shred_subject(tenant, subject_id)
        self.cache.evict_subject(tenant, subject_id)
        self._record(
            "shred",
            target,
            actor,
            origin,
            {
                "tenant": tenant,
                "keys_destroyed": stone.keys_destroyed,
                "shredded_at": stone.shredded_at.isoformat(),
            },
        )
        return stone
