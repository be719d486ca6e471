"""Stored data keys on SQLite and PostgreSQL: shredding, rotation, rewrap, retirement."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from audit import AuditUnavailableError, EventType, InMemoryAuditLog
from tests.services import Server
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    KeyDestroyedError,
    LocalKeyProvider,
    RewrapIncompleteError,
    SubjectShreddedError,
    UnknownKeyVersionError,
)
from vault.envelope import parse
from vault.keys import KeyManager
from vault.providers.transit import TransitKeyProvider
from vault.stores.sql import SqlDataKeyStore
from vault.tables import VaultDataKey, VaultSubjectTombstone


def _ctx(owner: str, field: str = "email") -> FieldContext:
    return FieldContext("customer_profile", field, owner, 3, "finsolve")


def _build(
    engine: Engine, provider: LocalKeyProvider | TransitKeyProvider, log: InMemoryAuditLog
) -> tuple[FieldCipher, KeyManager]:
    cache = DataKeyCache(max_values=5)
    store = SqlDataKeyStore(engine)
    cipher = FieldCipher(provider, store, log, cache=cache, authorizer=AllowAllAuthorizer())
    return cipher, KeyManager(provider, store, log, cache)


def test_migrated_schema_matches_tables(engine: Engine) -> None:
    inspector = inspect(engine)
    for model in (VaultDataKey, VaultSubjectTombstone):
        table = model.__table__  # type: ignore[union-attr]
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, column.name
    indexes = {i["name"] for i in inspector.get_indexes("vault_data_keys")}
    assert indexes == {i.name for i in VaultDataKey.__table__.indexes}  # type: ignore[attr-defined]


def test_shred_destroys_one_principal_only(
    engine: Engine, local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    cipher, keys = _build(engine, local_provider, audit_log)
    alice = [cipher.encrypt(f"alice-{i}@example.com", _ctx("alice")) for i in range(12)]
    bob = cipher.encrypt("bob@example.com", _ctx("bob"))
    shared = cipher.encrypt("shared", _ctx("alice"), subject_key=False)
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        keys.shred("alice", tenant="finsolve")  # nothing destroyed without an audit record
    audit_log.fail = False
    fresh, _ = _build(engine, local_provider, audit_log)
    assert fresh.open(alice[0], _ctx("alice")) == "alice-0@example.com"
    stone = keys.shred("alice", tenant="finsolve")
    assert stone.keys_destroyed == 3  # 12 values, a data key per 5 values
    for ciphertext in alice:
        with pytest.raises(KeyDestroyedError, match="key destroyed"):
            cipher.open(ciphertext, _ctx("alice"))
    assert cipher.open(bob, _ctx("bob")) == "bob@example.com"
    assert cipher.open(shared, _ctx("alice")) == "shared"
    with pytest.raises(SubjectShreddedError):
        cipher.encrypt("again@example.com", _ctx("alice"))
    again = keys.shred("alice", tenant="finsolve")  # idempotent
    assert again.keys_destroyed == 3
    assert again.shredded_at == stone.shredded_at
    events = [e for e in audit_log.events if e.details.get("operation") == "shred"]
    assert len(events) == 2
    assert events[0].target.id == "alice"
    requested = [e for e in audit_log.events if e.details.get("operation") == "shred_requested"]
    assert len(requested) == 2
    # a fresh process (empty cache) agrees
    fresh, _ = _build(engine, local_provider, audit_log)
    with pytest.raises(KeyDestroyedError):
        fresh.open(alice[0], _ctx("alice"))
    assert fresh.open(bob, _ctx("bob")) == "bob@example.com"


def test_rotation_rewrap_and_retire_with_data_before_and_after(
    engine: Engine, local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    cipher, keys = _build(engine, local_provider, audit_log)
    before = {f"c-{i}": cipher.encrypt(f"value-{i}", _ctx(f"c-{i}")) for i in range(7)}
    assert keys.rotate("fields").version == 2
    after = {f"c-{i}": cipher.encrypt(f"new-{i}", _ctx(f"c-{i}")) for i in range(3)}
    assert all(parse(ct).kek_version == 2 for ct in after.values())
    with pytest.raises(RewrapIncompleteError):
        keys.retire("fields")
    seen: list[tuple[int, int]] = []
    report = keys.rewrap("fields", batch_size=3, progress=lambda d, t: seen.append((d, t)))
    assert (report.total, report.rewrapped, report.failed) == (7, 7, 0)
    assert seen[-1] == (7, 7)
    again = keys.rewrap("fields")  # idempotent
    assert (again.total, again.rewrapped) == (0, 0)
    keys.retire("fields")
    assert local_provider.describe("fields").min_decryption_version == 2
    fresh, _ = _build(engine, local_provider, audit_log)  # no cached keys: unwrap via v2
    for owner, ciphertext in before.items():
        assert fresh.open(ciphertext, _ctx(owner)) == f"value-{owner[2:]}"
        assert parse(ciphertext).kek_version == 1  # data untouched
    for owner, ciphertext in after.items():
        assert fresh.open(ciphertext, _ctx(owner)) == f"new-{owner[2:]}"
    inventory = keys.inventory()
    entry = next(e for e in inventory if e.info.name == "fields")
    assert entry.data_keys_by_version == {2: 10}
    assert entry.as_dict()["rotation_age_days"] is not None
    operations = [
        e.details["operation"] for e in audit_log.events if e.type is EventType.KEY_OPERATION
    ]
    assert {"rotate", "rewrap", "retire", "generate_data_key"} <= set(operations)


def test_unwrap_under_retired_version_fails(
    engine: Engine, local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    cipher, keys = _build(engine, local_provider, audit_log)
    ciphertext = cipher.encrypt("x", _ctx("c-1"))
    keys.rotate("fields")
    local_provider.retire_versions_below("fields", 2)  # retired without rewrap (operator error)
    fresh, _ = _build(engine, local_provider, audit_log)
    with pytest.raises(UnknownKeyVersionError):
        fresh.open(ciphertext, _ctx("c-1"))


def test_key_operations_fail_closed_without_audit(
    engine: Engine, local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    cipher, _keys = _build(engine, local_provider, audit_log)
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        cipher.encrypt("x", _ctx("c-1"))  # a new data key must be recorded first
    audit_log.fail = False
    ciphertext = cipher.encrypt("x", _ctx("c-1"))
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        cipher.decrypt(ciphertext, _ctx("c-1"))


@pytest.mark.openbao
def test_transit_rotation_and_rewrap_on_stored_keys(
    engine: Engine, openbao: Server, audit_log: InMemoryAuditLog, tmp_path: Path
) -> None:
    provider = TransitKeyProvider(openbao.url, token=openbao.env["token"])
    provider.ensure_mount()
    name = f"rw-{tmp_path.name[-8:]}".replace("_", "-")
    cache = DataKeyCache(max_values=2)
    store = SqlDataKeyStore(engine)
    cipher = FieldCipher(
        provider, store, audit_log, cache=cache, key_name=name, authorizer=AllowAllAuthorizer()
    )
    keys = KeyManager(provider, store, audit_log, cache, key_names=[name])
    before = cipher.encrypt("before", _ctx("c-1"))
    keys.rotate(name)
    after = cipher.encrypt("after", _ctx("c-1"))
    report = keys.rewrap(name)
    assert report.rewrapped == 1
    keys.retire(name)
    cache.clear()
    assert cipher.open(before, _ctx("c-1")) == "before"
    assert cipher.open(after, _ctx("c-1")) == "after"
    assert provider.describe(name).min_decryption_version == 2


def test_keyring_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "k" / "ring.json"
    LocalKeyProvider(path).ensure_key("fields")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
