"""AES-256-GCM sealing of the TOTP seeds identity must be able to read back."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from identity.errors import IdentityError

KEY_BYTES = 32
NONCE_BYTES = 12


def new_box_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


class SecretBox:
    """Seals short secrets bound to an owner id (the GCM associated data)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise IdentityError("the TOTP sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, owner: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), owner.encode())
        return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, owner: str) -> str:
        version, _, body = sealed.partition(".")
        if version != "v1":
            raise IdentityError("unknown sealed secret version")
        raw = base64.urlsafe_b64decode(body.encode())
        plaintext = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.encode())
        return plaintext.decode()
