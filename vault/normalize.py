"""Normalisation per field kind, so equal values index and pseudonymize equally."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum

from vault.errors import InvalidFieldValueError


class FieldKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    PAN = "pan"  # Indian permanent account number (tax id)
    ACCOUNT_NUMBER = "account_number"
    CARD_NUMBER = "card_number"
    AADHAAR = "aadhaar"  # India's 12-digit resident id (UIDAI)
    TEXT = "text"


_FIELD_KINDS = {
    "email": FieldKind.EMAIL,
    "email_address": FieldKind.EMAIL,
    "phone": FieldKind.PHONE,
    "mobile": FieldKind.PHONE,
    "phone_number": FieldKind.PHONE,
    "pan": FieldKind.PAN,
    "account_number": FieldKind.ACCOUNT_NUMBER,
    "account_no": FieldKind.ACCOUNT_NUMBER,
    "card_number": FieldKind.CARD_NUMBER,
    "aadhaar": FieldKind.AADHAAR,
    "aadhaar_number": FieldKind.AADHAAR,
    "aadhar": FieldKind.AADHAAR,
}

_PAN = re.compile(r"[A-Z]{5}[0-9]{4}[A-Z]")
_PHONE_NOISE = re.compile(r"[\s\-().]")
_ACCOUNT_NOISE = re.compile(r"[\s\-]")


def kind_of(field_name: str) -> FieldKind:
    return _FIELD_KINDS.get(field_name.lower(), FieldKind.TEXT)


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def normalize_email(value: str) -> str:
    email = _nfkc(value).lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in email):
        raise InvalidFieldValueError("not an email address")
    return email


def normalize_phone(value: str) -> str:
    """E.164 with India's +91 as the default country (``0``/``91``/``0091`` prefixes)."""
    phone = _PHONE_NOISE.sub("", _nfkc(value))
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if phone.startswith("+"):
        digits = phone[1:]
    elif len(phone) == 11 and phone.startswith("0"):
        digits = "91" + phone[1:]
    elif len(phone) == 12 and phone.startswith("91"):
        digits = phone
    elif len(phone) == 10:
        digits = "91" + phone
    else:
        digits = phone
    if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise InvalidFieldValueError("not a phone number")
    return "+" + digits


def normalize_pan(value: str) -> str:
    pan = re.sub(r"\s", "", _nfkc(value)).upper()
    if not _PAN.fullmatch(pan):
        raise InvalidFieldValueError("not a PAN (AAAAA9999A)")
    return pan


def normalize_account_number(value: str) -> str:
    account = _ACCOUNT_NOISE.sub("", _nfkc(value)).upper()
    if not account or not account.isascii() or not account.isalnum():
        raise InvalidFieldValueError("not an account number")
    return account


def normalize_card_number(value: str) -> str:
    card = _ACCOUNT_NOISE.sub("", _nfkc(value))
    if not card.isascii() or not card.isdigit() or not 12 <= len(card) <= 19:
        raise InvalidFieldValueError("not a card number")
    return card


def normalize_aadhaar(value: str) -> str:
    """12 digits, written in groups of four or not (``2345 6789 0123`` = ``234567890123``)."""
    aadhaar = _ACCOUNT_NOISE.sub("", _nfkc(value))
    if not aadhaar.isascii() or not aadhaar.isdigit() or len(aadhaar) != 12:
        raise InvalidFieldValueError("not an Aadhaar number (12 digits)")
    if aadhaar[0] in "01":
        raise InvalidFieldValueError("not an Aadhaar number (never starts with 0 or 1)")
    return aadhaar


def normalize_text(value: str) -> str:
    return " ".join(_nfkc(value).split()).casefold()


NORMALIZERS: dict[FieldKind, Callable[[str], str]] = {
    FieldKind.EMAIL: normalize_email,
    FieldKind.PHONE: normalize_phone,
    FieldKind.PAN: normalize_pan,
    FieldKind.ACCOUNT_NUMBER: normalize_account_number,
    FieldKind.CARD_NUMBER: normalize_card_number,
    FieldKind.AADHAAR: normalize_aadhaar,
    FieldKind.TEXT: normalize_text,
}


def normalize(value: str, kind: FieldKind) -> str:
    return NORMALIZERS[kind](value)
