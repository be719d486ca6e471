"""TOTP (RFC 6238 vectors), argon2 hashing, TOTP seed sealing, role sets."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import KNOWN_ROLES, IdentityError, InvalidInputError, SecretBox, new_box_key
from identity.passwords import SecretHasher
from identity.roles import dump_roles, load_roles, validated_roles
from identity.totp import code_at, matching_step, provisioning_uri
from tests.identity.conftest import FAST_ARGON2

RFC6238_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_rfc6238_sha1_vectors(unix_time: int, code: str) -> None:
    moment = datetime.fromtimestamp(unix_time, UTC)
    assert code_at(RFC6238_SECRET, moment) == code
    assert matching_step(RFC6238_SECRET, code, moment) == unix_time // 30


def test_provisioning_uri_names_issuer_and_account() -> None:
    uri = provisioning_uri(RFC6238_SECRET, "a@finsolve.example", "trustplane")
    assert uri.startswith("otpauth://totp/trustplane:a%40finsolve.example?secret=")


def test_argon2_verify_and_decoy() -> None:
    hasher = SecretHasher(FAST_ARGON2)
    stored = hasher.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "correct horse")
    assert not hasher.verify(stored, "wrong horse")
    assert not hasher.verify(None, "correct horse")
    assert not hasher.verify("not-a-hash", "correct horse")
    assert SecretHasher().needs_rehash(stored)  # cheap test params are below the default cost


def test_sealed_totp_seed_is_bound_to_its_owner() -> None:
    box = SecretBox(new_box_key())
    sealed = box.seal("JBSWY3DPEHPK3PXP", "user-1")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed, "user-1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(Exception):
        box.open(sealed, "user-2")
    with pytest.raises(IdentityError):
        box.open("v9.AAAA", "user-1")
    with pytest.raises(IdentityError):
        SecretBox(b"short")


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=64))
def test_seal_round_trip(secret: str) -> None:
    box = SecretBox(bytes(32))
    assert box.open(box.seal(secret, "owner"), "owner") == secret


@settings(max_examples=50, deadline=None)
@given(st.frozensets(st.sampled_from(sorted(KNOWN_ROLES)), min_size=1))
def test_roles_storage_round_trip(roles: frozenset[str]) -> None:
    assert load_roles(dump_roles(roles)) == validated_roles(roles) == roles


def test_blank_roles_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        validated_roles(["", "  "])
