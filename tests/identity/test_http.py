"""The identity routes through the real app factory and the real identity service."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR
from identity import IdentityService, NewServiceAccount, NewUser
from identity.tokens import TokenService
from identity.totp import code_at
from tests.callers import ADMIN_NETWORK_CLIENT
from tests.identity.conftest import FakeClock, totp_secret_of
from trustplane.app import create_app
from trustplane.container import build_container
from trustplane.settings import Settings

PROBLEM = "application/problem+json"
CHEAP_ARGON2 = {
    f"{prefix}argon2_{name}": value
    for prefix in ("", "client_secret_")
    for name, value in (("time_cost", 1), ("memory_kib", 8), ("parallelism", 1))
}


@dataclass
class Harness:
    client: TestClient  # requests come from the admin network (ACCESS-MODEL rule 9)
    identity: IdentityService
    engine: Engine
    admin_user: NewUser
    admin_service: NewServiceAccount  # holds the admin role but can never pass MFA
    reader: NewServiceAccount  # auditor GRC tooling with an active engagement
    human: NewUser
    _admin_csrf: str | None = None

    def admin_session(self) -> dict[str, str]:
        """Sign the admin in (password + TOTP) once; the CSRF header for state changes.

        A TOTP code is single-use (replay protection), so one login per harness.
        """
        if self._admin_csrf is None:
            response = self.client.post(
                "/auth/login",
                json={
                    "email": self.admin_user.email,
                    "password": self.admin_user.password,
                    "totp": current_code(self.admin_user),
                },
            )
            assert response.status_code == 200, response.text
            self._admin_csrf = str(response.json()["csrf_token"])
        return {"X-CSRF-Token": self._admin_csrf}

    def token(self, account: NewServiceAccount) -> str:
        response = self.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": account.client_id,
                "client_secret": account.client_secret,
            },
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def totp(self) -> str:
        return current_code(self.human)

    def login(self, **overrides: str) -> Any:
        body = {"email": self.human.email, "password": self.human.password, "totp": self.totp()}
        body.update(overrides)
        return self.client.post("/auth/login", json=body)


def current_code(user: NewUser) -> str:
    """The app runs on the real clock, so codes come from it too (+-1 step is accepted)."""
    return code_at(totp_secret_of(user.totp_uri), datetime.now(UTC))


def build_harness(tmp_path: Path, engine: Engine, **web: Any) -> Iterator[Harness]:
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path,
            "identity": {**CHEAP_ARGON2, "lockout_threshold": 3, "lockout_seconds": 120},
            "web": web,
        }
    )
    container = build_container(settings, engine)
    identity = container.authenticator
    assert isinstance(identity, IdentityService)
    admin_user = identity.create_user("boss@finsolve.example", ["admin"], SYSTEM_ACTOR)
    admin_service = identity.create_service_account("ops-admin", ["admin"], SYSTEM_ACTOR)
    reader = identity.create_service_account(
        "grc-reader", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=in_days(30)
    )
    human = identity.create_user("ravi@finsolve.example", ["dpo"], SYSTEM_ACTOR)
    app = create_app(settings, container)
    with TestClient(app, raise_server_exceptions=False, client=ADMIN_NETWORK_CLIENT) as client:
        yield Harness(client, identity, engine, admin_user, admin_service, reader, human)


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.fixture
def harness(tmp_path: Path, engine: Engine) -> Iterator[Harness]:
    yield from build_harness(tmp_path, engine)


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if slug:
        assert body["type"].endswith("/" + slug)
    return body


# --- /oauth/token ----------------------------------------------------------------------


def test_client_secret_post_gets_a_bearer_token(harness: Harness) -> None:
    response = harness.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": harness.reader.client_id,
            "client_secret": harness.reader.client_secret,
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    me = harness.client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"id": harness.reader.client_id, "kind": "service", "roles": ["auditor"]}


def test_client_secret_basic_gets_a_bearer_token(harness: Harness) -> None:
    pair = f"{harness.reader.client_id}:{harness.reader.client_secret}".encode()
    response = harness.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert harness.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).is_success


@pytest.mark.parametrize(
    ("data", "headers", "status", "error"),
    [
        ({}, {}, 400, "invalid_request"),
        ({"grant_type": "password"}, {}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, {}, 401, "invalid_client"),
        (
            {"grant_type": "client_credentials", "client_id": "tpc_x", "client_secret": "nope"},
            {},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials"},
            {"Authorization": "Basic !!!not-base64"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials"},
            {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_secret": "x"},
            {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
            400,
            "invalid_request",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "other"},
            {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
            400,
            "invalid_request",
        ),
        (
            {"grant_type": "client_credentials"},
            {"Authorization": "Bearer x"},
            401,
            "invalid_client",
        ),
    ],
)
def test_token_errors_are_problems_with_rfc6749_members(
    harness: Harness, data: dict[str, str], headers: dict[str, str], status: int, error: str
) -> None:
    response = harness.client.post("/oauth/token", data=data, headers=headers)
    body = assert_problem(response, status)
    assert body["error"] == error
    assert body["error_description"]
    if status == 401:
        scheme = "Basic" if headers.get("Authorization", "").startswith("Basic") else "Bearer"
        assert response.headers["www-authenticate"].startswith(scheme)


def test_wrong_basic_secret_is_challenged_with_basic(harness: Harness) -> None:
    pair = f"{harness.reader.client_id}:wrong".encode()
    response = harness.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
    )
    assert assert_problem(response, 401, "invalid-client")["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="trustplane"'


def test_scope_beyond_the_roles_is_invalid_scope(harness: Harness) -> None:
    response = harness.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": harness.reader.client_id,
            "client_secret": harness.reader.client_secret,
            "scope": "admin",
        },
    )
    assert assert_problem(response, 400, "invalid-scope")["error"] == "invalid_scope"


def test_jwks_is_public_and_verifies_issued_tokens(harness: Harness) -> None:
    import jwt

    document = harness.client.get("/.well-known/jwks.json").json()
    token = harness.token(harness.reader)
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [key for key in document["keys"] if key["kid"] == kid]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["EdDSA"], audience="trustplane")
    assert claims["sub"] == harness.reader.client_id


# --- bearer refusals over HTTP -----------------------------------------------------------


def forged_tokens(harness: Harness) -> dict[str, str]:
    keys = harness.identity.tokens.keys

    def issue(
        issuer: str = "https://trustplane.local",
        audience: str = "trustplane",
        clock: FakeClock | None = None,
    ) -> str:
        tokens = TokenService(
            keys,
            issuer=issuer,
            audience=audience,
            ttl_seconds=900,
            leeway_seconds=0,
            clock=clock or FakeClock(datetime.now(UTC)),
        )
        return tokens.issue(harness.reader.client_id, {"auditor"}).access_token

    head, _, signature = harness.token(harness.reader).split(".")
    elevated: dict[str, Any] = {"iss": "https://trustplane.local", "aud": "trustplane"}
    elevated["roles"] = ["admin"]
    elevated |= {"sub": "x", "jti": "j", "iat": 0, "exp": 2**40}
    forged_body = base64.urlsafe_b64encode(json.dumps(elevated).encode()).rstrip(b"=").decode()
    return {
        "expired": issue(clock=FakeClock(datetime.now(UTC) - timedelta(hours=2))),
        "tampered": f"{head}.{forged_body}.{signature}",
        "wrong-audience": issue(audience="elsewhere"),
        "wrong-issuer": issue(issuer="https://evil.example"),
    }


def test_expired_tampered_wrong_audience_and_issuer_tokens_are_401(harness: Harness) -> None:
    expected = {
        "expired": "token expired",
        "tampered": "token signature invalid",
        "wrong-audience": "token audience not accepted",
        "wrong-issuer": "token issuer not accepted",
    }
    for name, token in forged_tokens(harness).items():
        response = harness.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert assert_problem(response, 401, "unauthenticated")["detail"] == expected[name]
        assert response.headers["www-authenticate"].startswith("Bearer"), name


def test_rotated_secret_is_401_over_http(harness: Harness) -> None:
    rotated = harness.client.post(
        f"/v1/service-accounts/{harness.reader.client_id}/rotate-secret",
        headers=harness.admin_session(),
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new_secret = rotated.json()["client_secret"]
    stale = harness.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": harness.reader.client_id,
            "client_secret": harness.reader.client_secret,
        },
    )
    assert assert_problem(stale, 401, "invalid-client")["error"] == "invalid_client"
    fresh = NewServiceAccount(
        harness.reader.id, harness.reader.name, harness.reader.client_id, new_secret, frozenset()
    )
    assert harness.token(fresh)


def test_rotation_with_grace_and_admin_gate(harness: Harness) -> None:
    reader_token = harness.token(harness.reader)
    path = f"/v1/service-accounts/{harness.admin_service.client_id}/rotate-secret"
    denied = harness.client.post(path, headers={"Authorization": f"Bearer {reader_token}"})
    assert_problem(denied, 403, "forbidden")
    admin = harness.admin_session()
    graced = harness.client.post(
        f"/v1/service-accounts/{harness.reader.client_id}/rotate-secret",
        headers=admin,
        json={"grace_seconds": 300},
    )
    assert graced.json()["previous_secret_valid_until"] is not None
    assert harness.token(harness.reader)  # the old secret still works during the grace
    missing = harness.client.post("/v1/service-accounts/tpc_nope/rotate-secret", headers=admin)
    assert_problem(missing, 404, "not-found")
    for grace in (-5, True, "soon"):
        bad = harness.client.post(
            f"/v1/service-accounts/{harness.reader.client_id}/rotate-secret",
            headers=admin,
            json={"grace_seconds": grace},
        )
        assert_problem(bad, 422)


def test_admin_creates_accounts_over_http(harness: Harness) -> None:
    admin = harness.admin_session()
    new_auditor = {
        "email": "new@finsolve.example",
        "roles": ["auditor"],
        "engagement_expires_at": "2099-01-31T00:00:00Z",
    }
    user = harness.client.post("/v1/users", headers=admin, json=new_auditor)
    assert user.status_code == 201, user.text
    assert user.json()["totp_uri"].startswith("otpauth://totp/")
    again = harness.client.post("/v1/users", headers=admin, json=new_auditor)
    assert_problem(again, 409, "conflict")
    bad_role = harness.client.post(
        "/v1/users", headers=admin, json={"email": "x@finsolve.example", "roles": ["god"]}
    )
    assert_problem(bad_role, 422, "unknown-role")
    bad_email = harness.client.post(
        "/v1/users", headers=admin, json={"email": "nope", "roles": ["dpo"]}
    )
    assert_problem(bad_email, 422, "validation")
    account = harness.client.post(
        "/v1/service-accounts", headers=admin, json={"name": "svc-new", "roles": ["service"]}
    )
    assert account.status_code == 201
    assert set(account.json()) == {"client_id", "client_secret"}
    harness.client.cookies.clear()
    unauthenticated = harness.client.post(
        "/v1/service-accounts", json={"name": "svc-x", "roles": ["service"]}
    )
    assert_problem(unauthenticated, 401)


# --- login, cookie sessions, CSRF --------------------------------------------------------


def test_login_sets_a_strict_httponly_cookie(harness: Harness) -> None:
    response = harness.login()
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tp_session=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age=28800"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # dev mode on plain http
    assert set(response.json()) == {"csrf_token", "expires_at", "idle_expires_at"}
    me = harness.client.get("/v1/me")
    assert me.json() == {"id": harness.human.user_id, "kind": "user", "roles": ["dpo"]}


def test_cookie_is_secure_when_configured(tmp_path: Path, engine: Engine) -> None:
    for harness in build_harness(tmp_path, engine, cookie_secure=True):
        assert "secure" in harness.login().headers["set-cookie"].lower()


def test_wrong_totp_is_401_and_lockout_engages(harness: Harness) -> None:
    wrong = "000000" if harness.totp() != "000000" else "111111"
    first = harness.login(totp=wrong)
    body = assert_problem(first, 401, "unauthenticated")
    assert "password" not in body["detail"] or "one-time code" in body["detail"]
    assert "set-cookie" not in first.headers
    assert_problem(harness.login(password="wrong"), 401, "unauthenticated")
    locked = harness.login(password="wrong")
    assert_problem(locked, 401, "account-locked")
    assert locked.headers["retry-after"] == "120"
    assert_problem(harness.login(), 401, "account-locked")


def test_malformed_login_body_is_422(harness: Harness) -> None:
    assert_problem(harness.client.post("/auth/login", json={"email": "x"}), 422, "validation")


def test_logout_needs_csrf_and_ends_the_session(harness: Harness) -> None:
    csrf = harness.login().json()["csrf_token"]
    missing = harness.client.post("/auth/logout")
    assert_problem(missing, 403, "csrf")
    wrong = harness.client.post("/auth/logout", headers={"X-CSRF-Token": "forged"})
    assert_problem(wrong, 403, "csrf")
    assert harness.client.get("/v1/me").status_code == 200  # still signed in
    done = harness.client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 204
    assert (
        'tp_session=""' in done.headers["set-cookie"] or "Max-Age=0" in done.headers["set-cookie"]
    )
    harness.client.cookies.set("tp_session", "stale")
    assert_problem(harness.client.get("/v1/me"), 401)


def test_cookie_state_change_on_admin_routes_needs_csrf(harness: Harness) -> None:
    csrf = harness.admin_session()
    body = {"name": "svc-cookie", "roles": ["service"]}
    assert_problem(harness.client.post("/v1/service-accounts", json=body), 403, "csrf")
    created = harness.client.post("/v1/service-accounts", json=body, headers=csrf)
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=" + "a" * 2001,
    ],
)
def test_repeated_or_oversized_token_fields_are_invalid_request(
    harness: Harness, body: str
) -> None:
    response = harness.client.post(
        "/oauth/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert assert_problem(response, 400, "invalid-request")["error"] == "invalid_request"


def test_json_token_request_is_invalid_request(harness: Harness) -> None:
    response = harness.client.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert assert_problem(response, 400)["error"] == "invalid_request"


def test_openapi_documents_the_identity_routes(harness: Harness) -> None:
    paths = harness.client.get("/openapi.json").json()["paths"]
    for path in (
        "/oauth/token",
        "/.well-known/jwks.json",
        "/auth/login",
        "/auth/logout",
        "/v1/me",
        "/v1/users",
        "/v1/service-accounts",
        "/v1/service-accounts/{client_id}/rotate-secret",
    ):
        assert path in paths
    token_form = paths["/oauth/token"]["post"]["requestBody"]["content"]
    schema = token_form["application/x-www-form-urlencoded"]["schema"]
    assert schema["properties"]["grant_type"]["enum"] == ["client_credentials"]
    roles = paths["/v1/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert roles


# --- the engine gate: admin rule 9 and auditor rule 11 over real credentials ------------

MFA_REASON = "admin actions need MFA within the last 900 seconds"
NETWORK_REASON = "admin actions must come from the admin network allowlist"
ENGAGEMENT_REASON = "auditor engagement has expired or is not set"
NEW_ACCOUNT = {"name": "svc-gated", "roles": ["service"]}


def set_column(engine: Engine, table: str, column: str, value: Any, key: str, ident: str) -> None:
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE {table} SET {column} = :value WHERE {key} = :ident"),
            {"value": value, "ident": ident},
        )


def test_admin_outside_the_admin_network_is_403_with_the_reason(harness: Harness) -> None:
    csrf = harness.admin_session()
    outside = TestClient(harness.client.app, client=("192.0.2.10", 40000))
    outside.cookies.update(harness.client.cookies)
    response = outside.post("/v1/service-accounts", json=NEW_ACCOUNT, headers=csrf)
    assert assert_problem(response, 403, "forbidden")["reasons"] == [NETWORK_REASON]
    inside = harness.client.post("/v1/service-accounts", json=NEW_ACCOUNT, headers=csrf)
    assert inside.status_code == 201, inside.text


def test_admin_with_stale_mfa_is_403_with_the_reason(harness: Harness) -> None:
    csrf = harness.admin_session()
    long_ago = datetime.now(UTC) - timedelta(seconds=901)
    user_id = harness.admin_user.user_id
    set_column(harness.engine, "identity_sessions", "created_at", long_ago, "user_id", user_id)
    response = harness.client.post("/v1/service-accounts", json=NEW_ACCOUNT, headers=csrf)
    assert assert_problem(response, 403, "forbidden")["reasons"] == [MFA_REASON]
    assert harness.client.get("/v1/me").status_code == 200  # still signed in, not admin-fresh


def test_admin_service_account_cannot_pass_the_mfa_rule(harness: Harness) -> None:
    token = harness.token(harness.admin_service)
    outside = TestClient(harness.client.app, client=("192.0.2.10", 40000))
    headers = {"Authorization": f"Bearer {token}"}
    inside = harness.client.post("/v1/service-accounts", json=NEW_ACCOUNT, headers=headers)
    assert assert_problem(inside, 403, "forbidden")["reasons"] == [MFA_REASON]
    both = outside.post("/v1/service-accounts", json=NEW_ACCOUNT, headers=headers)
    assert sorted(assert_problem(both, 403)["reasons"]) == sorted([MFA_REASON, NETWORK_REASON])


def test_auditor_token_carries_the_engagement_and_reads_controls(harness: Harness) -> None:
    import jwt

    token = harness.token(harness.reader)
    claim = jwt.decode(token, options={"verify_signature": False})["engagement_expires_at"]
    assert claim.endswith("Z")
    assert datetime.fromisoformat(claim) > datetime.now(UTC) + timedelta(days=29)
    response = harness.client.get("/v1/controls", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("engagement", [None, "expired"])
def test_auditor_service_account_without_active_engagement_is_403(
    harness: Harness, engagement: str | None
) -> None:
    value = None if engagement is None else datetime.now(UTC) - timedelta(minutes=1)
    client_id = harness.reader.client_id
    set_column(
        harness.engine,
        "identity_service_accounts",
        "engagement_expires_at",
        value,
        "client_id",
        client_id,
    )
    token = harness.token(harness.reader)
    response = harness.client.get("/v1/controls", headers={"Authorization": f"Bearer {token}"})
    assert assert_problem(response, 403, "forbidden")["reasons"] == [ENGAGEMENT_REASON]


def test_auditor_user_session_carries_the_engagement(harness: Harness) -> None:
    auditor = harness.identity.create_user(
        "aud@bigfour.example", ["auditor"], SYSTEM_ACTOR, engagement_expires_at=in_days(10)
    )
    login = harness.client.post(
        "/auth/login",
        json={"email": auditor.email, "password": auditor.password, "totp": current_code(auditor)},
    )
    assert login.status_code == 200, login.text
    assert harness.client.get("/v1/controls").status_code == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    set_column(
        harness.engine, "identity_users", "engagement_expires_at", past, "id", auditor.user_id
    )
    denied = harness.client.get("/v1/controls")
    assert assert_problem(denied, 403)["reasons"] == [ENGAGEMENT_REASON]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/users", {"email": "a1@finsolve.example", "roles": ["auditor"]}),
        ("/v1/service-accounts", {"name": "grc-2", "roles": ["auditor", "security"]}),
        (
            "/v1/service-accounts",
            {
                "name": "grc-3",
                "roles": ["auditor"],
                "engagement_expires_at": "2020-01-01T00:00:00Z",
            },
        ),
    ],
)
def test_auditor_accounts_need_a_future_engagement(
    harness: Harness, path: str, body: dict[str, Any]
) -> None:
    response = harness.client.post(path, json=body, headers=harness.admin_session())
    assert "engagement" in assert_problem(response, 422)["detail"]


def test_engagement_without_an_offset_is_422_and_other_roles_may_carry_one(
    harness: Harness,
) -> None:
    admin = harness.admin_session()
    naive = {"name": "grc-4", "roles": ["auditor"], "engagement_expires_at": "2099-01-01T00:00:00"}
    assert_problem(harness.client.post("/v1/service-accounts", json=naive, headers=admin), 422)
    security = {"name": "sec-1", "roles": ["security"], "engagement_expires_at": "2099-01-01Z"}
    assert_problem(harness.client.post("/v1/service-accounts", json=security, headers=admin), 422)
    security["engagement_expires_at"] = "2099-01-01T00:00:00+05:30"
    created = harness.client.post("/v1/service-accounts", json=security, headers=admin)
    assert created.status_code == 201, created.text
