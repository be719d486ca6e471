"""Key providers against the real servers: OpenBao transit and moto (KMS), and the keyring."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import hvac
import pytest

from audit import InMemoryAuditLog
from tests.services import Server
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    InMemoryDataKeyStore,
    KeyProvider,
    LocalKeyProvider,
    ProviderError,
    TamperedCiphertextError,
    UnknownKeyError,
    UnknownKeyVersionError,
    UnsupportedOperationError,
)
from vault.providers.kms import KmsKeyProvider
from vault.providers.transit import TransitKeyProvider

CONTEXT = {"tenant": "finsolve", "purpose": "trustplane-field-dek"}


def _transit(openbao: Server) -> TransitKeyProvider:
    provider = TransitKeyProvider(openbao.url, token=openbao.env["token"])
    provider.ensure_mount()
    return provider


def _round_trip(provider: KeyProvider, name: str) -> None:
    provider.ensure_key(name)
    provider.ensure_key(name)  # idempotent
    data_key = provider.generate_data_key(name, CONTEXT)
    assert len(data_key.plaintext) == 32
    assert data_key.plaintext not in data_key.wrapped
    assert provider.decrypt_data_key(name, data_key.wrapped, CONTEXT) == data_key.plaintext
    first = provider.describe(name)
    assert first.version == data_key.kek_version == 1
    assert name in provider.list_keys()
    assert provider.rotate(name) == 2
    rewrapped = provider.rewrap_data_key(name, data_key.wrapped, CONTEXT)
    assert rewrapped.kek_version == 2
    assert provider.decrypt_data_key(name, rewrapped.wrapped, CONTEXT) == data_key.plaintext
    assert provider.generate_data_key(name, CONTEXT).kek_version == 2
    info = provider.describe(name)
    assert info.version == 2
    assert info.last_rotated_at is not None
    assert info.created_at is not None


def test_local_keyring_round_trip_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "keyring.json"
    provider = LocalKeyProvider(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _round_trip(provider, "fields")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = LocalKeyProvider(path)  # versions survive a restart
    assert reopened.describe("fields").version == 2


def test_local_keyring_binds_context_and_retires(local_provider: LocalKeyProvider) -> None:
    local_provider.ensure_key("k")
    old = local_provider.generate_data_key("k", CONTEXT)
    with pytest.raises(TamperedCiphertextError):
        local_provider.decrypt_data_key("k", old.wrapped, {**CONTEXT, "tenant": "x"})
    with pytest.raises(TamperedCiphertextError):
        local_provider.decrypt_data_key("k", old.wrapped[:10], CONTEXT)
    with pytest.raises(UnknownKeyError):
        local_provider.generate_data_key("missing", CONTEXT)
    local_provider.rotate("k")
    local_provider.retire_versions_below("k", 2)
    with pytest.raises(UnknownKeyVersionError):
        local_provider.decrypt_data_key("k", old.wrapped, CONTEXT)
    assert local_provider.describe("k").min_decryption_version == 2


@pytest.mark.openbao
def test_openbao_transit_round_trip_rotation_and_retirement(openbao: Server) -> None:
    provider = _transit(openbao)
    name = f"fields-{uuid.uuid4().hex[:8]}"
    _round_trip(provider, name)
    old = provider.generate_data_key(name, CONTEXT)
    provider.rotate(name)
    provider.retire_versions_below(name, 3)
    assert provider.describe(name).min_decryption_version == 3
    with pytest.raises(UnknownKeyVersionError):
        provider.decrypt_data_key(name, old.wrapped, CONTEXT)
    with pytest.raises(TamperedCiphertextError):
        provider.decrypt_data_key(name, b"vault:v3:bm90LWEtY2lwaGVydGV4dA==", CONTEXT)
    with pytest.raises(TamperedCiphertextError):
        provider.decrypt_data_key(name, b"garbage", CONTEXT)
    with pytest.raises(UnknownKeyError):
        provider.describe("no-such-key")


@pytest.mark.openbao
def test_openbao_approle_login_and_field_cipher(openbao: Server) -> None:
    root = hvac.Client(url=openbao.url, token=openbao.env["token"])
    _transit(openbao).ensure_key("fields-approle")
    auths = root.sys.list_auth_methods()
    if "approle/" not in auths.get("data", auths):
        root.sys.enable_auth_method("approle")
    root.sys.create_or_update_policy(
        "tp-fields",
        'path "transit/*" { capabilities = ["create", "read", "update", "list"] }',
    )
    root.auth.approle.create_or_update_approle("tp", token_policies=["tp-fields"])
    role_id = root.auth.approle.read_role_id("tp")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id("tp")["data"]["secret_id"]
    provider = TransitKeyProvider(openbao.url, role_id=role_id, secret_id=secret_id)
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        key_name="fields-approle",
        authorizer=AllowAllAuthorizer(),
    )
    context = FieldContext("customer_profile", "pan", "c-1", 3, "finsolve")
    ciphertext = cipher.encrypt("ABCDE1234F", context)
    cipher.cache.clear()  # force an unwrap through transit
    assert cipher.open(ciphertext, context) == "ABCDE1234F"
    with pytest.raises(ProviderError):
        TransitKeyProvider(openbao.url, role_id=role_id, secret_id="wrong")
    with pytest.raises(ProviderError):
        TransitKeyProvider(openbao.url)


@pytest.mark.moto
def test_aws_kms_round_trip_with_encryption_context(moto_url: str) -> None:
    provider = KmsKeyProvider(region="ap-south-1", endpoint_url=moto_url)
    _round_trip(provider, "fields")
    data_key = provider.generate_data_key("fields", CONTEXT)
    with pytest.raises(TamperedCiphertextError):
        provider.decrypt_data_key("fields", data_key.wrapped, {**CONTEXT, "tenant": "other"})
    with pytest.raises(UnsupportedOperationError):
        provider.retire_versions_below("fields", 2)
    with pytest.raises(UnknownKeyError):
        provider.generate_data_key("missing", CONTEXT)


@pytest.mark.moto
def test_aws_kms_field_cipher_end_to_end(moto_url: str) -> None:
    provider = KmsKeyProvider(region="ap-south-1", endpoint_url=moto_url)
    cipher = FieldCipher(
        provider,
        InMemoryDataKeyStore(),
        InMemoryAuditLog(),
        cache=DataKeyCache(),
        authorizer=AllowAllAuthorizer(),
    )
    context = FieldContext("customer_profile", "phone", "c-2", 3, "finsolve")
    ciphertext = cipher.encrypt("+919876543210", context)
    cipher.cache.clear()
    assert cipher.open(ciphertext, context) == "+919876543210"
