"""Login abuse is bounded (issue 15, item 9): per client address, per account, and argon2
work overall (a slot per core, a short queue, then 429 at once)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.realapp import PROBLEM, RealApp, build_real_app
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from web.deps import install_services
from web.errors import RateLimitedError
from web.ratelimit import LoginGuard, WorkGate

JUNK = {"email": "x@finsolve.example", "password": "guess", "totp": "000000"}


def use_guard(real: RealApp, guard: LoginGuard) -> None:
    install_services(real.app, replace(real.app.state.services, login_guard=guard))


@pytest.fixture
def real(tmp_path: Path) -> RealApp:
    engine = make_engine(f"sqlite:///{tmp_path / 'trustplane.db'}")
    upgrade(engine)
    return build_real_app(tmp_path, engine)


@pytest.fixture
def client(real: RealApp) -> Iterator[TestClient]:
    with real.client() as test_client:
        yield test_client


def test_junk_logins_from_one_address_get_429_others_still_sign_in(
    real: RealApp, client: TestClient
) -> None:
    use_guard(real, LoginGuard(per_address=(0.001, 5), per_account=(100.0, 100)))
    statuses = [
        client.post("/auth/login", json={**JUNK, "email": f"u{i}@finsolve.example"}).status_code
        for i in range(8)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3
    refused = client.post("/auth/login", json=JUNK)
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert int(refused.headers["retry-after"]) >= 1
    real.admin_login(real.client(client=("10.9.9.9", 40000)))  # another address
    assert "trustplane_rate_limited_total 4.0" in client.get("/metrics").text


def test_one_account_is_limited_whatever_the_address(real: RealApp, client: TestClient) -> None:
    use_guard(real, LoginGuard(per_address=(100.0, 100), per_account=(0.001, 3)))
    statuses = []
    for i in range(5):  # the app runs (``client``); these only send from other addresses
        other = real.client(client=(f"10.1.1.{i}", 40000))
        statuses.append(other.post("/auth/login", json=JUNK).status_code)
    assert statuses == [401, 401, 401, 429, 429]


def test_argon2_work_is_bounded_then_refused_at_once(real: RealApp, client: TestClient) -> None:
    guard = LoginGuard(workers=1, queue=0)
    use_guard(real, guard)
    with guard.work.slot():  # every hashing slot busy
        busy = client.post("/auth/login", json=JUNK)
        token = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        )
    assert busy.status_code == 429, busy.text
    assert token.status_code == 429, token.text
    assert client.post("/auth/login", json=JUNK).status_code == 401  # the slot is free again


def test_work_gate_queues_up_to_its_bound() -> None:
    gate = WorkGate(workers=1, queue=1, wait_seconds=5)
    entered = threading.Event()
    release = threading.Event()
    waited: list[bool] = []

    def holder() -> None:
        with gate.slot():
            entered.set()
            release.wait(5)

    def waiter() -> None:
        with gate.slot():
            waited.append(True)

    first = threading.Thread(target=holder)
    first.start()
    entered.wait(5)
    second = threading.Thread(target=waiter)
    second.start()
    while gate._admitted < 2:  # the waiter is queued
        pass
    with pytest.raises(RateLimitedError), gate.slot():
        pass
    release.set()
    first.join()
    second.join()
    assert waited == [True]
