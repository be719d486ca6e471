"""Blind indexes: keyed HMAC-SHA256 (a key separate from every encryption key), truncated.

The key is derived per (tenant, resource type, field) so one column's index cannot be
joined with another's; values are normalised per field kind first.
"""

from __future__ import annotations

import hashlib
import hmac

from vault.context import FieldContext
from vault.errors import InvalidFieldValueError
from vault.normalize import FieldKind, kind_of, normalize


class BlindIndexer:
    def __init__(self, key: bytes, bits: int = 64) -> None:
        if len(key) < 32:
            raise InvalidFieldValueError("blind index key must be at least 32 bytes")
        if bits % 8 or not 32 <= bits <= 256:
            raise InvalidFieldValueError("blind index bits must be a multiple of 8 in 32..256")
        self._key = key
        self.bits = bits
        self._column_keys: dict[tuple[str, str, str], bytes] = {}

    def _column_key(self, context: FieldContext) -> bytes:
        scope = (context.tenant, context.resource_type, context.field)
        key = self._column_keys.get(scope)
        if key is None:
            label = "tp-blind-index\x00" + "\x00".join(scope)
            key = hmac.digest(self._key, label.encode(), hashlib.sha256)
            self._column_keys[scope] = key
        return key

    def index(self, value: str, context: FieldContext, kind: FieldKind | None = None) -> str:
        """Hex of the truncated HMAC of the normalised value (owner id is not part of it)."""
        canonical = normalize(value, kind or kind_of(context.field))
        digest = hmac.digest(self._column_key(context), canonical.encode(), hashlib.sha256)
        return digest[: self.bits // 8].hex()
