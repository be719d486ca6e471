"""Builds the vault room from settings (field encryption, key providers, key management)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from audit import AuditRecorder
from trustplane.errors import ConfigurationError
from trustplane.settings import Settings
from vault import (
    AllowAllAuthorizer,
    Authorizer,
    BlindIndexer,
    DataKeyCache,
    FieldCipher,
    KeyManager,
    KeyProvider,
    LocalKeyProvider,
    Pseudonymizer,
    VaultServices,
    load_or_create_key,
)
from vault.sql_store import SqlDataKeyStore


def build_key_provider(settings: Settings) -> KeyProvider:
    section = settings.vault
    if section.provider == "local":
        path = section.keyring_path or settings.keys_dir() / "vault-keyring.json"
        return LocalKeyProvider(path)
    if section.provider == "vault":
        from vault.transit_provider import TransitKeyProvider

        if not section.vault_url:
            raise ConfigurationError("TRUSTPLANE_VAULT__VAULT_URL is required for provider vault")
        return TransitKeyProvider(
            section.vault_url,
            token=section.vault_token.get_secret_value() if section.vault_token else None,
            role_id=section.vault_role_id,
            secret_id=(
                section.vault_secret_id.get_secret_value() if section.vault_secret_id else None
            ),
            mount_point=section.vault_mount,
            namespace=section.vault_namespace,
        )
    from vault.kms_provider import KmsKeyProvider

    return KmsKeyProvider(
        region=section.kms_region,
        endpoint_url=section.kms_endpoint_url,
        alias_prefix=section.kms_alias_prefix,
    )


def _key(path: Path | None, default: Path) -> bytes:
    return load_or_create_key(path or default)


def build_vault(
    settings: Settings,
    engine: Engine,
    audit: AuditRecorder,
    authorizer: Authorizer | None = None,
    provider: KeyProvider | None = None,
) -> VaultServices:
    """The decision point is plugged in as ``authorizer`` once present (policies room)."""
    section = settings.vault
    provider = provider or build_key_provider(settings)
    store = SqlDataKeyStore(engine)
    cache = DataKeyCache(
        max_values=section.cache_max_values,
        max_age_seconds=section.cache_max_age_seconds,
        max_entries=section.cache_max_entries,
    )
    keys_dir = settings.keys_dir()
    pseudonymizer = Pseudonymizer(
        _key(section.pseudonym_key_path, keys_dir / "vault-pseudonym.key"), section.tenant
    )
    cipher = FieldCipher(
        provider,
        store,
        audit,
        key_name=section.key_name,
        cache=cache,
        authorizer=authorizer or AllowAllAuthorizer(),
        pseudonymizer=pseudonymizer,
        subject_keys=section.subject_keys,
        max_batch=section.max_batch,
    )
    return VaultServices(
        cipher=cipher,
        keys=KeyManager(provider, store, audit, cache, key_names=[section.key_name]),
        blind_index=BlindIndexer(
            _key(section.blind_index_key_path, keys_dir / "vault-blind-index.key"),
            section.blind_index_bits,
        ),
        pseudonymizer=pseudonymizer,
        tenant=section.tenant,
    )
