"""Hostile JSON is a 4xx problem; every answer carries a request id and the security headers;
429s and 5xx are counted in /metrics; an unhandled error is logged with its request id."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from audit import SYSTEM_ACTOR
from tests.web.realapp import PROBLEM, RealApp, build_real_app
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

HOSTILE = {
    "integer above 2^53": (b'{"value": 123456789012345678901234567890}', "integer"),
    "NaN": (b'{"value": NaN}', "NaN"),
    "-Infinity": (b'{"value": -Infinity}', "Infinity"),
    "lone surrogate": (b'{"value": "\\ud800"}', "surrogate"),
    "300 levels deep": (b'{"value": ' + b"[" * 300 + b"]" * 300 + b"}", "deeper"),
}


def _real(tmp_path: Path, **overrides: object) -> RealApp:
    engine = make_engine(f"sqlite:///{tmp_path / 'trustplane.db'}")
    upgrade(engine)
    return build_real_app(tmp_path, engine, **overrides)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> RealApp:
    return _real(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def client(real: RealApp) -> Iterator[TestClient]:
    with real.client() as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin(real: RealApp, client: TestClient) -> dict[str, str]:
    return real.admin_login(client)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_json_on_audit_hash_is_a_422_that_says_why(
    client: TestClient, admin: dict[str, str], name: str
) -> None:
    body, says = HOSTILE[name]
    response = client.post(
        "/v1/audit/hash", content=body, headers={**admin, "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert says in response.json()["detail"]


def test_json_nested_beyond_the_parser_is_a_422_not_a_500(
    real: RealApp, client: TestClient
) -> None:
    """Even on a route that parses its own body (OPA's gzip decision-log upload)."""
    import gzip

    agent = real.identity.create_service_account("opa-sidecar", ["opa-agent"], SYSTEM_ACTOR)
    bearer = real.bearer(client, agent)
    deep = gzip.compress(b"[" * 100_000 + b"]" * 100_000)
    response = client.post(
        "/logs",
        content=deep,
        headers={**bearer, "content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["x-request-id"]


def test_a_carriable_value_still_hashes(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/v1/audit/hash", json={"value": {"n": 2**53 - 1, "s": "x"}}, headers=admin
    )
    assert response.status_code == 200, response.text


def test_every_answer_has_a_request_id_and_security_headers(
    real: RealApp, client: TestClient
) -> None:
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": real.service.client_id,
            "client_secret": real.service.client_secret,
        },
    )
    answers = [
        client.get("/healthz"),
        client.get("/v1/me"),  # 401
        client.get("/no/such/route"),  # 404
        token,
    ]
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    encrypted = client.post(
        "/v1/fields/encrypt",
        json={
            "fields": [
                {
                    "value": "a@b.in",
                    "context": {
                        "resource_type": "payment_account",
                        "field": "email",
                        "owner_id": "c-1",
                    },
                }
            ]
        },
        headers=bearer,
    )
    answers.append(encrypted)
    for response in answers:
        assert response.headers["x-request-id"], response.request.url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "no-store" in response.headers["cache-control"], response.request.url
    sent = client.get("/healthz", headers={"X-Request-Id": "trace-42"})
    assert sent.headers["x-request-id"] == "trace-42"


def test_a_500_carries_its_request_id_is_logged_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    real = _real(tmp_path)

    def boom() -> None:
        raise RuntimeError("a bug")

    real.app.add_api_route("/boom", boom)
    with real.client() as client, caplog.at_level(logging.INFO):
        response = client.get("/boom", headers={"X-Request-Id": "req-500"})
        assert response.status_code == 500
        assert response.headers["x-request-id"] == "req-500"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.json()["request_id"] == "req-500"
        metrics = client.get("/metrics").text
    assert 'trustplane_http_server_errors_total{status="500"} 1.0' in metrics
    logged = capsys.readouterr().err + caplog.text
    assert '"request_id": "req-500"' in logged
    assert '"status": 500' in logged  # the canonical request line, written for a crash too


def test_429s_are_counted(tmp_path: Path) -> None:
    real = _real(tmp_path, web={"rate_limit_per_second": 0.001, "rate_limit_burst": 2})
    with real.client() as client:
        bearer = real.bearer(client, real.service)
        statuses = [client.get("/v1/me", headers=bearer).status_code for _ in range(5)]
        assert statuses.count(429) == 3, statuses
        metrics = client.get("/metrics").text
    assert "trustplane_rate_limited_total 3.0" in metrics
