"""One contract for every DataKeyStore: the in-memory one and SQL on SQLite + PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.services import Postgres
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from vault import DataKeyRecord, DataKeyStore, InMemoryDataKeyStore
from vault.stores.sql import SqlDataKeyStore


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DataKeyStore]:
    if request.param == "memory":
        yield InMemoryDataKeyStore()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'keys.db'}"
    else:
        server: Postgres = request.getfixturevalue("postgres")
        url = server.create_database()
    engine = make_engine(url)
    upgrade(engine)
    yield SqlDataKeyStore(engine)
    engine.dispose()


def _record(version: int = 1, subject: str | None = None, key: str = "fields") -> DataKeyRecord:
    return DataKeyRecord(
        id=uuid.uuid4(),
        tenant="finsolve",
        key_name=key,
        kek_version=version,
        provider="local",
        wrapped=b"wrapped-" + str(version).encode(),
        subject_id=subject,
        created_at=datetime.now(UTC),
    )


def test_store_contract(store: DataKeyStore) -> None:
    records = [_record(1) for _ in range(5)] + [_record(2), _record(1, key="other")]
    alice = [_record(1, "alice"), _record(2, "alice")]
    for record in [*records, *alice]:
        store.add(record)
    got = store.get(records[0].id)
    assert got is not None
    assert got.wrapped == records[0].wrapped
    assert got.created_at.tzinfo is not None
    assert store.get(uuid.uuid4()) is None
    assert store.count_pending_rewrap("fields", 2) == 6
    first = store.pending_rewrap("fields", 2, None, 4)
    assert len(first) == 4
    rest = store.pending_rewrap("fields", 2, first[-1].id, 4)
    assert len(rest) == 2
    assert {r.id for r in first + rest} == {r.id for r in records[:5]} | {alice[0].id}
    assert store.versions_in_use("fields") == {1: 6, 2: 2}
    target = next(r for r in first if r.subject_id is None)
    assert store.replace_wrapped(target.id, 1, b"new", 2)
    assert not store.replace_wrapped(target.id, 1, b"again", 2)  # compare-and-set
    updated = store.get(target.id)
    assert updated is not None
    assert (updated.wrapped, updated.kek_version) == (b"new", 2)
    assert updated.rewrapped_at is not None
    assert store.tombstone("finsolve", "alice") is None
    stone = store.shred_subject("finsolve", "alice")
    assert stone.keys_destroyed == 2
    assert store.tombstone("finsolve", "alice") == stone
    assert all(
        r.wrapped is None and r.destroyed_at for r in store.subject_keys("finsolve", "alice")
    )
    assert not store.replace_wrapped(alice[0].id, 1, b"x", 2)
    assert store.shred_subject("finsolve", "alice").keys_destroyed == 2
    assert store.shred_subject("finsolve", "nobody").keys_destroyed == 0
    assert store.versions_in_use("fields") == {1: 4, 2: 2}
