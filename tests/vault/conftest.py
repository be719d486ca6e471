"""Shared builders for the vault tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import InMemoryAuditLog
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    InMemoryDataKeyStore,
    LocalKeyProvider,
)


@pytest.fixture
def audit_log() -> InMemoryAuditLog:
    return InMemoryAuditLog()


@pytest.fixture
def local_provider(tmp_path: Path) -> LocalKeyProvider:
    return LocalKeyProvider(tmp_path / "keys" / "keyring.json")


@pytest.fixture
def cipher(local_provider: LocalKeyProvider, audit_log: InMemoryAuditLog) -> FieldCipher:
    return FieldCipher(
        local_provider,
        InMemoryDataKeyStore(),
        audit_log,
        cache=DataKeyCache(),
        authorizer=AllowAllAuthorizer(),
    )
