"""External OIDC issuers: JWKS fetched over HTTP (httpx MockTransport), cached, refreshed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from identity import (
    AuthenticationError,
    CallerKind,
    ExternalIssuers,
    HttpJwksFetcher,
    JwksCache,
    KeySet,
    SigningKey,
    TrustedIssuer,
)
from identity.keys import new_signing_key_pem
from identity.tokens import TokenService, unverified_header
from tests.identity.conftest import FakeClock

ISSUER = "https://login.finsolve.example"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"


class Idp:
    """A tiny identity provider: an EC P-256 key, its JWKS served through a MockTransport."""

    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.requests = 0
        self.down = False
        self.add_key("k1")

    def add_key(self, kid: str) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": "ES256", "use": "sig"})
        return {"keys": keys}

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            return httpx.Response(503)
        assert str(request.url) == JWKS_URL
        return httpx.Response(200, json=self.jwks())

    def token(self, clock: FakeClock, kid: str = "k1", **claims: Any) -> str:
        now = int(clock().timestamp())
        payload = {
            "iss": ISSUER,
            "aud": "trustplane",
            "sub": "u-42",
            "exp": now + 300,
            "iat": now,
            "groups": ["auditor", "not-a-role"],
        }
        payload.update(claims)
        return jwt.encode(payload, self.keys[kid], algorithm="ES256", headers={"kid": kid})


@pytest.fixture
def idp() -> Idp:
    return Idp()


@pytest.fixture
def issuers(idp: Idp, clock: FakeClock) -> ExternalIssuers:
    fetcher = HttpJwksFetcher(transport=httpx.MockTransport(idp.handler))
    trusted = TrustedIssuer(
        issuer=ISSUER, jwks_url=JWKS_URL, audience="trustplane", roles_claim="groups"
    )
    return ExternalIssuers(
        [trusted], JwksCache(fetcher, ttl_seconds=300, clock=clock), leeway_seconds=5, clock=clock
    )


def check(issuers: ExternalIssuers, token: str) -> Any:
    return issuers.verify(token, unverified_header(token))


def test_trusted_issuer_token_becomes_a_caller(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    caller = check(issuers, idp.token(clock))
    assert caller.id == f"oidc:{ISSUER}#u-42"
    assert caller.kind is CallerKind.USER
    assert caller.roles == {"auditor"}  # unknown roles dropped


def test_jwks_is_cached_then_refreshed_after_ttl(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    for _ in range(3):
        check(issuers, idp.token(clock))
    assert idp.requests == 1
    clock.advance(301)
    check(issuers, idp.token(clock))
    assert idp.requests == 2


def test_unknown_kid_refetches_once_per_interval(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    check(issuers, idp.token(clock))
    idp.add_key("k2")
    with pytest.raises(AuthenticationError, match="unknown key"):  # too soon to refetch
        check(issuers, idp.token(clock, kid="k2"))
    clock.advance(31)
    assert check(issuers, idp.token(clock, kid="k2")).roles == {"auditor"}
    assert idp.requests == 2


def test_outage_keeps_serving_cached_keys(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    check(issuers, idp.token(clock))
    idp.down = True
    clock.advance(400)
    assert check(issuers, idp.token(clock))


def test_outage_without_cached_keys_refuses(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    idp.down = True
    with pytest.raises(AuthenticationError, match="unavailable"):
        check(issuers, idp.token(clock))


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
    ],
)
def test_wrong_audience_or_issuer_is_refused(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock, claims: dict[str, str], message: str
) -> None:
    with pytest.raises(AuthenticationError, match=message):
        check(issuers, idp.token(clock, **claims))


def test_expired_external_token_is_refused(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    token = idp.token(clock)
    clock.advance(306)
    with pytest.raises(AuthenticationError, match="expired"):
        check(issuers, token)


def test_token_signed_by_another_key_under_a_known_kid_is_refused(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    check(issuers, idp.token(clock))
    impostor = ec.generate_private_key(ec.SECP256R1())
    claims = jwt.decode(idp.token(clock), options={"verify_signature": False})
    forged = jwt.encode(claims, impostor, algorithm="ES256", headers={"kid": "k1"})
    with pytest.raises(AuthenticationError, match="signature"):
        check(issuers, forged)


def test_algorithm_outside_the_allow_list_is_refused(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock
) -> None:
    claims = jwt.decode(idp.token(clock), options={"verify_signature": False})
    hmac_token = jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(AuthenticationError, match="algorithm"):
        check(issuers, hmac_token)


def test_identity_service_routes_tokens_by_key(
    issuers: ExternalIssuers, idp: Idp, clock: FakeClock, engine: Any, audit_log: Any
) -> None:
    from identity import IdentityConfig, IdentityService, SecretBox, new_box_key

    keys = KeySet(SigningKey.from_pem(new_signing_key_pem()))
    config = IdentityConfig(issuer="https://tp.test", audience="tp")
    service = IdentityService(
        engine, audit_log, keys, SecretBox(new_box_key()), config, external=issuers, clock=clock
    )
    own = TokenService(
        keys, issuer="https://tp.test", audience="tp", ttl_seconds=60, leeway_seconds=0, clock=clock
    ).issue("tpc_x", {"service"})
    assert service.authenticate_bearer(own.access_token).kind is CallerKind.SERVICE
    assert service.authenticate_bearer(idp.token(clock)).kind is CallerKind.USER
    with pytest.raises(AuthenticationError):
        service.authenticate_bearer(idp.token(clock, iss="https://tp.test"))
    # the web layer checks our own tokens on the event loop, external ones in the threadpool
    assert not service.bearer_needs_io(own.access_token)
    assert service.bearer_needs_io(idp.token(clock))
    assert not service.bearer_needs_io("not-a-jwt")  # refused without any I/O
    without_external = IdentityService(
        engine, audit_log, keys, SecretBox(new_box_key()), config, clock=clock
    )
    assert not without_external.bearer_needs_io(idp.token(clock))
