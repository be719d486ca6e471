"""A shred reaches every replica at once (issue 14): two ciphers with their own warm caches
on one real database (SQLite file and PostgreSQL), as two replicas or two workers are."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, InMemoryAuditLog
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    KeyDestroyedError,
    KeyManager,
    LocalKeyProvider,
    SubjectShreddedError,
)
from vault.stores.sql import SqlDataKeyStore


def _ctx(owner: str) -> FieldContext:
    return FieldContext("customer_profile", "email", owner, 3, "finsolve")


def replica(
    engine: Engine, provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> tuple[FieldCipher, KeyManager]:
    store, cache = SqlDataKeyStore(engine), DataKeyCache()
    cipher = FieldCipher(
        provider, store, audit_log, cache=cache, authorizer=AllowAllAuthorizer()
    )  # decrypt decisions are not what this test is about
    return cipher, KeyManager(provider, store, audit_log, cache)


def test_after_a_shred_no_replica_decrypts_or_encrypts_for_the_subject(
    engine: Engine, local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    first, first_keys = replica(engine, local_provider, audit_log)
    second, _ = replica(engine, local_provider, audit_log)
    shredded, kept = _ctx("c-1"), _ctx("c-2")
    sealed = first.encrypt("asha@example.in", shredded)
    other = first.encrypt("ravi@example.in", kept)
    # both replicas warm: each holds the subject's data key in its own cache
    assert second.open(sealed, shredded) == "asha@example.in"
    assert second.open(second.encrypt("x@example.in", shredded), shredded) == "x@example.in"
    first_keys.shred("c-1", tenant="finsolve", actor=SYSTEM_ACTOR)
    for cipher in (first, second):
        with pytest.raises(KeyDestroyedError):
            cipher.open(sealed, shredded)
        with pytest.raises(SubjectShreddedError):
            cipher.encrypt("new@example.in", shredded)
        assert cipher.open(other, kept) == "ravi@example.in"  # others are untouched
