"""``DataKeyStore`` on SQLAlchemy Core (SQLite in the embedded shape, PostgreSQL in prod)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from vault.errors import KeyStoreError
from vault.stores.datakeys import DataKeyRecord, Tombstone
from vault.tables import VaultDataKey, VaultSubjectTombstone

KEYS = cast(Table, VaultDataKey.__table__)  # type: ignore[attr-defined]
TOMBSTONES = cast(Table, VaultSubjectTombstone.__table__)  # type: ignore[attr-defined]


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = cast(datetime, value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record(row: RowMapping) -> DataKeyRecord:
    return DataKeyRecord(
        id=uuid.UUID(row["id"]),
        tenant=row["tenant"],
        key_name=row["key_name"],
        kek_version=int(row["kek_version"]),
        provider=row["provider"],
        wrapped=bytes(row["wrapped"]) if row["wrapped"] is not None else None,
        subject_id=row["subject_id"],
        created_at=cast(datetime, _utc(row["created_at"])),
        rewrapped_at=_utc(row["rewrapped_at"]),
        destroyed_at=_utc(row["destroyed_at"]),
    )


def _tombstone(row: RowMapping) -> Tombstone:
    return Tombstone(
        subject_id=row["subject_id"],
        tenant=row["tenant"],
        shredded_at=cast(datetime, _utc(row["shredded_at"])),
        keys_destroyed=int(row["keys_destroyed"]),
    )


class SqlDataKeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, record: DataKeyRecord) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(KEYS).values(
                        id=str(record.id),
                        tenant=record.tenant,
                        key_name=record.key_name,
                        kek_version=record.kek_version,
                        provider=record.provider,
                        wrapped=record.wrapped,
                        subject_id=record.subject_id,
                        created_at=record.created_at,
                    )
                )
        except SQLAlchemyError as exc:
            raise KeyStoreError("could not store the data key") from exc

    def get(self, dek_id: uuid.UUID) -> DataKeyRecord | None:
        try:
            with self._engine.connect() as conn:
                row = conn.execute(select(KEYS).where(KEYS.c.id == str(dek_id))).mappings().first()
        except SQLAlchemyError as exc:
            raise KeyStoreError("could not read the data key") from exc
        return _record(row) if row is not None else None

    def _pending(self, key_name: str, below_version: int) -> Any:
        return (
            (KEYS.c.key_name == key_name)
            & (KEYS.c.kek_version < below_version)
            & KEYS.c.wrapped.isnot(None)
        )

    def pending_rewrap(
        self, key_name: str, below_version: int, after: uuid.UUID | None, limit: int
    ) -> list[DataKeyRecord]:
        query = select(KEYS).where(self._pending(key_name, below_version))
        if after is not None:
            query = query.where(KEYS.c.id > str(after))
        query = query.order_by(KEYS.c.id).limit(limit)
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]

    def count_pending_rewrap(self, key_name: str, below_version: int) -> int:
        query = select(func.count()).select_from(KEYS).where(self._pending(key_name, below_version))
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def replace_wrapped(
        self, dek_id: uuid.UUID, expected_version: int, wrapped: bytes, kek_version: int
    ) -> bool:
        statement = (
            update(KEYS)
            .where(KEYS.c.id == str(dek_id))
            .where(KEYS.c.kek_version == expected_version)
            .where(KEYS.c.wrapped.isnot(None))
            .values(wrapped=wrapped, kek_version=kek_version, rewrapped_at=datetime.now(UTC))
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def versions_in_use(self, key_name: str) -> dict[int, int]:
        query = (
            select(KEYS.c.kek_version, func.count())
            .where((KEYS.c.key_name == key_name) & KEYS.c.wrapped.isnot(None))
            .group_by(KEYS.c.kek_version)
        )
        with self._engine.connect() as conn:
            return {int(version): int(count) for version, count in conn.execute(query)}

    def shred_subject(self, tenant: str, subject_id: str) -> Tombstone:
        """Erase the wrapped keys and upsert the tombstone in one transaction."""
        now = datetime.now(UTC)
        erase = (
            update(KEYS)
            .where((KEYS.c.tenant == tenant) & (KEYS.c.subject_id == subject_id))
            .where(KEYS.c.wrapped.isnot(None))
            .values(wrapped=None, destroyed_at=now)
        )
        where = (TOMBSTONES.c.tenant == tenant) & (TOMBSTONES.c.subject_id == subject_id)
        for _attempt in range(3):
            try:
                with self._engine.begin() as conn:
                    destroyed = conn.execute(erase).rowcount
                    existing = conn.execute(select(TOMBSTONES).where(where)).mappings().first()
                    if existing is None:
                        conn.execute(
                            insert(TOMBSTONES).values(
                                tenant=tenant,
                                subject_id=subject_id,
                                shredded_at=now,
                                keys_destroyed=destroyed,
                            )
                        )
                    else:
                        conn.execute(
                            update(TOMBSTONES)
                            .where(where)
                            .values(keys_destroyed=TOMBSTONES.c.keys_destroyed + destroyed)
                        )
                    row = conn.execute(select(TOMBSTONES).where(where)).mappings().one()
                    return _tombstone(row)
            except IntegrityError:  # a concurrent shred created the tombstone first
                continue
            except SQLAlchemyError as exc:
                raise KeyStoreError("could not shred the subject's keys") from exc
        raise KeyStoreError("could not record the tombstone")

    def tombstone(self, tenant: str, subject_id: str) -> Tombstone | None:
        where = (TOMBSTONES.c.tenant == tenant) & (TOMBSTONES.c.subject_id == subject_id)
        with self._engine.connect() as conn:
            row = conn.execute(select(TOMBSTONES).where(where)).mappings().first()
        return _tombstone(row) if row is not None else None

    def subject_keys(self, tenant: str, subject_id: str) -> Sequence[DataKeyRecord]:
        where = (KEYS.c.tenant == tenant) & (KEYS.c.subject_id == subject_id)
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(select(KEYS).where(where)).mappings()]
