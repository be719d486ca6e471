"""Trusting external OpenID Connect issuers: their JWKS (fetched with httpx, cached)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import jwt

from identity.caller import AuthMethod, Caller
from identity.clock import Clock, utc_now
from identity.config import TrustedIssuer
from identity.errors import AuthenticationError
from identity.tokens import check_times, decode_verified, roles_claim

MIN_REFRESH_SECONDS = 30
EXTERNAL_REQUIRED_CLAIMS = [
    "iss",
    "aud",
    "sub",
    "exp",
]  # an unknown kid triggers at most one refetch per this interval


class JwksFetcher(Protocol):
    def fetch(self, url: str) -> Mapping[str, Any]: ...


class HttpJwksFetcher:
    """Fetches a JWKS document over HTTP(S); inject a transport to test without a network."""

    def __init__(self, timeout: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def fetch(self, url: str) -> Mapping[str, Any]:
        response = self._client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWKS document")
        return document

    def close(self) -> None:
        self._client.close()


@dataclass
class _CachedKeys:
    fetched_at: datetime
    by_kid: dict[str, dict[str, Any]]


class JwksCache:
    """Keys per JWKS URL, refreshed after ``ttl_seconds`` or on an unknown ``kid``."""

    def __init__(self, fetcher: JwksFetcher, ttl_seconds: int, clock: Clock = utc_now) -> None:
        self._fetcher = fetcher
        self._ttl = timedelta(seconds=ttl_seconds)
        self._min_refresh = timedelta(seconds=MIN_REFRESH_SECONDS)
        self._clock = clock
        self._cache: dict[str, _CachedKeys] = {}
        self._lock = threading.Lock()

    def key(self, jwks_url: str, kid: str) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            cached = self._cache.get(jwks_url)
            stale = cached is None or now - cached.fetched_at >= self._ttl
            unknown = cached is not None and kid not in cached.by_kid
            may_refresh = cached is None or now - cached.fetched_at >= self._min_refresh
            if stale or (unknown and may_refresh):
                cached = self._refresh(jwks_url, now, cached)
            assert cached is not None  # _refresh returns or raises
            found = cached.by_kid.get(kid)
        if found is None:
            raise AuthenticationError("token signed by an unknown key")
        return found

    def _refresh(self, url: str, now: datetime, previous: _CachedKeys | None) -> _CachedKeys:
        try:
            document = self._fetcher.fetch(url)
        except (httpx.HTTPError, ValueError) as exc:
            if previous is not None:  # keep serving the keys we have
                return previous
            raise AuthenticationError("the token issuer's keys are unavailable") from exc
        keys = [key for key in document.get("keys", []) if isinstance(key, dict)]
        fresh = _CachedKeys(now, {str(key["kid"]): key for key in keys if "kid" in key})
        self._cache[url] = fresh
        return fresh


class ExternalIssuers:
    """Verifies access tokens from the configured external issuers."""

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        cache: JwksCache,
        *,
        leeway_seconds: int,
        clock: Clock = utc_now,
    ) -> None:
        self._by_issuer = {issuer.issuer: issuer for issuer in issuers}
        self._cache = cache
        self._leeway = leeway_seconds
        self._clock = clock

    def __bool__(self) -> bool:
        return bool(self._by_issuer)

    def verify(self, token: str, header: Mapping[str, Any]) -> Caller:
        trusted = self._trusted_issuer(token)
        kid, alg = header.get("kid"), header.get("alg")
        if not isinstance(kid, str) or alg not in trusted.algorithms:
            raise AuthenticationError("token algorithm or key id not accepted")
        jwk = self._cache.key(trusted.jwks_url, kid)
        if jwk.get("alg") not in (None, alg):
            raise AuthenticationError("token algorithm does not match its key")
        try:
            public_key = jwt.PyJWK(jwk, algorithm=str(alg)).key
        except jwt.PyJWTError as exc:
            raise AuthenticationError("the issuer published an unusable key") from exc
        claims = decode_verified(
            token,
            public_key,
            algorithms=[str(alg)],
            issuer=trusted.issuer,
            audience=trusted.audience,
            required=EXTERNAL_REQUIRED_CLAIMS,
        )
        check_times(claims, self._clock(), self._leeway)
        return Caller(
            id=f"oidc:{trusted.issuer}#{claims['sub']}",
            kind=trusted.caller_kind,
            roles=roles_claim(claims.get(trusted.roles_claim)),
            auth_method=AuthMethod.BEARER,
            attributes={"issuer": trusted.issuer, "jti": claims.get("jti")},
        )

    def _trusted_issuer(self, token: str) -> TrustedIssuer:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthenticationError("token malformed") from exc
        trusted = self._by_issuer.get(str(unverified.get("iss")))
        if trusted is None:
            raise AuthenticationError("token issuer not accepted")
        return trusted
