"""Argon2id hashing of passwords and client secrets, and generation of new secrets."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class Argon2Params:
    """RFC 9106 second recommended option by default (64 MiB, t=3, p=4)."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4


class SecretHasher:
    """Hashes and verifies passwords and client secrets with argon2id."""

    def __init__(self, params: Argon2Params | None = None) -> None:
        params = params or Argon2Params()
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
        )
        # verified against when the account does not exist, so timing does not tell
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, stored_hash: str | None, secret: str) -> bool:
        """True when ``secret`` matches; ``stored_hash=None`` burns the same time, then fails."""
        try:
            matched = self._hasher.verify(stored_hash or self._decoy, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return matched and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def new_password() -> str:
    """A one-time password shown once to the new user (about 128 bits)."""
    return secrets.token_urlsafe(16)


def new_client_secret() -> str:
    """A client secret (256 bits), prefixed so secret scanners recognise it."""
    return "tps_" + secrets.token_urlsafe(32)


def new_opaque_token() -> str:
    """Session and CSRF tokens (256 bits)."""
    return secrets.token_urlsafe(32)
