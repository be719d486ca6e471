"""Every route in the real app's OpenAPI document: 401 without credentials, 422 on a bad body.

The operations come from ``/openapi.json`` of ``trustplane.app.create_app`` over a real
container, so a route added later is covered without editing this file. Only the routes that
are public by design are exempt, and the test checks that the exemptions stay true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.web.realapp import PROBLEM, RealApp, build_real_app
from web.openapi import PUBLIC_PATHS

# Public by design, each for a reason:
PUBLIC_OPERATIONS = {
    ("get", "/healthz"): "liveness probe of the load balancer / kubelet",
    ("get", "/readyz"): "readiness probe; reveals no data",
    ("get", "/metrics"): "Prometheus scrape (network-restricted in production)",
    ("get", "/.well-known/jwks.json"): "public keys relying parties verify tokens with",
    ("post", "/oauth/token"): "how a service authenticates (client credentials, RFC 6749)",
    ("post", "/auth/login"): "how a human authenticates (password + TOTP)",
    ("post", "/v1/public/dsr"): "data principals ask about their data (no account; rate limited)",
    ("post", "/v1/public/dsr/{dsr_id}/verify"): "the principal enters the mailed code",
    ("get", "/v1/public/dsr/{dsr_id}/package"): "signed, expiring link to the access package",
    ("get", "/v1/notices/{notice_id}"): "what a data principal is asked to consent to (DPDP s.5)",
    ("post", "/v1/public/consents/withdraw"): "withdrawal link given at grant (DPDP s.6(4))",
}
# A malformed body is not a 422 here, by an external protocol:
NOT_422 = {
    ("post", "/oauth/token"): 400,  # RFC 6749 section 5.2: invalid_request is 400
}
# A body that is not JSON by design has its own 422 problem type (with line-numbered errors):
OWN_422_TYPE = {("put", "/v1/datamap"): "invalid-datamap"}


@pytest.fixture
def real(tmp_path: Path, engine: Engine) -> RealApp:
    return build_real_app(tmp_path, engine)


@pytest.fixture
def client(real: RealApp) -> Iterator[TestClient]:
    with real.client() as test_client:
        yield test_client


def operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def assert_problem(response: Any, status: int, what: str) -> dict[str, Any]:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM), what
    body: dict[str, Any] = response.json()
    assert body["status"] == status, what
    assert {"type", "title", "status", "detail", "instance"} <= set(body), what
    return body


def test_the_public_list_is_exactly_the_unsecured_operations(client: TestClient) -> None:
    found = operations(client)
    assert len(found) >= 30  # every room's routers are mounted
    unsecured = {(method, path) for method, path, op in found if not op.get("security")}
    assert unsecured == set(PUBLIC_OPERATIONS)
    assert {path for _, path in PUBLIC_OPERATIONS} >= PUBLIC_PATHS


def test_public_operations_answer_without_credentials(client: TestClient) -> None:
    for method, path in PUBLIC_OPERATIONS:
        response = client.request(method, path)
        assert response.status_code != 401 or path == "/oauth/token", (method, path)
        assert response.status_code < 500, (method, path, response.text)
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert token.json()["error"] == "invalid_client"  # 401 because no client authenticated


def test_every_other_operation_is_401_problem_without_credentials(client: TestClient) -> None:
    checked = 0
    for method, path, _ in operations(client):
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        response = client.request(method, concrete(path), json={})
        body = assert_problem(response, 401, f"{method.upper()} {path}")
        assert body["type"].endswith("/unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")
        bad_token = client.request(
            method, concrete(path), headers={"Authorization": "Bearer not.a.jwt"}
        )
        assert_problem(bad_token, 401, f"{method.upper()} {path} with a bad token")
        checked += 1
    assert checked >= 25


MALFORMED_BODIES = [b'{"unterminated": ', b"[1, 2, 3]", b'"just a string"']


def test_every_json_body_operation_is_422_problem_on_a_malformed_body(
    real: RealApp, client: TestClient
) -> None:
    csrf = real.admin_login(client)  # admin passes the gate everywhere (rule 9 satisfied)
    checked = 0
    for method, path, operation in operations(client):
        content = operation.get("requestBody", {}).get("content", {})
        if not content:
            continue
        expected = NOT_422.get((method, path), 422)
        media_type = "application/json" if "application/json" in content else next(iter(content))
        for body in MALFORMED_BODIES:
            response = client.request(
                method,
                concrete(path),
                content=body,
                headers={**csrf, "Content-Type": media_type},
            )
            what = f"{method.upper()} {path} with {body!r}"
            problem = assert_problem(response, expected, what)
            if expected == 422:
                slug = OWN_422_TYPE.get((method, path), "validation")
                assert problem["type"].endswith("/" + slug), what
                assert problem["errors"], what
        checked += 1
    assert checked >= 12


def test_bad_input_changes_nothing(real: RealApp, client: TestClient) -> None:
    csrf = real.admin_login(client)
    before = client.get("/v1/policy/revisions").json()
    for path in ("/v1/users", "/v1/service-accounts", "/v1/policy/rollback"):
        client.post(path, content=b"[1]", headers={**csrf, "Content-Type": "application/json"})
    assert client.get("/v1/policy/revisions").json() == before
    listed = client.post(
        "/v1/service-accounts",
        json={"name": "payments-api", "roles": ["service"]},
        headers=csrf,
    )
    assert_problem(listed, 409, "duplicate service account")
