"""Fixtures of the identity tests: a movable clock, cheap argon2, a wired service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, InMemoryAuditLog
from identity import (
    Argon2Params,
    IdentityConfig,
    IdentityService,
    KeySet,
    NewUser,
    SecretBox,
    SecretHasher,
    SigningKey,
    new_box_key,
    new_signing_key_pem,
)
from identity.totp import code_at

FAST_ARGON2 = Argon2Params(time_cost=1, memory_kib=8, parallelism=1)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hasher() -> SecretHasher:
    return SecretHasher(FAST_ARGON2)


@pytest.fixture
def keys() -> KeySet:
    return KeySet(SigningKey.from_pem(new_signing_key_pem()))


@pytest.fixture
def audit_log() -> InMemoryAuditLog:
    return InMemoryAuditLog()


@pytest.fixture
def config() -> IdentityConfig:
    return IdentityConfig(
        issuer="https://tp.test",
        audience="trustplane-test",
        token_ttl_seconds=900,
        leeway_seconds=5,
        session_idle_seconds=600,
        session_absolute_seconds=3600,
        lockout_threshold=3,
        lockout_seconds=300,
        secret_rotation_grace_seconds=0,
    )


@pytest.fixture
def service(
    engine: Engine,
    audit_log: InMemoryAuditLog,
    keys: KeySet,
    config: IdentityConfig,
    hasher: SecretHasher,
    clock: FakeClock,
) -> IdentityService:
    return IdentityService(
        engine, audit_log, keys, SecretBox(new_box_key()), config, hasher=hasher, clock=clock
    )


@dataclass
class Human:
    account: NewUser
    totp_secret: str

    def code(self, clock: FakeClock, offset_steps: int = 0) -> str:
        return code_at(self.totp_secret, clock() + timedelta(seconds=30 * offset_steps))


def totp_secret_of(uri: str) -> str:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(uri).query)["secret"][0]


@pytest.fixture
def human(service: IdentityService) -> Human:
    account = service.create_user("priya@finsolve.example", ["security"], SYSTEM_ACTOR)
    return Human(account, totp_secret_of(account.totp_uri))
