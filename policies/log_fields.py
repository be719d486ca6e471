"""What of a decision input the audit log keeps verbatim: an allow-list (ADR 0211).

Applied to every decision event after the bundle's mask rule (``system.log.mask``,
``policies.masking``): the mask removes what the organisation names; this list keeps only
structural values — types, actions, roles, classification, regions, purposes, consents,
field names, times. Every other value, ids of data principals and free text included,
becomes the keyed HMAC of ``POST /v1/audit/hash`` (a whole object or list hashed as one
value), so an investigator finds "every decision about customer X" by hashing X. A kept
key whose value does not look structural (long, digit-heavy, an ``@``) is hashed too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from audit import scrub_strings

Hasher = Callable[[Any], str]

# paths (from the input's root) whose values are kept when they look structural
KEPT_PATHS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("subject", "type"),
        ("subject", "roles"),
        ("subject", "attributes", "clearance"),
        ("subject", "attributes", "mfa_age_seconds"),
        ("subject", "attributes", "region"),
        ("subject", "attributes", "engagement_expires_at"),
        ("action", "name"),
        ("resource", "type"),
        ("resource", "classification"),
        ("resource", "region"),
        ("resource", "residency"),
        ("resource", "fields"),
        ("context", "time"),
        ("context", "purpose"),
        ("context", "consents"),
        ("context", "policy_revision"),
    }
)
_PREFIXES = frozenset(path[:n] for path in KEPT_PATHS for n in range(1, len(path)))

_STRUCTURAL = re.compile(r"^[A-Za-z0-9_.:/+*\- ]{0,64}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?)?$")
MAX_KEPT_NUMBER = 1_000_000
MAX_DIGITS_IN_TEXT = 6


def structural(value: Any) -> bool:
    """True for a value that cannot carry a person's data: short names, small numbers."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return abs(value) < MAX_KEPT_NUMBER
    if isinstance(value, str):
        if _TIME.match(value):
            return True
        digits = sum(char.isdigit() for char in value)
        return bool(_STRUCTURAL.match(value)) and digits <= MAX_DIGITS_IN_TEXT
    if isinstance(value, list):
        return len(value) <= 64 and all(
            not isinstance(item, list | dict) and structural(item) for item in value
        )
    return False


def tolerant(hasher: Hasher) -> Hasher:
    """``hasher`` that also takes values RFC 8785 cannot encode (an integer beyond 2**53, a
    lone surrogate): those are hashed by their spelled-out text instead of failing."""

    def digest(value: Any) -> str:
        try:
            return hasher(value)
        except (TypeError, ValueError):
            text = repr(value).encode("utf-8", "backslashreplace").decode("utf-8")
            return hasher(text)

    return digest


def keep_or_hash(value: Any, hasher: Hasher) -> Any:
    return value if structural(value) else hasher(value)


def pseudonymize_input(document: dict[str, Any], hasher: Hasher) -> dict[str, Any]:
    """``document`` with every value outside ``KEPT_PATHS`` replaced by its keyed HMAC."""
    return _walk(document, (), hasher)


def _walk(document: dict[str, Any], path: tuple[str, ...], hasher: Hasher) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in document.items():
        here = (*path, key) if isinstance(key, str) else (*path, "")
        stored_key = key if isinstance(key, str) and structural(key) else hasher(str(key))
        if here in KEPT_PATHS:
            out[stored_key] = keep_or_hash(value, hasher)
        elif here in _PREFIXES and isinstance(value, dict):
            out[stored_key] = _walk(value, here, hasher)
        elif value is None:
            out[stored_key] = None
        else:
            out[stored_key] = hasher(value)
    return out


def scrub(value: Any, hasher: Hasher) -> Any:
    """Free text the policy or an agent wrote (reasons, paths, labels): each personal-data
    pattern in it becomes its keyed HMAC (the last line of defence, ``audit.pii``)."""
    return scrub_strings(value, lambda _kind, found: hasher(found))
