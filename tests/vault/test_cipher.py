"""Envelope encryption: round trips, tamper detection, context binding, typed errors."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vault import (
    ContextMismatchError,
    FieldCipher,
    FieldContext,
    InvalidFieldValueError,
    NotBase64Error,
    TamperedCiphertextError,
    TruncatedCiphertextError,
    UnknownDataKeyError,
    UnknownKeyVersionError,
    UnsupportedFormatError,
    VaultError,
)
from vault.envelope import PREFIX, parse

CTX = FieldContext("customer_profile", "email", "c-9", 3, "finsolve")

field_values = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    st.integers(),
    st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)

contexts = st.builds(
    FieldContext,
    resource_type=st.text(min_size=1, max_size=20),
    field=st.sampled_from(["email", "phone", "pan", "account_number", "name", "balance"]),
    owner_id=st.text(max_size=20),
    classification=st.integers(min_value=1, max_value=4),
    tenant=st.text(min_size=1, max_size=10),
)

_settings = settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_settings
@given(value=field_values, context=contexts)
def test_every_field_type_round_trips(
    cipher: FieldCipher, value: object, context: FieldContext
) -> None:
    ciphertext = cipher.encrypt(value, context)  # type: ignore[arg-type]
    assert ciphertext.startswith(PREFIX)
    back = cipher.open(ciphertext, context)
    assert back == value
    assert type(back) is type(value)


def test_same_value_encrypts_differently(cipher: FieldCipher) -> None:
    assert cipher.encrypt("a@example.com", CTX) != cipher.encrypt("a@example.com", CTX)


def test_flipping_any_byte_fails(cipher: FieldCipher) -> None:
    ciphertext = cipher.encrypt("ABCDE1234F", CTX)
    raw = bytearray(base64.urlsafe_b64decode(ciphertext[len(PREFIX) :] + "=="))
    for index in range(len(raw)):
        for bit in (0x01, 0x80):
            tampered = bytearray(raw)
            tampered[index] ^= bit
            text = PREFIX + base64.urlsafe_b64encode(bytes(tampered)).decode().rstrip("=")
            with pytest.raises(VaultError):
                cipher.open(text, CTX)


def test_flipping_any_character_of_the_text_fails(cipher: FieldCipher) -> None:
    ciphertext = cipher.encrypt("secret", CTX)
    for index in range(len(ciphertext)):
        replacement = "A" if ciphertext[index] != "A" else "B"
        with pytest.raises(VaultError):
            cipher.open(ciphertext[:index] + replacement + ciphertext[index + 1 :], CTX)


@pytest.mark.parametrize(
    "other",
    [
        FieldContext("customer_profile", "phone", "c-9", 3, "finsolve"),
        FieldContext("customer_profile", "email", "c-10", 3, "finsolve"),
        FieldContext("customer_profile", "email", "c-9", 4, "finsolve"),
        FieldContext("customer_profile", "email", "c-9", 3, "other-tenant"),
        FieldContext("payment", "email", "c-9", 3, "finsolve"),
    ],
)
def test_ciphertext_is_bound_to_its_context(cipher: FieldCipher, other: FieldContext) -> None:
    ciphertext = cipher.encrypt("a@example.com", CTX)
    with pytest.raises((ContextMismatchError, TamperedCiphertextError)):
        cipher.open(ciphertext, other)


def test_wrong_context_is_reported_as_such(cipher: FieldCipher) -> None:
    shared = cipher.encrypt("x", FieldContext("t", "email", "", 3))
    with pytest.raises(ContextMismatchError):
        cipher.open(shared, FieldContext("t", "phone", "", 3))


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", UnsupportedFormatError),
        ("hello", UnsupportedFormatError),
        ("tpe9.AAAA", UnsupportedFormatError),
        ("tpe1.!!!!", NotBase64Error),
        ("tpe1.A", NotBase64Error),
        ("tpe1.AQE", TruncatedCiphertextError),
        (12, NotBase64Error),
    ],
)
def test_malformed_input_gets_specific_errors(
    cipher: FieldCipher, text: object, error: type
) -> None:
    with pytest.raises(error):
        cipher.open(text, CTX)  # type: ignore[arg-type]


def test_truncated_ciphertexts_fail(cipher: FieldCipher) -> None:
    ciphertext = cipher.encrypt("value", CTX)
    for cut in range(len(PREFIX) + 1, len(ciphertext) - 1, 7):
        with pytest.raises(VaultError):
            cipher.open(ciphertext[:cut], CTX)


def test_unknown_data_key_and_version(cipher: FieldCipher) -> None:
    ciphertext = cipher.encrypt("value", CTX)
    env = parse(ciphertext)
    raw = bytearray(base64.urlsafe_b64decode(ciphertext[len(PREFIX) :] + "=="))
    raw[2] ^= 0xFF  # another data key id
    other = PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(UnknownDataKeyError):
        cipher.open(other, CTX)
    raw = bytearray(base64.urlsafe_b64decode(ciphertext[len(PREFIX) :] + "=="))
    raw[18:22] = (env.kek_version + 5).to_bytes(4, "big")
    newer = PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(UnknownKeyVersionError):
        cipher.open(newer, CTX)


def test_invalid_values_and_contexts() -> None:
    with pytest.raises(InvalidFieldValueError):
        FieldContext("", "email")
    with pytest.raises(InvalidFieldValueError):
        FieldContext("customer", "email", classification=5)
    with pytest.raises(InvalidFieldValueError):
        FieldContext("customer", "x" * 2000)


@pytest.mark.parametrize("value", [object(), Decimal("NaN"), datetime(2026, 1, 1), 1.5])
def test_unsupported_values_are_refused(cipher: FieldCipher, value: object) -> None:
    with pytest.raises(InvalidFieldValueError):
        cipher.encrypt(value, CTX)  # type: ignore[arg-type]


def test_encrypt_batch_answers_each_item(cipher: FieldCipher) -> None:
    outcomes = cipher.encrypt_batch([("a", CTX), (object(), CTX), (date(2026, 1, 2), CTX)])  # type: ignore[list-item]
    assert outcomes[0].ciphertext
    assert outcomes[2].ciphertext
    assert isinstance(outcomes[1].error, InvalidFieldValueError)
    assert cipher.open(outcomes[2].ciphertext, CTX) == date(2026, 1, 2)


def test_shared_and_subject_keys_differ(cipher: FieldCipher) -> None:
    subject = parse(cipher.encrypt("a", CTX))
    shared = parse(cipher.encrypt("a", CTX, subject_key=False))
    assert subject.subject_key
    assert not shared.subject_key
    assert subject.dek_id != shared.dek_id
    assert cipher.open(cipher.encrypt("a", CTX, subject_key=False), CTX) == "a"
