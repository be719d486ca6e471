"""schemathesis against the running app's ``/openapi.json``, with real credentials.

A real uvicorn server runs the app from ``trustplane.app.create_app`` over a real container.
Requests come "through the load balancer" from the admin network (``X-Forwarded-For``, which
the test server believes from loopback as a deployment does from its load balancer, setting
``web.trusted_proxies``) with an admin session opened by password + TOTP, so every route gets
past the engine gate (ACCESS-MODEL rule 9) and its handler really runs; a second run uses a
service's bearer token from ``/oauth/token``. Checks: no 5xx, documented status codes and
content types, and every response body matches its schema. Examples are bounded so the whole
module runs in about a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR
from identity.totp import code_at
from tests.callers import ADMIN_NETWORK_CLIENT
from tests.identity.conftest import totp_secret_of
from tests.web.realapp import build_real_app
from trustplane.server import BackgroundServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Found by this test in routers this room does not own; reported to the lead with the repro.
# Each entry: the check that fails and the backends it fails on. Strict: when one is fixed the
# test fails until its entry is removed.
KNOWN_FAILURES: dict[str, tuple[str, frozenset[str]]] = {}
NOT_FUZZED = "/auth/logout"  # would end the admin session the other cases use; tested apart
LIMITS = {"rate_limit_per_second": 100_000, "rate_limit_burst": 100_000}


@dataclass
class Live:
    url: str
    backend: str  # "sqlite" or "postgresql"
    admin_headers: dict[str, str]
    service_headers: dict[str, str]


def admin_session_headers(url: str, email: str, password: str, totp_uri: str) -> dict[str, str]:
    from datetime import UTC, datetime

    forwarded = {"X-Forwarded-For": ADMIN_NETWORK_CLIENT[0]}
    code = code_at(totp_secret_of(totp_uri), datetime.now(UTC))
    login = httpx.post(
        f"{url}/auth/login",
        json={"email": email, "password": password, "totp": code},
        headers=forwarded,
    )
    assert login.status_code == 200, login.text
    return {
        **forwarded,
        "Cookie": f"tp_session={login.cookies['tp_session']}",
        "X-CSRF-Token": login.json()["csrf_token"],
    }


@pytest.fixture
def live(tmp_path: Path, engine: Engine) -> Iterator[Live]:
    real = build_real_app(tmp_path, engine, web=LIMITS)
    real.identity.create_user("dpo@finsolve.example", ["dpo"], SYSTEM_ACTOR)
    server = BackgroundServer(real.app, trusted_proxies=["127.0.0.1"]).start()
    try:
        assert server.wait_ready(), "the app did not become ready"
        admin = admin_session_headers(
            server.url, real.admin.email, real.admin.password, real.admin.totp_uri
        )
        token = httpx.post(
            f"{server.url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": real.service.client_id,
                "client_secret": real.service.client_secret,
            },
        )
        assert token.status_code == 200, token.text
        service = {"Authorization": f"Bearer {token.json()['access_token']}"}
        yield Live(server.url, engine.dialect.name, admin, service)
    finally:
        server.stop()


BOUNDED = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def fuzz_every_operation(live: Live, headers: dict[str, str], max_examples: int) -> list[str]:
    """Each operation gets its own bounded hypothesis run; failures are collected, not raised.

    (The operations are iterated by hand: schemathesis' lazy pytest fixture does not run under
    pytest 9 here.)
    """
    api = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    failures: list[str] = []
    ran = 0
    for result in api.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document has an invalid operation: {result}"
        operation = result.ok()
        if operation.path == NOT_FUZZED:
            continue

        @given(case=operation.as_strategy())
        @settings(BOUNDED, max_examples=max_examples)
        def run(case: Any) -> None:
            # schemathesis fills the documented bearer scheme with a random token, which
            # would win over the session cookie: our credentials replace it
            generated = case.headers or {}
            case.headers = {k: v for k, v in generated.items() if k.lower() != "authorization"}
            case.call_and_validate(base_url=live.url, headers=headers, checks=CHECKS)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
        ran += 1
    assert ran >= 30
    return failures


def assert_only_known(failures: list[str], backend: str, *, strict: bool) -> None:
    known = {op: kind for op, (kind, backends) in KNOWN_FAILURES.items() if backend in backends}
    unexpected = [
        failure
        for failure in failures
        if not any(failure.startswith(op + ":") and kind in failure for op, kind in known.items())
    ]
    assert not unexpected, "\n\n".join(unexpected)
    if strict:  # the admin run reaches every handler, so each known failure must show up
        still_failing = {failure.split(":", 1)[0] for failure in failures}
        assert still_failing == set(known), "fixed? remove it from KNOWN_FAILURES"


def test_admin_session_no_5xx_and_schema_conformance(live: Live) -> None:
    failures = fuzz_every_operation(live, live.admin_headers, max_examples=25)
    assert_only_known(failures, live.backend, strict=True)


def test_service_token_no_5xx_and_schema_conformance(live: Live) -> None:
    failures = fuzz_every_operation(live, live.service_headers, max_examples=8)
    assert_only_known(failures, live.backend, strict=False)


def test_logout_conforms_and_ends_the_session(live: Live) -> None:
    first = httpx.post(f"{live.url}/auth/logout", headers=live.admin_headers)
    assert first.status_code == 204
    after = httpx.get(f"{live.url}/v1/me", headers=live.admin_headers)
    assert after.status_code == 401
    assert after.headers["content-type"].startswith("application/problem+json")
