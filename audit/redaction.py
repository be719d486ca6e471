"""Keyed-HMAC redaction: values of sensitive keys become ``hmac-sha256:<hex>``.

The audit HMAC key is separate from every encryption key (as Vault's audit devices do), so
the log never holds plaintext PII or secrets, yet a known value can still be found by
hashing it with the same key (``POST /v1/audit/hash``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from audit.canonical import canonical_bytes, is_plain_scalar

PREFIX = "hmac-sha256:"
MIN_KEY_BYTES = 16
_BLOCK = 64  # SHA-256 block size
_REMEMBERED_KEYS = 4096


class Redactor:
    """Replaces the values of sensitive keys (case-insensitive, at any depth)."""

    def __init__(self, key: bytes, sensitive_keys: Iterable[str]) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the audit HMAC key must have at least {MIN_KEY_BYTES} bytes")
        # HMAC-SHA256 (RFC 2104) from the keyed inner and outer states, copied per value:
        # the same bytes as ``hmac.digest``, which releases the GIL on every call and so,
        # with many recording threads, makes each redaction wait for the GIL (ADR 0103)
        block = key if len(key) <= _BLOCK else hashlib.sha256(key).digest()
        block = block.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self.sensitive_keys = frozenset(name.lower() for name in sensitive_keys)
        self._keys: dict[str, tuple[bool, bool]] = {}

    def hash_value(self, value: Any) -> str:
        """The redacted form of ``value``: strings hash their UTF-8, others their JCS bytes."""
        data = value.encode("utf-8") if isinstance(value, str) else canonical_bytes(value)
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return PREFIX + outer.hexdigest()

    def redact(self, value: Any) -> Any:
        """A copy of ``value`` with every sensitive key's value hashed (case-insensitive
        keys, any depth; a value already in redacted form is kept as it is)."""
        return self.redact_plain(value)[0]

    def redact_plain(self, value: Any) -> tuple[Any, bool]:
        """``redact(value)`` and whether that copy is plain JSON (``canonical.is_plain``),
        in one walk: preparing an event needs both."""
        if isinstance(value, dict):
            copy = {}
            plain = True
            for key, item in value.items():
                if isinstance(key, str):
                    sensitive, ascii_key = self._key_facts(key)
                else:
                    sensitive, ascii_key = str(key).lower() in self.sensitive_keys, False
                kind = item.__class__
                if item is None or ((kind is str or kind is bool) and not sensitive):
                    copy[key] = item
                    plain = plain and ascii_key
                    continue
                stored = item
                if sensitive:
                    if not (kind is str and item.startswith(PREFIX)):
                        stored = self.hash_value(item)
                    ok = True
                elif isinstance(item, dict | list | tuple):
                    stored, ok = self.redact_plain(item)
                else:
                    ok = is_plain_scalar(item)
                copy[key] = stored
                plain = plain and ok and ascii_key
            return copy, plain
        if isinstance(value, list | tuple):
            items = [self.redact_plain(item) for item in value]
            return [item for item, _ in items], all(ok for _, ok in items)
        return value, is_plain_scalar(value)

    def _key_facts(self, key: str) -> tuple[bool, bool]:
        """(is sensitive, is ASCII) of an object key, remembered for the first keys seen."""
        facts = self._keys.get(key)
        if facts is None:
            facts = (key.lower() in self.sensitive_keys, key.isascii())
            if len(self._keys) < _REMEMBERED_KEYS:  # details keys may be caller-chosen
                self._keys[key] = facts
        return facts
