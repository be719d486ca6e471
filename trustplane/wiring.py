"""Composition root: builds each room's service from settings and plugs ports together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import text
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
from trustplane.db import make_engine
from trustplane.identity_demo import seed_identity_demo
from trustplane.keyfiles import load_or_create
from trustplane.policy_wiring import wire_policies
from trustplane.settings import Settings
from trustplane.wiring_audit import build_audit, wire_audit
from trustplane.wiring_controls import build_controls, build_platform, build_scheduler
from trustplane.wiring_privacy import wire_privacy
from trustplane.wiring_vault import (
    build_vault,
    wire_decrypt_authorization,
    wire_vault_readiness,
)
from web.deps import CallerAuthenticator
from web.gate import RoleGate, RouteGate
from web.ratelimit import TokenBucketLimiter


@dataclass
class Container:
    """Every long-lived service of one trustplane process."""

    settings: Settings
    engine: Engine
    audit: AuditRecorder
    authenticator: CallerAuthenticator
    gate: RouteGate
    limiter: TokenBucketLimiter
    extras: dict[str, Any] = field(default_factory=dict)
    readiness: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    demo_seeders: list[Callable[[], list[str]]] = field(default_factory=list)

    def readiness_checks(self) -> list[tuple[str, Callable[[], None]]]:
        return [("database", self._database_reachable), *self.readiness]

    def _database_reachable(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        from trustplane.policy_wiring import close_policies

        close_policies(self)
        closer = getattr(self.audit, "close", None)
        if callable(closer):
            closer()
        self.engine.dispose()


def build_authenticator(
    settings: Settings, engine: Engine, audit: AuditRecorder
) -> CallerAuthenticator:
    return build_identity(settings, engine, audit)


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


def build_container(settings: Settings, engine: Engine | None = None) -> Container:
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = engine or make_engine(settings.effective_database_url)
    audit = build_audit(settings, engine)
    identity = build_identity(settings, engine, audit)
    container = Container(
        settings=settings,
        engine=engine,
        audit=audit,
        authenticator=identity,
        gate=RoleGate(),
        limiter=TokenBucketLimiter(
            settings.web.rate_limit_per_second, settings.web.rate_limit_burst
        ),
    )
    wire_audit(container)
    container.demo_seeders.append(partial(seed_identity_demo, identity))
    container.extras["vault"] = build_vault(settings, engine, audit)
    wire_vault_readiness(container)
    wire_policies(container)
    wire_decrypt_authorization(container)
    wire_privacy(container)
    controls = build_controls(settings, engine, audit, platform=build_platform(container))
    container.extras["controls"] = controls
    container.extras["controls_scheduler"] = build_scheduler(settings, controls)
    return container
