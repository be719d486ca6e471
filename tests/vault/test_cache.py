"""The data-key cache: reuse limits, expiry, eviction and many threads sharing it."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from audit import InMemoryAuditLog
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    InMemoryDataKeyStore,
    LocalKeyProvider,
)
from vault.envelope import parse
from vault.providers.port import DataKey, KeyContext


class CountingProvider(LocalKeyProvider):
    """The real keyring, counting provider round trips."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.generated = 0
        self.unwrapped = 0
        self._count_lock = threading.Lock()

    def generate_data_key(self, key_name: str, context: KeyContext) -> DataKey:
        with self._count_lock:
            self.generated += 1
        return super().generate_data_key(key_name, context)

    def decrypt_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> bytes:
        with self._count_lock:
            self.unwrapped += 1
        return super().decrypt_data_key(key_name, wrapped, context)


CTX = FieldContext("customer_profile", "email", "", 3)


def test_one_round_trip_per_max_values(tmp_path: Path) -> None:
    provider = CountingProvider(tmp_path / "ring.json")
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        cache=DataKeyCache(max_values=1000),
        authorizer=AllowAllAuthorizer(),
    )
    ciphertexts = [cipher.encrypt("v", CTX) for _ in range(10_000)]
    assert provider.generated == 10
    per_key = Counter(parse(c).dek_id for c in ciphertexts)
    assert set(per_key.values()) == {1000}
    for ciphertext in ciphertexts[::500]:
        assert cipher.open(ciphertext, CTX) == "v"
    assert provider.unwrapped == 0  # every key still cached from encryption


def test_max_age_expires_keys(tmp_path: Path) -> None:
    now = [0.0]
    provider = CountingProvider(tmp_path / "ring.json")
    cache = DataKeyCache(max_values=100, max_age_seconds=300, clock=lambda: now[0])
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        cache=cache,
        authorizer=AllowAllAuthorizer(),
    )
    first = cipher.encrypt("a", CTX)
    now[0] = 299.0
    assert parse(cipher.encrypt("a", CTX)).dek_id == parse(first).dek_id
    now[0] = 301.0
    assert parse(cipher.encrypt("a", CTX)).dek_id != parse(first).dek_id
    assert provider.generated == 2
    now[0] = 1000.0
    cipher.open(first, CTX)  # expired in the decryption cache too: unwrapped again
    assert provider.unwrapped == 1


def test_disabled_cache_round_trips_every_value(tmp_path: Path) -> None:
    provider = CountingProvider(tmp_path / "ring.json")
    cache = DataKeyCache(max_values=0)
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        cache=cache,
        authorizer=AllowAllAuthorizer(),
    )
    ciphertexts = [cipher.encrypt("a", CTX) for _ in range(5)]
    assert provider.generated == 5
    assert all(cipher.open(c, CTX) == "a" for c in ciphertexts)
    assert provider.unwrapped == 5
    assert not cache.enabled


def test_bounded_entries_and_subject_eviction(tmp_path: Path) -> None:
    provider = CountingProvider(tmp_path / "ring.json")
    cache = DataKeyCache(max_values=10, max_entries=3)
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        cache=cache,
        authorizer=AllowAllAuthorizer(),
    )
    for owner in range(6):
        cipher.encrypt("x", FieldContext("customer_profile", "email", f"c-{owner}", 3))
    assert len(cache) == 3
    cache.evict_subject("default", "c-5")
    assert len(cache) == 2


def test_many_threads_share_the_cache_safely(tmp_path: Path) -> None:
    provider = CountingProvider(tmp_path / "ring.json")
    store = InMemoryDataKeyStore()
    cache = DataKeyCache(max_values=500)
    cipher = FieldCipher(
        provider, store, InMemoryAuditLog(), cache=cache, authorizer=AllowAllAuthorizer()
    )
    results: list[list[tuple[str, str]]] = [[] for _ in range(16)]
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def work(slot: int) -> None:
        try:
            start.wait()
            for i in range(400):
                value = f"{slot}-{i}"
                results[slot].append((value, cipher.encrypt(value, CTX)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    pairs = [pair for chunk in results for pair in chunk]
    assert len(pairs) == 6400
    per_key = Counter(parse(ciphertext).dek_id for _, ciphertext in pairs)
    assert max(per_key.values()) <= 500  # no key ever serves more than N values
    assert provider.generated == len(per_key) == 13  # ceil(6400 / 500), no stampede
    nonces = {parse(ciphertext).nonce for _, ciphertext in pairs}
    assert len(nonces) == 6400
    for value, ciphertext in pairs[::97]:
        assert cipher.open(ciphertext, CTX) == value


def test_bounds_are_exact_at_the_edges(tmp_path: Path) -> None:
    """N-th value still on the key, (N+1)-th on a new one; at exactly T seconds a new key."""
    provider = CountingProvider(tmp_path / "ring.json")
    cache = DataKeyCache(max_values=3)
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        cache=cache,
        authorizer=AllowAllAuthorizer(),
    )
    keys = [parse(cipher.encrypt("v", CTX)).dek_id for _ in range(7)]
    assert keys[0] == keys[1] == keys[2] != keys[3]
    assert keys[3] == keys[4] == keys[5] != keys[6]
    assert provider.generated == 3

    now = [1000.0]
    cache = DataKeyCache(max_values=100, max_age_seconds=300, clock=lambda: now[0])
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        cache=cache,
        authorizer=AllowAllAuthorizer(),
    )
    first = parse(cipher.encrypt("v", CTX)).dek_id
    now[0] = 1299.999
    assert parse(cipher.encrypt("v", CTX)).dek_id == first
    now[0] = 1300.0
    assert parse(cipher.encrypt("v", CTX)).dek_id != first  # age == T: never used again
    assert provider.generated == 5


def test_bounds_are_read_only(tmp_path: Path) -> None:
    """The lock-free fast path binds N and T when the cache is built: they cannot drift."""
    cache = DataKeyCache(max_values=5, max_age_seconds=60)
    assert (cache.max_values, cache.max_age_seconds) == (5, 60)
    with pytest.raises(AttributeError):
        cache.max_values = 10  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cache.max_age_seconds = 10  # type: ignore[misc]
