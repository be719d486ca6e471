"""Many threads, per-subject data keys, one shared cache, real SQLite and PostgreSQL stores."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy.engine import Engine

from audit import InMemoryAuditLog
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    KeyDestroyedError,
    KeyManager,
    LocalKeyProvider,
)
from vault.envelope import parse
from vault.stores.sql import SqlDataKeyStore

THREADS = 8
SUBJECTS = [f"c-{i}" for i in range(6)]


def _ctx(owner: str) -> FieldContext:
    return FieldContext("customer_profile", "email", owner, 3, "finsolve")


def test_threads_share_subject_keys_and_shred_one(
    engine: Engine, local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog
) -> None:
    store = SqlDataKeyStore(engine)
    cache = DataKeyCache()
    cipher = FieldCipher(
        local_provider, store, audit_log, cache=cache, authorizer=AllowAllAuthorizer()
    )
    keys = KeyManager(local_provider, store, audit_log, cache)
    results: list[list[tuple[str, str, str]]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(slot: int) -> None:
        try:
            start.wait()
            for i in range(60):
                owner = SUBJECTS[(slot + i) % len(SUBJECTS)]
                value = f"{slot}-{i}@example.com"
                results[slot].append((owner, value, cipher.encrypt(value, _ctx(owner))))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = [row for chunk in results for row in chunk]
    assert len(rows) == THREADS * 60
    per_owner_keys = {
        owner: {parse(c).dek_id for o, _, c in rows if o == owner} for owner in SUBJECTS
    }
    # one data key per principal despite concurrent first use (no stampede, no duplicates)
    assert all(len(ids) == 1 for ids in per_owner_keys.values())
    assert len({next(iter(ids)) for ids in per_owner_keys.values()}) == len(SUBJECTS)
    assert Counter(o for o, _, _ in rows) == Counter(
        {owner: THREADS * 60 // len(SUBJECTS) for owner in SUBJECTS}
    )

    fresh = FieldCipher(
        local_provider, store, audit_log, cache=DataKeyCache(), authorizer=AllowAllAuthorizer()
    )
    keys.shred("c-3", tenant="finsolve")
    for owner, value, ciphertext in rows[::7]:
        if owner == "c-3":
            with pytest.raises(KeyDestroyedError):
                fresh.open(ciphertext, _ctx(owner))
        else:
            assert fresh.open(ciphertext, _ctx(owner)) == value
