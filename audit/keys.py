"""Load-or-create helpers for the audit room's own keys (``audit.private_file``: 0600)."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from audit.errors import AuditError
from audit.private_file import load_or_create_private


def _new_signing_pem() -> bytes:
    fresh = Ed25519PrivateKey.generate()
    return fresh.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 checkpoint-signing key in ``path`` (PKCS#8 PEM), created on first use."""
    pem = load_or_create_private(path, _new_signing_pem)
    key = load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"{path.name} does not hold an Ed25519 private key")
    return key


def load_or_create_hmac_key(path: Path) -> bytes:
    """A 32-byte redaction HMAC key kept in ``path`` (hex), created on first use."""
    raw = load_or_create_private(path, lambda: secrets.token_hex(32).encode())
    try:
        key = bytes.fromhex(raw.decode().strip())
    except ValueError as exc:
        raise AuditError(f"{path.name} does not hold a hex HMAC key") from exc
    if len(key) < 16:
        raise AuditError(f"{path.name} holds a key shorter than 16 bytes")
    return key
