"""The ``tpe1`` format stays byte-compatible: old ciphertexts decrypt, new ones follow the spec.

``data/ciphertexts_v1.json`` holds a keyring, wrapped data keys and ciphertexts written by
``FieldCipher`` before its encrypt fast path (pre-encoded header, ADR 0305); they must keep
decrypting. New ciphertexts are checked against an independent reading of
docs/ciphertext-format.md (header, keyed BLAKE2s commitment, AES-GCM associated data).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit import InMemoryAuditLog
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    InMemoryDataKeyStore,
    LocalKeyProvider,
)
from vault.envelope import PREFIX, b64url, build_header, parse, serialize, split_header
from vault.stores.datakeys import DataKeyRecord
from vault.values import FieldValue

FIXTURE = json.loads((Path(__file__).parent / "data" / "ciphertexts_v1.json").read_text())


def _value(tagged: dict[str, Any]) -> FieldValue:
    kind, raw = tagged["type"], tagged["value"]
    decoded: dict[str, Any] = {
        "str": lambda: raw,
        "bytes": lambda: base64.b64decode(raw),
        "bool": lambda: raw,
        "int": lambda: int(raw),
        "decimal": lambda: Decimal(raw),
        "date": lambda: date.fromisoformat(raw),
        "datetime": lambda: datetime.fromisoformat(raw),
    }
    value: FieldValue = decoded[kind]()
    return value


def _context(item: dict[str, Any]) -> FieldContext:
    return FieldContext(**item["context"])


@pytest.fixture
def old_world(tmp_path: Path) -> tuple[LocalKeyProvider, InMemoryDataKeyStore]:
    ring = tmp_path / "keyring.json"
    ring.write_text(json.dumps(FIXTURE["keyring"]))
    ring.chmod(0o600)
    store = InMemoryDataKeyStore()
    for key in FIXTURE["data_keys"]:
        store.add(
            DataKeyRecord(
                id=uuid.UUID(key["id"]),
                tenant=key["tenant"],
                key_name=key["key_name"],
                kek_version=key["kek_version"],
                provider=key["provider"],
                wrapped=base64.b64decode(key["wrapped"]),
                subject_id=key["subject_id"],
                created_at=datetime.fromisoformat(key["created_at"]),
            )
        )
    return LocalKeyProvider(ring), store


def test_fixture_covers_every_header_length_modulo_3() -> None:
    remainders = {(23 + len(item["key_name"])) % 3 for item in FIXTURE["items"]}
    assert remainders == {0, 1, 2}
    assert any(parse(item["ciphertext"]).subject_key for item in FIXTURE["items"])


@pytest.mark.parametrize("item", FIXTURE["items"], ids=lambda item: item["ciphertext"][-8:])
def test_old_ciphertexts_still_decrypt(
    old_world: tuple[LocalKeyProvider, InMemoryDataKeyStore], item: dict[str, Any]
) -> None:
    provider, store = old_world
    cipher = FieldCipher(
        provider,
        store,
        InMemoryAuditLog(),
        key_name=item["key_name"],
        cache=DataKeyCache(),
        authorizer=AllowAllAuthorizer(),
    )
    value = cipher.open(item["ciphertext"], _context(item))
    expected = _value(item["plaintext"])
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("key_name", ["fields", "records", "payments", "k", "x" * 64])
@pytest.mark.parametrize("owner", ["", "c-42"])
def test_new_ciphertexts_follow_the_spec(tmp_path: Path, key_name: str, owner: str) -> None:
    """Recompute every part of a fresh ciphertext from the spec, not from the fast path."""
    cipher = FieldCipher(
        LocalKeyProvider(tmp_path / "ring.json"),
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        key_name=key_name,
        cache=DataKeyCache(),
        authorizer=AllowAllAuthorizer(),
    )
    context = FieldContext("customer_profile", "email", owner, 2, "finsolve")
    for value in ("a@example.com", "", "x" * 64):
        ciphertext = cipher.encrypt(value, context)
        env = parse(ciphertext)
        assert serialize(env.header, env.nonce, env.sealed) == ciphertext  # canonical
        assert env.header[: -len(env.commitment)] == build_header(
            env.flags, env.dek_id, env.kek_version, key_name
        )
        assert env.subject_key == bool(owner)
        materials = cipher.cache.cached_decryption(env.dek_id_bytes)
        assert materials is not None
        commitment = hashlib.blake2s(
            env.nonce + context.aad, key=materials.commit_key, digest_size=8
        ).digest()
        assert env.commitment == commitment
        plaintext = materials.aead.decrypt(env.nonce, env.sealed, env.header + context.aad)
        assert plaintext == b"s" + value.encode()


@given(header=st.binary(max_size=100), rest=st.binary(max_size=200))
def test_split_header_encodes_like_the_whole(header: bytes, rest: bytes) -> None:
    text_prefix, tail = split_header(header)
    assert len(tail) < 3
    assert text_prefix + b64url(tail + rest) == PREFIX + b64url(header + rest)
