"""Blind indexes, normalisation per field kind, masking formats and pseudonyms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault import (
    REDACTED,
    BlindIndexer,
    FieldContext,
    FieldKind,
    InvalidFieldValueError,
    Pseudonymizer,
    mask,
    normalize,
)
from vault.masking import mask_email, mask_last4

KEY = bytes(range(32))
EMAIL = FieldContext("customer_profile", "email", "c-1", 3, "finsolve")
PHONE = FieldContext("customer_profile", "phone", "c-1", 3, "finsolve")


@pytest.mark.parametrize(
    ("kind", "variants", "canonical"),
    [
        (
            FieldKind.EMAIL,
            [" Asha.Rao@Example.COM ", "asha.rao@example.com"],
            "asha.rao@example.com",
        ),
        (
            FieldKind.PHONE,
            ["+91 98765 43210", "098765-43210", "9876543210", "919876543210", "0091 9876543210"],
            "+919876543210",
        ),
        (FieldKind.PAN, ["abcde1234f", " ABCDE 1234F "], "ABCDE1234F"),
        (FieldKind.ACCOUNT_NUMBER, ["0012-3456 7890", "001234567890"], "001234567890"),
        (FieldKind.CARD_NUMBER, ["4111 1111 1111 1111", "4111-1111-1111-1111"], "4111111111111111"),
        (FieldKind.TEXT, ["  Asha   RAO ", "asha rao"], "asha rao"),
    ],
)
def test_normalisation(kind: FieldKind, variants: list[str], canonical: str) -> None:
    assert {normalize(v, kind) for v in variants} == {canonical}


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (FieldKind.EMAIL, "no-at-sign"),
        (FieldKind.EMAIL, "a b@example.com"),
        (FieldKind.PHONE, "call me"),
        (FieldKind.PHONE, "123"),
        (FieldKind.PAN, "ABCD1234F"),
        (FieldKind.ACCOUNT_NUMBER, "12/34"),
        (FieldKind.CARD_NUMBER, "4111"),
    ],
)
def test_normalisation_rejects_garbage(kind: FieldKind, value: str) -> None:
    with pytest.raises(InvalidFieldValueError):
        normalize(value, kind)


def test_blind_index_equality_and_separation() -> None:
    indexer = BlindIndexer(KEY, bits=64)
    a = indexer.index(" Asha@Example.com", EMAIL)
    assert a == indexer.index("asha@example.com", EMAIL)
    assert len(a) == 16
    assert a != indexer.index("other@example.com", EMAIL)
    other_column = FieldContext("payment", "email", "c-1", 3, "finsolve")
    assert a != indexer.index("asha@example.com", other_column)
    other_owner = FieldContext("customer_profile", "email", "c-2", 3, "finsolve")
    assert a == indexer.index("asha@example.com", other_owner)  # searchable across rows
    assert a != BlindIndexer(bytes(32), bits=64).index("asha@example.com", EMAIL)
    assert indexer.index("+91 98765 43210", PHONE) == indexer.index("09876543210", PHONE)
    assert len(BlindIndexer(KEY, bits=256).index("x@y.z", EMAIL)) == 64


@pytest.mark.parametrize("bits", [0, 12, 512])
def test_blind_index_settings_are_validated(bits: int) -> None:
    with pytest.raises(InvalidFieldValueError):
        BlindIndexer(KEY, bits=bits)
    with pytest.raises(InvalidFieldValueError):
        BlindIndexer(b"short")


@settings(max_examples=50)
@given(st.emails())
def test_blind_index_ignores_case_and_whitespace(email: str) -> None:
    indexer = BlindIndexer(KEY)
    assert indexer.index(email, EMAIL) == indexer.index(f"  {email.upper()} ", EMAIL)


def test_masks() -> None:
    assert mask_last4("ABCDE1234F") == "****234F"
    assert mask_last4("1234-5678-9012") == "****9012"
    assert mask_last4("12") == "****"
    assert mask_email("asha@example.com") == "a***@example.com"
    assert mask_email("not-an-email") == REDACTED
    assert mask("anything", "redact") == REDACTED
    assert mask("anything", "unknown-format") == REDACTED
    assert mask("asha@example.com", "email") == "a***@example.com"


def test_pseudonyms_are_deterministic_and_keyed() -> None:
    tokens = Pseudonymizer(KEY, "finsolve")
    token = tokens.token("Asha@Example.com ", "email")
    assert token == tokens.token("asha@example.com", "email")
    assert token.startswith("psd_")
    assert "asha" not in token
    assert token != Pseudonymizer(bytes(32), "finsolve").token("asha@example.com", "email")
    assert token != Pseudonymizer(KEY, "other").token("asha@example.com", "email")
    assert tokens.token("not an email", "email") == tokens.token("NOT  an email", "email")
    with pytest.raises(InvalidFieldValueError):
        Pseudonymizer(b"short")
