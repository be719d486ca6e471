"""Plain configuration values the composition root hands to the identity services."""

from __future__ import annotations

from dataclasses import dataclass, field

from identity.caller import CallerKind


@dataclass(frozen=True)
class IdentityConfig:
    issuer: str = "https://trustplane.local"
    audience: str = "trustplane"
    token_ttl_seconds: int = 900
    leeway_seconds: int = 10
    session_idle_seconds: int = 900
    session_absolute_seconds: int = 28_800
    lockout_threshold: int = 5
    lockout_seconds: int = 900
    totp_issuer: str = "trustplane"
    secret_rotation_grace_seconds: int = 0


@dataclass(frozen=True)
class TrustedIssuer:
    """An external OpenID Connect issuer whose access tokens identify callers."""

    issuer: str
    jwks_url: str
    audience: str
    roles_claim: str = "roles"
    caller_kind: CallerKind = CallerKind.USER
    algorithms: tuple[str, ...] = field(default=("RS256", "ES256", "EdDSA", "PS256"))
