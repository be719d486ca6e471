"""Every non-2xx answer is RFC 9457 problem+json; request ids; body limits; rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.web.conftest import build_app
from web.deps import install_services

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
ADMIN = {"Authorization": "Bearer admin-token"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    return body


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/nowhere"), 404)
    assert body["instance"] == "/nowhere"


def test_wrong_method_is_405_problem(client: TestClient) -> None:
    assert_problem(client.delete("/healthz"), 405)


def test_missing_credentials_is_401_with_challenge(client: TestClient) -> None:
    response = client.post("/v1/probe/echo", json={"message": "hi"})
    body = assert_problem(response, 401)
    assert body["type"].endswith("/unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_bad_token_and_unsupported_scheme_are_401(client: TestClient) -> None:
    assert_problem(client.get("/v1/probe/admin", headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(client.get("/v1/probe/admin", headers={"Authorization": "Basic eDp5"}), 401)


def test_forbidden_is_403_distinct_from_401(client: TestClient) -> None:
    response = client.get("/v1/probe/admin", headers={"Authorization": "Bearer auditor-token"})
    body = assert_problem(response, 403)
    assert body["type"].endswith("/forbidden")
    assert body["reasons"]
    assert client.get("/v1/probe/admin", headers=ADMIN).json() == {"ok": "u-admin"}


def test_malformed_body_is_422_problem_with_errors(client: TestClient) -> None:
    response = client.post("/v1/probe/echo", headers=ADMIN, json={"wrong": 1})
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "message"]
    not_json = client.post(
        "/v1/probe/echo",
        headers={**ADMIN, "content-type": "application/json"},
        content=b"{not json",
    )
    assert_problem(not_json, 422)


def test_unhandled_error_is_500_without_internals(client: TestClient) -> None:
    response = client.get("/v1/probe/boom", headers=ADMIN)
    body = assert_problem(response, 500)
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "Internal server error"


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert given.headers["x-request-id"] == "req-42"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 36
    problem = client.get("/nowhere", headers={"X-Request-ID": "req-43"}).json()
    assert problem["request_id"] == "req-43"


def test_declared_oversized_body_is_413(tmp_path: Path) -> None:
    app = build_app(tmp_path, web={"max_body_bytes": 1024})
    with TestClient(app) as client:
        response = client.post("/v1/probe/echo", headers=ADMIN, json={"message": "x" * 5000})
        assert_problem(response, 413)


def test_streamed_oversized_body_is_413(tmp_path: Path) -> None:
    app = build_app(tmp_path, web={"max_body_bytes": 1024})

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 512

    with TestClient(app) as client:
        response = client.post(
            "/v1/probe/echo",
            headers={**ADMIN, "content-type": "application/json"},
            content=chunks(),
        )
        assert_problem(response, 413)


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    app = build_app(tmp_path, web={"rate_limit_per_second": 0.5, "rate_limit_burst": 2})
    with TestClient(app) as client:
        statuses = [client.get("/v1/probe/admin", headers=ADMIN).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.get("/v1/probe/admin", headers=ADMIN)
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        # another caller has its own bucket
        other = client.get("/v1/probe/admin", headers={"Authorization": "Bearer auditor-token"})
        assert other.status_code == 403


def test_session_state_change_needs_csrf(client: TestClient) -> None:
    client.cookies.set("tp_session", "good-session")
    missing = client.post("/v1/probe/echo", json={"message": "x"})
    assert_problem(missing, 403)
    wrong = client.post("/v1/probe/echo", json={"message": "x"}, headers={"X-CSRF-Token": "no"})
    assert_problem(wrong, 403)
    ok = client.post("/v1/probe/echo", json={"message": "x"}, headers={"X-CSRF-Token": "csrf-123"})
    assert ok.status_code == 200
    assert client.get("/v1/probe/admin").status_code == 200  # safe method: no CSRF needed


def test_metrics_count_requests_per_route_template(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/nowhere")
    text = client.get("/metrics").text
    assert 'trustplane_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "trustplane_http_request_duration_seconds_bucket" in text


def test_readyz_reports_each_check(tmp_path: Path) -> None:
    app = build_app(tmp_path)

    def broken() -> None:
        raise RuntimeError("keys not loaded")

    with TestClient(app) as client:
        assert client.get("/readyz").json()["checks"] == {
            "database": "ok",
            "audit_log": "ok",
            "policy_bundle": "ok",
            "field_keys": "ok",
        }
        services = app.state.services
        install_services(app, replace(services, readiness=(*services.readiness, ("keys", broken))))
        body = assert_problem(client.get("/readyz"), 503)
        assert body["checks"]["keys"] == "failed: RuntimeError"
