"""Typed plaintexts: a one-byte type tag (inside the encryption) + the value's bytes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from vault.errors import InvalidFieldValueError, TamperedCiphertextError

FieldValue = str | bytes | int | bool | Decimal | date | datetime

_STR, _BYTES, _INT, _BOOL, _DECIMAL, _DATE, _DATETIME = b"s", b"b", b"i", b"?", b"d", b"D", b"T"


def encode_value(value: FieldValue) -> bytes:
    """Tag + bytes; bool before int (bool is an int) and datetime before date."""
    if isinstance(value, str):
        return _STR + value.encode("utf-8")
    if isinstance(value, bytes):
        return _BYTES + value
    if isinstance(value, bool):
        return _BOOL + (b"1" if value else b"0")
    if isinstance(value, int):
        return _INT + str(value).encode()
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidFieldValueError("only finite decimals can be encrypted")
        return _DECIMAL + str(value).encode()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidFieldValueError("datetimes must be timezone-aware")
        return _DATETIME + value.isoformat().encode()
    if isinstance(value, date):
        return _DATE + value.isoformat().encode()
    raise InvalidFieldValueError(f"cannot encrypt values of type {type(value).__name__}")


def decode_value(data: bytes) -> FieldValue:
    tag, body = data[:1], data[1:]
    try:
        if tag == _STR:
            return body.decode("utf-8")
        if tag == _BYTES:
            return body
        if tag == _BOOL:
            return body == b"1"
        if tag == _INT:
            return int(body)
        if tag == _DECIMAL:
            return Decimal(body.decode())
        if tag == _DATETIME:
            return datetime.fromisoformat(body.decode())
        if tag == _DATE:
            return date.fromisoformat(body.decode())
    except (ValueError, InvalidOperation) as exc:  # authenticated but undecodable
        raise TamperedCiphertextError("plaintext encoding is invalid") from exc
    raise TamperedCiphertextError("plaintext type tag is unknown")
