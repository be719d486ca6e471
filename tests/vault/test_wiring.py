"""The composition root builds the vault with each provider from settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from audit import InMemoryAuditLog
from tests.services import Server
from trustplane.errors import ConfigurationError
from trustplane.settings import Settings
from trustplane.wiring.vault import build_key_provider, build_vault
from vault import AllowAllAuthorizer, FieldContext, LocalKeyProvider
from vault.providers.kms import KmsKeyProvider
from vault.providers.transit import TransitKeyProvider

CTX = FieldContext("customer_profile", "email", "c-1", 3, "finsolve")


def _round_trip(settings: Settings, engine: Engine) -> None:
    services = build_vault(settings, engine, InMemoryAuditLog(), AllowAllAuthorizer())
    ciphertext = services.cipher.encrypt("a@example.com", CTX)
    services.cipher.cache.clear()
    assert services.cipher.open(ciphertext, CTX) == "a@example.com"
    assert (settings.data_dir / "keys" / "vault-blind-index.key").stat().st_mode & 0o777 == 0o600


def test_local_provider_by_default(tmp_path: Path, engine: Engine) -> None:
    settings = Settings(data_dir=tmp_path)
    assert isinstance(build_key_provider(settings), LocalKeyProvider)
    _round_trip(settings, engine)


@pytest.mark.openbao
def test_vault_provider_from_settings(tmp_path: Path, engine: Engine, openbao: Server) -> None:
    settings = Settings(
        data_dir=tmp_path,
        vault={"provider": "vault", "vault_url": openbao.url, "vault_token": openbao.env["token"]},
    )
    provider = build_key_provider(settings)
    assert isinstance(provider, TransitKeyProvider)
    provider.ensure_mount()
    _round_trip(settings, engine)


def test_vault_provider_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        build_key_provider(Settings(data_dir=tmp_path, vault={"provider": "vault"}))


@pytest.mark.moto
def test_kms_provider_from_settings(tmp_path: Path, engine: Engine, moto_url: str) -> None:
    settings = Settings(
        data_dir=tmp_path,
        vault={"provider": "aws-kms", "kms_region": "ap-south-1", "kms_endpoint_url": moto_url},
    )
    assert isinstance(build_key_provider(settings), KmsKeyProvider)
    _round_trip(settings, engine)
