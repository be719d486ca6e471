"""Access tokens: issuance, verification and every way a token must be refused."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import KNOWN_ROLES, AuthenticationError, CallerKind, KeySet, SigningKey
from identity.keys import jwk_thumbprint, new_signing_key_pem
from identity.tokens import TokenService, unverified_header
from tests.identity.conftest import FakeClock


def make_tokens(keys: KeySet, clock: FakeClock, **overrides: object) -> TokenService:
    options: dict[str, object] = {
        "issuer": "https://tp.test",
        "audience": "trustplane-test",
        "ttl_seconds": 900,
        "leeway_seconds": 5,
    }
    options.update(overrides)
    return TokenService(keys, clock=clock, **options)  # type: ignore[arg-type]


def verify(tokens: TokenService, token: str) -> object:
    return tokens.verify(token, unverified_header(token))


def test_round_trip_gives_a_service_caller(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    issued = tokens.issue("tpc_abc", {"service", "svc:payments"})
    caller = tokens.verify(issued.access_token, unverified_header(issued.access_token))
    assert caller.id == "tpc_abc"
    assert caller.kind is CallerKind.SERVICE
    assert caller.roles == {"service", "svc:payments"}
    assert issued.expires_in == 900
    header = jwt.get_unverified_header(issued.access_token)
    assert header == {"alg": "EdDSA", "kid": keys.signing.kid, "typ": "at+jwt"}
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "sub", "client_id", "roles", "jti", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == 900


def test_expired_token_is_refused(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    issued = tokens.issue("tpc_abc", {"service"})
    clock.advance(900 + 5)
    with pytest.raises(AuthenticationError, match="expired"):
        verify(tokens, issued.access_token)


def test_token_inside_leeway_still_accepted(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    issued = tokens.issue("tpc_abc", {"service"})
    clock.advance(900 + 4)
    assert verify(tokens, issued.access_token)


def test_token_from_the_future_is_refused(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    issued = tokens.issue("tpc_abc", {"service"})
    clock.advance(-60)
    with pytest.raises(AuthenticationError, match="not yet valid"):
        verify(tokens, issued.access_token)


def _swap_payload(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_tampered_claims_are_refused(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    issued = tokens.issue("tpc_abc", {"service"})
    forged = _swap_payload(issued.access_token, roles=["admin"])
    with pytest.raises(AuthenticationError, match="signature"):
        verify(tokens, forged)


def test_tampered_signature_is_refused(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    token = tokens.issue("tpc_abc", {"service"}).access_token
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(AuthenticationError):
        verify(tokens, f"{head}.{body}.{flipped}")


def test_wrong_audience_is_refused(keys: KeySet, clock: FakeClock) -> None:
    other = make_tokens(keys, clock, audience="some-other-api")
    token = other.issue("tpc_abc", {"service"}).access_token
    with pytest.raises(AuthenticationError, match="audience"):
        verify(make_tokens(keys, clock), token)


def test_wrong_issuer_is_refused(keys: KeySet, clock: FakeClock) -> None:
    other = make_tokens(keys, clock, issuer="https://evil.example")
    token = other.issue("tpc_abc", {"service"}).access_token
    with pytest.raises(AuthenticationError, match="issuer"):
        verify(make_tokens(keys, clock), token)


def test_unknown_key_is_refused(keys: KeySet, clock: FakeClock) -> None:
    stranger = KeySet(SigningKey.from_pem(new_signing_key_pem()))
    token = make_tokens(stranger, clock).issue("tpc_abc", {"service"}).access_token
    with pytest.raises(AuthenticationError, match="unknown key"):
        verify(make_tokens(keys, clock), token)


def test_key_id_reused_by_another_key_fails_the_signature(keys: KeySet, clock: FakeClock) -> None:
    stranger = SigningKey.from_pem(new_signing_key_pem())
    claims = jwt.decode(
        make_tokens(keys, clock).issue("tpc_abc", {"admin"}).access_token,
        options={"verify_signature": False},
    )
    forged = jwt.encode(
        claims, stranger.private_key, algorithm="EdDSA", headers={"kid": keys.signing.kid}
    )
    with pytest.raises(AuthenticationError, match="signature"):
        verify(make_tokens(keys, clock), forged)


def test_unsigned_and_hmac_tokens_are_refused(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    claims = jwt.decode(
        tokens.issue("tpc_abc", {"admin"}).access_token, options={"verify_signature": False}
    )
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": keys.signing.kid})
    hmac_signed = jwt.encode(claims, "k" * 32, algorithm="HS256", headers={"kid": keys.signing.kid})
    for token in (unsigned, hmac_signed):
        with pytest.raises(AuthenticationError, match="algorithm"):
            verify(tokens, token)


def test_missing_claim_is_refused(keys: KeySet, clock: FakeClock) -> None:
    claims: dict[str, object] = {"iss": "https://tp.test", "aud": "trustplane-test", "sub": "x"}
    claims |= {"iat": int(clock().timestamp()), "exp": int(clock().timestamp()) + 60}
    token = jwt.encode(
        claims, keys.signing.private_key, algorithm="EdDSA", headers={"kid": keys.signing.kid}
    )
    with pytest.raises(AuthenticationError, match="jti"):
        verify(make_tokens(keys, clock), token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "e30.e30.", "x" * 300])
def test_garbage_is_refused(garbage: str, keys: KeySet, clock: FakeClock) -> None:
    with pytest.raises(AuthenticationError):
        verify(make_tokens(keys, clock), garbage)


def test_unknown_roles_in_a_token_are_dropped(keys: KeySet, clock: FakeClock) -> None:
    tokens = make_tokens(keys, clock)
    token = tokens.issue("tpc_abc", {"service", "superuser"}).access_token
    assert verify(tokens, token).roles == {"service"}  # type: ignore[attr-defined]


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 8037 appendix A.3
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_jwks_publishes_the_public_key_only(keys: KeySet) -> None:
    document = keys.jwks()
    (jwk,) = document["keys"]
    assert jwk["kid"] == keys.signing.kid == jwk_thumbprint(jwk)
    assert jwk["alg"] == "EdDSA"
    assert "d" not in jwk
    public = jwt.PyJWK(jwk).key
    assert public.public_bytes_raw() == keys.signing.private_key.public_key().public_bytes_raw()


def test_retired_key_still_verifies(clock: FakeClock) -> None:
    old = SigningKey.from_pem(new_signing_key_pem())
    token = make_tokens(KeySet(old), clock).issue("tpc_abc", {"service"}).access_token
    current = KeySet(SigningKey.from_pem(new_signing_key_pem()), [old.verification_key()])
    assert verify(make_tokens(current, clock), token)
    assert len(current.jwks()["keys"]) == 2


@settings(max_examples=50, deadline=None)
@given(
    roles=st.frozensets(st.sampled_from(sorted(KNOWN_ROLES)), min_size=1),
    elapsed=st.integers(min_value=0, max_value=900 + 4),
)
def test_any_role_set_survives_the_round_trip(roles: frozenset[str], elapsed: int) -> None:
    clock = FakeClock()
    keys = KeySet(SigningKey.from_pem(new_signing_key_pem()))
    tokens = make_tokens(keys, clock)
    token = tokens.issue("tpc_abc", roles).access_token
    clock.advance(elapsed)
    assert verify(tokens, token).roles == roles  # type: ignore[attr-defined]


def test_expiry_is_computed_from_the_clock(keys: KeySet, clock: FakeClock) -> None:
    issued = make_tokens(keys, clock, ttl_seconds=600).issue("tpc_abc", {"service"})
    assert issued.expires_at == clock() + timedelta(seconds=600)
