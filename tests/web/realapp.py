"""The real app: ``create_app`` over a real container (identity, policies, vault, controls).

Callers are real: an admin user signs in with password + TOTP from the admin network (the
engine gate's rule 9), services get bearer tokens from ``/oauth/token``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR
from identity import IdentityService, NewServiceAccount, NewUser
from identity.totp import code_at
from tests.callers import ADMIN_NETWORK_CLIENT
from tests.identity.conftest import totp_secret_of
from trustplane.app import create_app
from trustplane.container import build_container
from trustplane.settings import Settings

CHEAP_ARGON2 = {
    f"{prefix}argon2_{name}": value
    for prefix in ("", "client_secret_")
    for name, value in (("time_cost", 1), ("memory_kib", 8), ("parallelism", 1))
}
PROBLEM = "application/problem+json"


@dataclass
class RealApp:
    app: FastAPI
    identity: IdentityService
    admin: NewUser
    service: NewServiceAccount
    auditor: NewServiceAccount

    def client(self, **kwargs: Any) -> TestClient:
        kwargs.setdefault("client", ADMIN_NETWORK_CLIENT)
        return TestClient(self.app, raise_server_exceptions=False, **kwargs)

    def bearer(self, client: TestClient, account: NewServiceAccount) -> dict[str, str]:
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": account.client_id,
                "client_secret": account.client_secret,
            },
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def admin_login(self, client: TestClient) -> dict[str, str]:
        """Password + TOTP; the cookie stays in ``client``; returns the CSRF header."""
        code = code_at(totp_secret_of(self.admin.totp_uri), datetime.now(UTC))
        response = client.post(
            "/auth/login",
            json={"email": self.admin.email, "password": self.admin.password, "totp": code},
        )
        assert response.status_code == 200, response.text
        return {"X-CSRF-Token": str(response.json()["csrf_token"])}


def build_real_app(tmp_path: Path, engine: Engine, **overrides: Any) -> RealApp:
    settings = Settings.model_validate(
        {"data_dir": tmp_path, "identity": CHEAP_ARGON2, **overrides}
    )
    container = build_container(settings, engine)
    identity = container.authenticator
    assert isinstance(identity, IdentityService)
    admin = identity.create_user("root@finsolve.example", ["admin"], SYSTEM_ACTOR)
    service = identity.create_service_account("payments-api", ["service"], SYSTEM_ACTOR)
    auditor = identity.create_service_account(
        "grc-tool",
        ["auditor"],
        SYSTEM_ACTOR,
        engagement_expires_at=datetime.now(UTC) + timedelta(days=30),
    )
    return RealApp(create_app(settings, container), identity, admin, service, auditor)


def running(real: RealApp) -> Iterator[TestClient]:
    with real.client() as client:
        yield client
