"""Per field kind (email, phone, PAN, account and card numbers): property-based round trips.

Each kind: the value round-trips through encryption for its own context, a formatting
variant gives the same blind index and pseudonym, the mask never reveals more than the
last four significant characters.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vault import BlindIndexer, FieldCipher, FieldContext, Pseudonymizer, mask

KEY = b"b" * 32
_settings = settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])

emails = st.emails()
phones = st.text(alphabet="0123456789", min_size=10, max_size=10).filter(lambda p: p[0] != "0")
pans = st.builds(
    lambda letters, numbers, last: letters + numbers + last,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=5, max_size=5),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1),
)
accounts = st.text(alphabet="0123456789", min_size=9, max_size=18)
cards = st.text(alphabet="0123456789", min_size=13, max_size=19)


def _ctx(field: str) -> FieldContext:
    return FieldContext("customer_profile", field, "c-9", 3, "finsolve")


def _check(cipher: FieldCipher, field: str, value: str, variant: str) -> None:
    context = _ctx(field)
    assert cipher.open(cipher.encrypt(value, context), context) == value
    assert cipher.open(cipher.encrypt(variant, context), context) == variant
    indexer = BlindIndexer(KEY, 64)
    assert indexer.index(value, context) == indexer.index(variant, context)
    pseudonyms = Pseudonymizer(KEY, "finsolve")
    assert pseudonyms.token(value, field) == pseudonyms.token(variant, field)
    masked = mask(value, "last4")
    assert masked.startswith("****")
    assert len(masked) <= 8


@_settings
@given(email=emails)
def test_email(cipher: FieldCipher, email: str) -> None:
    _check(cipher, "email", email, f"  {email.upper()} ")
    assert mask(email, "email").endswith("@" + email.rpartition("@")[2])


@_settings
@given(number=phones)
def test_phone(cipher: FieldCipher, number: str) -> None:
    spaced = f"+91 {number[:5]} {number[5:]}"
    _check(cipher, "phone", number, spaced)
    assert mask(spaced, "last4") == "****" + number[-4:]


@_settings
@given(pan=pans)
def test_pan(cipher: FieldCipher, pan: str) -> None:
    _check(cipher, "pan", pan, f" {pan.lower()[:5]} {pan.lower()[5:]} ")
    assert mask(pan, "last4") == "****" + pan[-4:]


@_settings
@given(account=accounts)
def test_account_number(cipher: FieldCipher, account: str) -> None:
    _check(
        cipher,
        "account_number",
        account,
        "-".join(account[i : i + 4] for i in range(0, len(account), 4)),
    )


@_settings
@given(card=cards)
def test_card_number(cipher: FieldCipher, card: str) -> None:
    _check(cipher, "card_number", card, " ".join(card[i : i + 4] for i in range(0, len(card), 4)))
    assert mask(card, "last4") == "****" + card[-4:]
