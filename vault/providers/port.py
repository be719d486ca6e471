"""The ``KeyProvider`` port: whoever holds key-encryption keys (KEKs) and wraps data keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

KeyContext = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DataKey:
    """A fresh data key: its plaintext (memory only) and its wrapped form (stored)."""

    plaintext: bytes
    wrapped: bytes
    kek_version: int


@dataclass(frozen=True, slots=True)
class WrappedKey:
    wrapped: bytes
    kek_version: int


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Inventory entry of one KEK (evidence for PCI DSS v4.0.1 3.6/3.7)."""

    name: str
    provider: str
    key_id: str
    version: int
    min_decryption_version: int
    created_at: datetime | None
    last_rotated_at: datetime | None


@runtime_checkable
class KeyProvider(Protocol):
    """KEKs never leave the provider; data keys are generated and (un)wrapped by it.

    ``context`` is the encryption context a wrapped key is bound to (KMS
    EncryptionContext, AES-GCM associated data for the local keyring).
    """

    kind: str

    def ensure_key(self, key_name: str) -> None: ...

    def generate_data_key(self, key_name: str, context: KeyContext) -> DataKey: ...

    def decrypt_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> bytes: ...

    def rewrap_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> WrappedKey:
        """Wrap again under the newest KEK version (plaintext stays inside when possible)."""
        ...

    def rotate(self, key_name: str) -> int:
        """Create a new KEK version for new writes; returns it."""
        ...

    def retire_versions_below(self, key_name: str, version: int) -> None:
        """Refuse to unwrap anything wrapped under an older version."""
        ...

    def describe(self, key_name: str) -> KeyInfo: ...

    def list_keys(self) -> list[str]: ...
