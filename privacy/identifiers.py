"""Identifiers of data principals: which kinds exist, what a valid value looks like."""

from __future__ import annotations

import hashlib
import hmac
import re

from privacy.errors import InvalidDsrError

FORMATS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$"),
    "phone": re.compile(r"^\+[1-9][0-9]{6,14}$"),
    "customer_id": re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
}
GENERIC = re.compile(r"^[A-Za-z0-9._%+@:-]{1,200}$")
BUILTIN_KINDS = frozenset(FORMATS)


def normalize(kind: str, value: str) -> str:
    value = value.strip()
    return value.lower() if kind == "email" else value


def parse_identifier(identifier: dict[str, str], known_kinds: set[str]) -> tuple[str, str]:
    """``{"email": "a@b.example"}`` -> ``("email", "a@b.example")``; raises on anything else."""
    if len(identifier) != 1:
        raise InvalidDsrError('identifier names exactly one kind, e.g. {"email": ...}')
    ((kind, raw),) = identifier.items()
    if kind not in known_kinds:
        raise InvalidDsrError(
            f"unknown identifier kind {kind!r}; "
            f"the data map knows: {', '.join(sorted(known_kinds))}"
        )
    if not isinstance(raw, str):
        raise InvalidDsrError(f"identifier {kind} must be a string")
    value = normalize(kind, raw)
    if not FORMATS.get(kind, GENERIC).fullmatch(value):
        raise InvalidDsrError(f"identifier {kind} is not well formed")
    return kind, value


def identifier_hash(key: bytes, kind: str, value: str) -> str:
    """Keyed hash of a principal's identifier (duplicates are found without reading values)."""
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
