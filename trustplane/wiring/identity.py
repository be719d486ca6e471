"""Composition of the identity room: keys from 0600 files (created at first run), settings."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from audit import AuditRecorder
from identity import (
    Argon2Params,
    CallerKind,
    ExternalIssuers,
    HttpJwksFetcher,
    IdentityConfig,
    IdentityService,
    JwksCache,
    KeySet,
    SecretBox,
    SecretHasher,
    SigningKey,
    TrustedIssuer,
    new_box_key,
    new_signing_key_pem,
)
from trustplane.keyfiles import load_or_create
from trustplane.settings import Settings


def build_identity(settings: Settings, engine: Engine, audit: AuditRecorder) -> IdentityService:
    """The identity room: keys from 0600 files (created at first run), settings as values."""
    section = settings.identity
    keys_dir = settings.keys_dir()
    signing_pem = load_or_create(
        section.signing_key_path or keys_dir / "identity-signing.pem", new_signing_key_pem
    )
    box_key = load_or_create(section.totp_key_path or keys_dir / "identity-totp.key", new_box_key)
    config = IdentityConfig(
        issuer=section.issuer,
        audience=section.audience,
        token_ttl_seconds=section.token_ttl_seconds,
        leeway_seconds=section.leeway_seconds,
        session_idle_seconds=section.session_idle_seconds,
        session_absolute_seconds=section.session_absolute_seconds,
        lockout_threshold=section.lockout_threshold,
        lockout_seconds=section.lockout_seconds,
        totp_issuer=section.totp_issuer,
        secret_rotation_grace_seconds=section.secret_rotation_grace_seconds,
    )
    hasher = SecretHasher(
        Argon2Params(
            time_cost=section.argon2_time_cost,
            memory_kib=section.argon2_memory_kib,
            parallelism=section.argon2_parallelism,
        )
    )
    client_hasher = SecretHasher(
        Argon2Params(
            time_cost=section.client_secret_argon2_time_cost,
            memory_kib=section.client_secret_argon2_memory_kib,
            parallelism=section.client_secret_argon2_parallelism,
        )
    )
    return IdentityService(
        engine,
        audit,
        KeySet(SigningKey.from_pem(signing_pem)),
        SecretBox(box_key),
        config,
        hasher=hasher,
        client_hasher=client_hasher,
        external=_external_issuers(settings) if section.oidc_issuers else None,
    )


def _external_issuers(settings: Settings) -> ExternalIssuers:
    section = settings.identity
    trusted = [
        TrustedIssuer(
            issuer=issuer.issuer,
            jwks_url=issuer.jwks_url,
            audience=issuer.audience,
            roles_claim=issuer.roles_claim,
            caller_kind=CallerKind(issuer.caller_kind),
            algorithms=tuple(issuer.algorithms),
        )
        for issuer in section.oidc_issuers
    ]
    cache = JwksCache(HttpJwksFetcher(), section.oidc_jwks_cache_seconds)
    return ExternalIssuers(trusted, cache, leeway_seconds=section.leeway_seconds)
