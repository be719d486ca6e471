"""Builds the vault room from settings (field encryption, key providers, key management)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from audit import AuditRecorder
from policies import DecisionService, access_request
from trustplane.errors import ConfigurationError
from trustplane.keyfiles import key_file_errors
from trustplane.settings import Settings
from vault import (
    Accessor,
    Authorizer,
    BlindIndexer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    FieldDecision,
    KeyManager,
    KeyProvider,
    LocalKeyProvider,
    Pseudonymizer,
    VaultServices,
    load_or_create_key,
)
from vault.providers.kms import KmsKeyProvider
from vault.providers.transit import TransitKeyProvider
from vault.stores.sql import SqlDataKeyStore

DECRYPT_ACTION = "read"
ENTRY_POINT = "fields-decrypt"
RESOURCE_KEYS = frozenset({"region", "residency", "system"})


def build_key_provider(settings: Settings) -> KeyProvider:
    section = settings.vault
    if section.provider == "local":
        path = section.keyring_path or settings.keys_dir() / "vault-keyring.json"
        with key_file_errors():
            return LocalKeyProvider(path)
    if section.provider == "vault":
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

    return KmsKeyProvider(
        region=section.kms_region,
        endpoint_url=section.kms_endpoint_url,
        alias_prefix=section.kms_alias_prefix,
    )


def _key(path: Path | None, default: Path) -> bytes:
    with key_file_errors():
        return load_or_create_key(path or default)


def build_vault(
    settings: Settings,
    engine: Engine,
    audit: AuditRecorder,
    authorizer: Authorizer,
    provider: KeyProvider | None = None,
) -> VaultServices:
    """Every decrypt asks ``authorizer`` (the decision point: ``PolicyDecryptAuthorizer``)."""
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
        authorizer=authorizer,
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


class PolicyDecryptAuthorizer:
    """``vault.Authorizer`` backed by the decision point (``finsolve.authz``), one per field.

    subject = the caller, action = ``read``, resource = the field's place (type, owner,
    classification, the one field name), context = purpose, client IP, time and whatever
    the caller states (ticket, DSR id, consents, incident). Identical fields in one batch
    share a decision. Any failure of the decision point denies (fail closed).
    """

    def __init__(self, decisions: DecisionService) -> None:
        self._decisions = decisions

    def authorize_decrypt(
        self, accessor: Accessor, contexts: Sequence[FieldContext]
    ) -> Sequence[FieldDecision]:
        subject = _subject(accessor)
        context = _decision_context(accessor)
        answers: dict[tuple[str, str, str, int], FieldDecision] = {}
        decisions = []
        for field_context in contexts:
            key = (
                field_context.resource_type,
                field_context.field,
                field_context.owner_id,
                field_context.classification,
            )
            if key not in answers:
                answers[key] = self._decide(subject, field_context, context)
            decisions.append(answers[key])
        return decisions

    def _decide(
        self, subject: dict[str, Any], field_context: FieldContext, context: dict[str, Any]
    ) -> FieldDecision:
        resource: dict[str, Any] = {
            "type": field_context.resource_type,
            "classification": field_context.classification,
            "fields": [field_context.field],
        }
        if field_context.owner_id:
            resource["id"] = field_context.owner_id
            resource["owner_id"] = field_context.owner_id
        # where the data is kept and processed (DPDP s.16, rule 13; the system's region is
        # the data map's, ADR 0212)
        for key in RESOURCE_KEYS:
            if key in context:
                resource[key] = context[key]
        request = access_request(
            subject,
            DECRYPT_ACTION,
            resource,
            {k: v for k, v in context.items() if k not in RESOURCE_KEYS},
        )
        try:
            decision = self._decisions.decide(
                request, entry_point=ENTRY_POINT, requested_by=str(subject["id"])
            )
        except Exception:  # the decision point failing must deny, never allow or crash
            return FieldDecision(False, ("policy decision unavailable",))
        return FieldDecision(
            allow=decision.allow,
            reasons=tuple(decision.reasons),
            obligations=tuple(decision.obligations),
            decision_id=decision.decision_id,
        )


def _subject(accessor: Accessor) -> dict[str, Any]:
    actor = accessor.actor
    return {
        "id": actor.id,
        "type": actor.kind,
        "roles": sorted(actor.roles),
        "attributes": _json_safe(accessor.attributes),
    }


def _decision_context(accessor: Accessor) -> dict[str, Any]:
    context = _json_safe(accessor.context)
    context["purpose"] = accessor.purpose
    context["ip"] = accessor.origin.ip
    context["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return context


def _json_safe(values: Mapping[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            safe[key] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif value is None or isinstance(value, str | int | float | bool):
            safe[key] = value
        elif isinstance(value, list | tuple | set | frozenset):
            safe[key] = [str(item) for item in value]
        else:
            safe[key] = str(value)
    return safe


def field_keys_ready(services: VaultServices) -> Callable[[], None]:
    """Readiness: the field-encryption key is reachable at its provider."""
    cipher = services.cipher

    def field_keys() -> None:
        cipher.provider.describe(cipher.key_name)

    return field_keys
