"""The Ed25519 key that signs access tokens, its RFC 7638 ``kid`` and the JWKS document."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from identity.errors import IdentityError


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_signing_key_pem() -> bytes:
    """A fresh Ed25519 private key as unencrypted PKCS#8 PEM (written 0600 by the caller)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    required = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    return b64url(hashlib.sha256(canonical).digest())


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    public_key: Ed25519PublicKey

    def jwk(self) -> dict[str, str]:
        return {**public_jwk(self.public_key), "kid": self.kid, "alg": "EdDSA", "use": "sig"}


class SigningKey:
    """The active token signing key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.kid = jwk_thumbprint(public_jwk(private_key.public_key()))

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        loaded = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise IdentityError("the token signing key must be an Ed25519 private key")
        return cls(loaded)

    def verification_key(self) -> VerificationKey:
        return VerificationKey(self.kid, self.private_key.public_key())


class KeySet:
    """The signing key plus retired public keys still accepted while their tokens live."""

    def __init__(self, signing: SigningKey, retired: list[VerificationKey] | None = None) -> None:
        self.signing = signing
        keys = [signing.verification_key(), *(retired or [])]
        self._by_kid = {key.kid: key for key in keys}

    def find(self, kid: str) -> VerificationKey | None:
        return self._by_kid.get(kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self._by_kid.values()]}
