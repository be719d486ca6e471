"""Masking formats and deterministic pseudonyms named by the policy room's obligations.

``{"type": "mask", "fields": [...], "format": "last4" | "email" | "redact"}`` and
``{"type": "pseudonymize", "fields": [...]}``. Unknown formats redact (fail safe).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from vault.errors import InvalidFieldValueError
from vault.normalize import FieldKind, kind_of, normalize

REDACTED = "[REDACTED]"
MASK_FORMATS = ("last4", "email", "redact")


def mask_last4(value: str) -> str:
    """``****1234``: the last four letters/digits, separators ignored; short values hidden."""
    significant = [ch for ch in value if ch.isalnum()]
    if len(significant) <= 4:
        return "****"
    return "****" + "".join(significant[-4:])


def mask_email(value: str) -> str:
    """``a***@example.com``; anything that is not an email is redacted."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or not domain:
        return REDACTED
    return f"{local[0]}***@{domain}"


def mask(value: str, fmt: str) -> str:
    if fmt == "last4":
        return mask_last4(value)
    if fmt == "email":
        return mask_email(value)
    return REDACTED


class Pseudonymizer:
    """Deterministic tokens: keyed HMAC-SHA256 over tenant, field kind and normalised value.

    The same email gives the same token in every table (joins for analytics) and nothing
    else can be learned from it without the key.
    """

    def __init__(self, key: bytes, tenant: str = "default") -> None:
        if len(key) < 32:
            raise InvalidFieldValueError("pseudonymization key must be at least 32 bytes")
        self._key = key
        self._tenant = tenant

    def token(self, value: str, field_name: str) -> str:
        kind = kind_of(field_name)
        try:
            canonical = normalize(value, kind)
        except InvalidFieldValueError:
            kind, canonical = FieldKind.TEXT, normalize(value, FieldKind.TEXT)
        message = f"tp-pseudonym\x00{self._tenant}\x00{kind}\x00{canonical}".encode()
        digest = hmac.digest(self._key, message, hashlib.sha256)[:16]
        return "psd_" + base64.b32encode(digest).decode().rstrip("=").lower()
