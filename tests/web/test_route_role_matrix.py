"""Every route by every kind of caller, against the access model's permission table.

The rows come from two documents, not from this file: the operations and the permission each
one needs from the real app's ``/openapi.json`` (``x-permissions``), and who holds which
permission from the table in ``docs/access-model.md``. Callers are real: users of each role
signed in with password + TOTP, service accounts of each role with client-credentials tokens,
an auditor (user and service account) whose engagement has expired, and nobody at all.

A cell is "admitted" when the answer is neither 401 nor 403 (the request itself is left
invalid where the operation takes a body, so an admitted call changes nothing), "refused"
when it is a 403 problem, "unauthenticated" when it is a 401 problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from audit import SYSTEM_ACTOR
from identity import IdentityService
from identity.totp import code_at
from tests.identity.conftest import totp_secret_of
from tests.web.realapp import PROBLEM, RealApp, build_real_app
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("service", "opa-agent", "dpo", "auditor", "security", "admin")
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/.well-known/jwks.json"),
    ("post", "/oauth/token"),
    ("post", "/auth/login"),
    # the data principal's own intake (no account; rate limited per address, same answer
    # whether or not the identifier is known; the package link is signed and expires)
    ("post", "/v1/public/dsr"),
    ("post", "/v1/public/dsr/{dsr_id}/verify"),
    ("get", "/v1/public/dsr/{dsr_id}/package"),
    # privacy notices: what a data principal is asked to consent to, read before consenting
    ("get", "/v1/notices/{notice_id}"),
    # withdrawal with the signed link handed to the principal at grant (rate limited)
    ("post", "/v1/public/consents/withdraw"),
}
# Authenticated but needing no permission, each for a reason:
ANY_CALLER = {
    ("post", "/auth/logout"): "ending one's own session is never refused",
    ("get", "/v1/me"): "who the caller is: an admin with stale MFA may still ask",
    ("post", "/v1/me/password"): "one's own password (a user's session; a bearer token is 403)",
}
HUMAN_ACTS = {"subjects:shred"}  # the access model: a user with fresh MFA, no wildcard


def permission_table() -> dict[str, set[str]]:
    """role -> permissions, from the table in docs/access-model.md."""
    lines = (ROOT / "docs" / "access-model.md").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| permission |"))
    columns = [cell.strip() for cell in lines[header].strip("|").split("|")][1:]
    assert tuple(columns) == ROLES
    table: dict[str, set[str]] = {role: set() for role in ROLES}
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        permission = cells[0].strip("`")
        for role, cell in zip(ROLES, cells[1:], strict=True):
            if cell == "✓":
                table[role].add(permission)
    return table


@dataclass(frozen=True)
class Who:
    name: str
    kind: str  # "user" | "service" | "anonymous"
    role: str | None
    expired: bool = False


CALLERS = [
    *(Who(f"user:{role}", "user", role) for role in ROLES),
    *(Who(f"service-account:{role}", "service", role) for role in ROLES),
    Who("user:expired-auditor", "user", "auditor", expired=True),
    Who("service-account:expired-auditor", "service", "auditor", expired=True),
    Who("anonymous", "anonymous", None),
]


def expected_permissions(who: Who, table: dict[str, set[str]]) -> set[str]:
    """What the access model grants this caller (its role's row, minus unmet conditions)."""
    if who.role is None or who.expired:
        return set()
    if who.role in {"service", "opa-agent"} and who.kind != "service":
        return set()  # a user never holds "service" nor an agent role
    if who.role == "admin" and who.kind != "user":
        return set()  # rule 9: a client-credentials token carries no MFA
    granted = set(table[who.role])
    if who.kind != "user":
        granted -= HUMAN_ACTS
    return granted


@dataclass
class Matrix:
    real: RealApp
    clients: dict[str, TestClient]
    headers: dict[str, dict[str, str]]
    document: dict[str, Any]


def _user_client(real: RealApp, identity: IdentityService, who: Who) -> tuple[TestClient, str]:
    assert who.role is not None
    engagement = datetime.now(UTC) + timedelta(days=30) if who.role == "auditor" else None
    user = identity.create_user(
        f"{who.name.replace(':', '-')}@finsolve.example",
        [who.role],
        SYSTEM_ACTOR,
        engagement_expires_at=engagement,
    )
    client = real.client()
    client.__enter__()
    code = code_at(totp_secret_of(user.totp_uri), datetime.now(UTC))
    login = client.post(
        "/auth/login", json={"email": user.email, "password": user.password, "totp": code}
    )
    assert login.status_code == 200, login.text
    return client, str(login.json()["csrf_token"])


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    tmp_path = tmp_path_factory.mktemp("matrix")
    engine = make_engine(f"sqlite:///{tmp_path / 'trustplane.db'}")
    upgrade(engine)
    real = build_real_app(
        tmp_path, engine, web={"rate_limit_per_second": 10_000, "rate_limit_burst": 10_000}
    )
    identity = real.identity
    clients: dict[str, TestClient] = {}
    headers: dict[str, dict[str, str]] = {}
    main = real.client()
    main.__enter__()
    for who in CALLERS:
        if who.kind == "user":
            clients[who.name], csrf = _user_client(real, identity, who)
            headers[who.name] = {"X-CSRF-Token": csrf}
        elif who.kind == "service":
            assert who.role is not None
            engagement = datetime.now(UTC) + timedelta(days=30) if who.role == "auditor" else None
            account = identity.create_service_account(
                who.name.replace(":", "-"),
                [who.role],
                SYSTEM_ACTOR,
                engagement_expires_at=engagement,
            )
            if who.expired:  # the engagement ends before the token is issued
                with engine.begin() as db:
                    db.execute(
                        text(
                            "UPDATE identity_service_accounts SET engagement_expires_at = :t"
                            " WHERE client_id = :c"
                        ),
                        {"t": datetime.now(UTC) - timedelta(days=1), "c": account.client_id},
                    )
            clients[who.name] = main
            headers[who.name] = real.bearer(main, account)
        else:
            clients[who.name] = main
            headers[who.name] = {}
    with engine.begin() as db:  # the expired auditor user's engagement ended after sign-in
        db.execute(
            text(
                "UPDATE identity_users SET engagement_expires_at = :t"
                " WHERE email = 'user-expired-auditor@finsolve.example'"
            ),
            {"t": datetime.now(UTC) - timedelta(days=1)},
        )
    document = main.get("/openapi.json").json()
    yield Matrix(real, clients, headers, document)
    for client in {id(c): c for c in clients.values()}.values():
        client.__exit__(None, None, None)
    engine.dispose()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_protected_operation_names_a_permission_of_the_table(matrix: Matrix) -> None:
    table = permission_table()
    known = set().union(*table.values())
    for method, path, operation in operations(matrix.document):
        if (method, path) in PUBLIC | set(ANY_CALLER):
            assert "x-permissions" not in operation, (method, path)
            continue
        needed = operation.get("x-permissions")
        assert needed, f"{method.upper()} {path} names no permission"
        assert set(needed) <= known, (method, path, needed)


def test_the_expired_auditor_really_signed_in(matrix: Matrix) -> None:
    """The refusals below are about the engagement, not a broken session."""
    client = matrix.clients["user:expired-auditor"]
    assert client.get("/v1/me").json()["roles"] == ["auditor"]
    response = client.get("/v1/audit/checkpoint")
    assert response.status_code == 403, response.text
    assert response.json()["reasons"] == ["auditor engagement has expired or is not set"]


@pytest.mark.parametrize("who", CALLERS, ids=lambda who: who.name)
def test_route_role_matrix(matrix: Matrix, who: Who) -> None:
    table = permission_table()
    granted = expected_permissions(who, table)
    client = matrix.clients[who.name]
    wrong: list[str] = []
    checked = 0
    for method, path, operation in operations(matrix.document):
        if (method, path) in PUBLIC:
            continue
        needed = set(operation.get("x-permissions", []))
        headers = dict(matrix.headers[who.name])
        has_body = bool(operation.get("requestBody"))
        # An admitted call must change nothing: a body of the wrong shape is refused (422)
        # after the gate; subjects and keys named "x" do not exist.
        kwargs: dict[str, Any] = {"json": ["not", "the", "schema"]} if has_body else {}
        if path == "/auth/logout":
            continue  # would end the shared session; covered by ANY_CALLER's own test
        response = client.request(method, concrete(path), headers=headers, **kwargs)
        checked += 1
        if who.kind == "anonymous":
            expected = "unauthenticated"
        elif needed <= granted:
            expected = "admitted"
        else:
            expected = "refused"
        got = {401: "unauthenticated", 403: "refused"}.get(response.status_code, "admitted")
        if got != expected:
            wrong.append(f"{method.upper()} {path}: {response.status_code}, expected {expected}")
        elif got != "admitted":
            assert response.headers["content-type"].startswith(PROBLEM)
        assert response.status_code < 500, (method, path, response.text)
    assert checked >= 30
    assert not wrong, "\n".join(wrong)


def test_logout_is_open_to_any_signed_in_caller(matrix: Matrix) -> None:
    client = matrix.clients["user:expired-auditor"]
    response = client.post("/auth/logout", headers=matrix.headers["user:expired-auditor"])
    assert response.status_code == 204, response.text
    assert client.get("/v1/me").status_code == 401
