"""Access tokens: JWT (EdDSA) issuance and verification of trustplane's own tokens.

Tokens follow the JWT access token profile (RFC 9068): header ``typ`` ``at+jwt`` and
``kid`` = RFC 7638 thumbprint; claims ``iss``, ``aud``, ``sub`` (the client id),
``client_id``, ``roles``, ``jti``, ``iat``, ``exp``, and ``engagement_expires_at`` (RFC 3339
``Z``) when the account has an auditor engagement (ADR 0504). Time checks use the injected clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from identity.caller import AuthMethod, Caller, CallerKind
from identity.clock import Clock, utc_now
from identity.engagement import ATTRIBUTE as ENGAGEMENT_CLAIM
from identity.engagement import engagement_attributes
from identity.errors import AuthenticationError
from identity.keys import KeySet
from identity.roles import known_only

REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti"]


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    expires_at: datetime
    jti: str
    token_type: str = "Bearer"


def check_times(claims: Mapping[str, Any], now: datetime, leeway: int) -> None:
    """``exp`` in the future, ``iat``/``nbf`` not in the future (both within the leeway)."""
    moment = now.timestamp()
    try:
        exp = float(claims["exp"])
        iat = float(claims.get("iat", moment))
        nbf = float(claims.get("nbf", moment))
    except (KeyError, TypeError, ValueError) as exc:
        raise AuthenticationError("token time claims are malformed") from exc
    if exp <= moment - leeway:
        raise AuthenticationError("token expired")
    if iat > moment + leeway or nbf > moment + leeway:
        raise AuthenticationError("token not yet valid")


def decode_verified(
    token: str,
    key: Any,
    *,
    algorithms: list[str],
    issuer: str,
    audience: str,
    required: list[str] = REQUIRED_CLAIMS,
) -> dict[str, Any]:
    """Signature, issuer and audience checked; each failure a distinct 401 message."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            # times are checked against the injected clock (check_times)
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": required,
            },
        )
    except jwt.InvalidAudienceError as exc:
        raise AuthenticationError("token audience not accepted") from exc
    except jwt.InvalidIssuerError as exc:
        raise AuthenticationError("token issuer not accepted") from exc
    except jwt.InvalidSignatureError as exc:
        raise AuthenticationError("token signature invalid") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise AuthenticationError(f"token lacks the {exc.claim!r} claim") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationError("token malformed") from exc
    return claims


def unverified_header(token: str) -> dict[str, Any]:
    try:
        return dict(jwt.get_unverified_header(token))
    except jwt.PyJWTError as exc:
        raise AuthenticationError("token malformed") from exc


def roles_claim(value: Any) -> frozenset[str]:
    """Roles as a JSON list or a space-separated string; unknown roles are dropped."""
    if isinstance(value, str):
        return known_only(value.split())
    if isinstance(value, list):
        return known_only(str(role) for role in value)
    return frozenset()


class TokenService:
    """Issues and verifies trustplane's own access tokens."""

    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        leeway_seconds: int,
        clock: Clock = utc_now,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self.leeway_seconds = leeway_seconds
        self._clock = clock

    def issue(
        self,
        client_id: str,
        roles: Iterable[str],
        engagement_expires_at: datetime | None = None,
    ) -> IssuedToken:
        now = self._clock()
        expires_at = now + timedelta(seconds=self.ttl_seconds)
        jti = str(uuid.uuid4())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client_id,
            "client_id": client_id,
            "roles": sorted(roles),
            "jti": jti,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            **engagement_attributes(engagement_expires_at),
        }
        signing = self.keys.signing
        token = jwt.encode(
            claims,
            signing.private_key,
            algorithm="EdDSA",
            headers={"kid": signing.kid, "typ": "at+jwt"},
        )
        return IssuedToken(token, self.ttl_seconds, expires_at, jti)

    def owns(self, header: Mapping[str, Any]) -> bool:
        kid = header.get("kid")
        return isinstance(kid, str) and self.keys.find(kid) is not None

    def verify(self, token: str, header: Mapping[str, Any]) -> Caller:
        kid = header.get("kid")
        key = self.keys.find(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthenticationError("token signed by an unknown key")
        if header.get("alg") != "EdDSA":
            raise AuthenticationError("token algorithm not accepted")
        claims = decode_verified(
            token,
            key.public_key,
            algorithms=["EdDSA"],
            issuer=self.issuer,
            audience=self.audience,
        )
        check_times(claims, self._clock(), self.leeway_seconds)
        attributes: dict[str, Any] = {"jti": claims["jti"], "issuer": self.issuer}
        engagement = claims.get(ENGAGEMENT_CLAIM)
        if isinstance(engagement, str):
            attributes[ENGAGEMENT_CLAIM] = engagement
        return Caller(
            id=str(claims["sub"]),
            kind=CallerKind.SERVICE,
            roles=roles_claim(claims.get("roles")),
            auth_method=AuthMethod.BEARER,
            attributes=attributes,
        )
