"""Web unit tests: the real app factory with a hand-written authenticator (unit level only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from identity import AuthenticationError, AuthMethod, Caller, CallerKind
from trustplane.app import create_app
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import PolicySettings, Settings
from web.deps import CallerDep, require

TOKENS = {
    "admin-token": Caller("u-admin", CallerKind.USER, frozenset({"admin"})),
    "auditor-token": Caller("u-aud", CallerKind.USER, frozenset({"auditor"})),
    "service-token": Caller("svc-1", CallerKind.SERVICE, frozenset({"service"})),
}


class FakeAuthenticator:
    def bearer_needs_io(self, token: str) -> bool:
        return False  # an in-memory table

    def authenticate_bearer(self, token: str) -> Caller:
        try:
            return TOKENS[token]
        except KeyError:
            raise AuthenticationError("invalid token") from None

    def authenticate_session(self, session_token: str) -> Caller:
        if session_token == "good-session":
            return Caller(
                "u-admin",
                CallerKind.USER,
                frozenset({"admin"}),
                auth_method=AuthMethod.SESSION,
                csrf_token="csrf-123",
            )
        raise AuthenticationError("invalid session")


class Echo(BaseModel):
    message: str


probe = APIRouter()


@probe.post("/v1/probe/echo")
def echo(body: Echo, caller: CallerDep) -> dict[str, Any]:
    return {"message": body.message, "caller": caller.id}


AdminCaller = Annotated[Caller, Depends(require("admin:manage", "user"))]


@probe.get("/v1/probe/admin")
def admin_only(caller: AdminCaller) -> dict[str, str]:
    return {"ok": caller.id}


@probe.get("/v1/probe/boom")
def boom(caller: CallerDep) -> dict[str, str]:
    raise RuntimeError("internal detail that must not leak: /etc/secret")


def build_app(tmp_path: Path, **overrides: Any) -> FastAPI:
    # these tests are about the web mechanics: keep the role gate (tests/policies covers the
    # engine-backed gate that production uses)
    overrides.setdefault("policy", PolicySettings(route_gate="roles"))
    settings = Settings(data_dir=tmp_path, **overrides)
    container = build_container(settings)
    upgrade(container.engine)  # the policy bundle is stored in the database
    container = replace(container, authenticator=FakeAuthenticator())
    app = create_app(settings, container)
    app.include_router(probe)
    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(build_app(tmp_path), raise_server_exceptions=False) as test_client:
        yield test_client
