"""The one-time password is changed before anything else: the console sends a user still on
it to the change page from every page, the form is CSRF-protected and checked by identity's
policy, the old password stops working and other sessions end; the API's route does the same
for a session and refuses bearer tokens."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from audit import SYSTEM_ACTOR
from identity import IdentityService
from tests.browser.console_app import ConsoleApp, build_console_app, csrf_of, sign_in
from tests.callers import ADMIN_NETWORK_CLIENT

PROBLEM = "application/problem+json"
NEW = "a password of my own choosing"
PAGES = ["/console/", "/console/posture", "/console/decisions", "/console/audit", "/console/keys"]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> ConsoleApp:
    return build_console_app(tmp_path_factory.mktemp("password"))


def client_for(console: ConsoleApp) -> TestClient:
    return TestClient(console.app, raise_server_exceptions=False, client=ADMIN_NETWORK_CLIENT)


def first_sign_in(console: ConsoleApp, persona: str = "admin") -> tuple[TestClient, str, str]:
    """A new user signed in with its one-time password: (client, CSRF token, user key)."""
    key = console.new_user(persona, one_time_password=True)
    client = client_for(console)
    return client, sign_in(client, console, key, fresh=False), key


def change(client: TestClient, csrf: str, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/console/password",
        data={
            "csrf_token": csrf,
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
        follow_redirects=False,
    )


def test_every_page_sends_a_one_time_password_to_the_change_page(console: ConsoleApp) -> None:
    client, _, _ = first_sign_in(console)
    for page in PAGES:
        response = client.get(page, follow_redirects=False)
        assert response.status_code == 303, page
        assert response.headers["location"] == "/console/password"
    page = client.get("/console/password")
    assert page.status_code == 200
    assert "one-time password" in page.text
    collect = client.post("/console/collect", follow_redirects=False)
    assert collect.headers["location"] == "/console/password"


def test_the_change_is_checked_then_opens_the_console(console: ConsoleApp) -> None:
    client, csrf, key = first_sign_in(console)
    one_time = console.users[key].password
    assert change(client, "", one_time, NEW).status_code == 403  # no CSRF token
    wrong = change(client, csrf, "not my password", NEW)
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.text
    assert change(client, csrf, one_time, NEW, "another one entirely").status_code == 422
    short = change(client, csrf, one_time, "short")
    assert short.status_code == 422
    assert "at least 12 characters" in short.text
    email = console.users[key].email
    assert "email address" in change(client, csrf, one_time, email.upper()).text
    assert client.get("/console/posture", follow_redirects=False).status_code == 303
    done = change(client, csrf, one_time, NEW)
    assert done.status_code == 303
    assert done.headers["location"] == "/console/"
    assert client.get("/console/posture").status_code == 200
    # the old password no longer signs in; the new one does
    again = client_for(console)
    form = again.get("/console/login")
    refused = again.post(
        "/console/login",
        data={**console.credentials(key), "csrf_token": csrf_of(form.text)},
    )
    assert refused.status_code == 401
    console.used_steps[key] -= 1  # a refused sign-in does not spend its TOTP code
    console.users[key] = replace(console.users[key], password=NEW)
    fresh = client_for(console)
    assert sign_in(fresh, console, key, fresh=False)
    assert fresh.get("/console/posture", follow_redirects=False).status_code == 200


def test_the_change_ends_the_users_other_sessions(console: ConsoleApp) -> None:
    client, csrf, key = first_sign_in(console)
    other = client_for(console)
    sign_in(other, console, key, fresh=False)
    assert other.get("/console/password").status_code == 200
    assert change(client, csrf, console.users[key].password, NEW).status_code == 303
    ended = other.get("/console/password", follow_redirects=False)
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/console/login")


def test_the_api_changes_a_sessions_password_and_refuses_bearer_tokens(
    console: ConsoleApp,
) -> None:
    key = console.new_user("dpo", one_time_password=True)
    client = client_for(console)
    login = client.post(
        "/auth/login",
        json=console.credentials(key),
    )
    assert login.status_code == 200, login.text
    assert client.get("/v1/me").status_code == 200  # the API is not held back by the flag
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    body = {"current_password": console.users[key].password, "new_password": NEW}
    no_csrf = client.post("/v1/me/password", json=body)
    assert no_csrf.status_code == 403
    assert no_csrf.headers["content-type"].startswith(PROBLEM)
    weak = client.post("/v1/me/password", json={**body, "new_password": "2short"}, headers=csrf)
    assert weak.status_code == 422
    assert weak.headers["content-type"].startswith(PROBLEM)
    assert "at least 12" in weak.json()["detail"]
    assert client.post("/v1/me/password", json=body, headers=csrf).status_code == 204
    again = client.post("/v1/me/password", json=body, headers=csrf)
    assert again.status_code == 422  # the one-time password is no longer the current one

    identity = console.container.authenticator
    assert isinstance(identity, IdentityService)
    account = identity.create_service_account("password-probe", ["service"], SYSTEM_ACTOR)
    token = client_for(console).post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": account.client_id,
            "client_secret": account.client_secret,
        },
    )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    refused = client_for(console).post("/v1/me/password", json=body, headers=bearer)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith(PROBLEM)
