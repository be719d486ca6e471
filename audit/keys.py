"""Load-or-create helpers for the audit room's own keys (files created with mode 0600)."""

from __future__ import annotations

import os
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


def _create_exclusive(path: Path, data: bytes) -> bool:
    """Write ``data`` to a new file with mode 0600; False if the file already exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 checkpoint-signing key in ``path`` (PKCS#8 PEM), created on first use."""
    fresh = Ed25519PrivateKey.generate()
    pem = fresh.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    if _create_exclusive(path, pem):
        return fresh
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"{path.name} does not hold an Ed25519 private key")
    return key


def load_or_create_hmac_key(path: Path) -> bytes:
    """A 32-byte redaction HMAC key kept in ``path`` (hex), created on first use."""
    if _create_exclusive(path, secrets.token_hex(32).encode()):
        pass
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise AuditError(f"{path.name} does not hold a hex HMAC key") from exc
    if len(key) < 16:
        raise AuditError(f"{path.name} holds a key shorter than 16 bytes")
    return key
