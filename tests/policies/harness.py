"""The real trustplane app (real identity, real tokens, engine route gate) for HTTP tests.

Service callers get real OAuth client-credentials tokens. Human trustplane roles (admin with
fresh MFA, security, auditor) need an interactive login the decision tests do not exercise,
so ``as_caller`` tokens map to ``tests/callers.py`` callers; every other token goes to the
real identity service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, AuditEventIn, AuditLog, EventFilter, EventType
from identity import Caller, IdentityService
from policies import PolicyRoom
from tests import callers
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

CHEAP_ARGON2 = {
    f"{prefix}argon2_{name}": value
    for prefix in ("", "client_secret_")
    for name, value in (("time_cost", 1), ("memory_kib", 8), ("parallelism", 1))
}

INJECTED: dict[str, Callable[[], Caller]] = {
    "as-admin": callers.admin,
    "as-security": lambda: callers.user("u-sec", "security"),
    "as-auditor": callers.auditor,
    "as-dpo": lambda: callers.user("u-dpo", "dpo"),
}


def settings_for(data_dir: Path, **policy: Any) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": data_dir,
            "identity": CHEAP_ARGON2,
            # a loaded 2-core CI machine must not turn expected decisions into timeouts
            "policy": {"poll_seconds": 0.2, "timeout_ms": 2000, **policy},
            # the corpus states consents as callers pass them (rule 14 as written); with the
            # ledger on, it would overrule them (tests/privacy/test_consent_http.py)
            "privacy": {"consent_purposes": {}},
        }
    )


@dataclass
class Api:
    client: TestClient
    container: Container
    service_token: str
    client_id: str
    client_secret: str

    @property
    def room(self) -> PolicyRoom:
        room = self.container.policies
        assert isinstance(room, PolicyRoom)
        return room

    @property
    def identity(self) -> IdentityService:
        identity = self.container.authenticator
        assert isinstance(identity, IdentityService)
        return identity

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.service_token}"}

    def post(self, url: str, body: Any, token: str | None = None) -> Any:
        return self.client.post(url, json=body, headers=self.auth(token))

    @property
    def audit(self) -> AuditLog:
        audit = self.container.audit
        assert isinstance(audit, AuditLog)  # the composition root wires the durable log
        return audit

    def decision_events(self) -> list[AuditEventIn]:
        """Every decision event the durable log holds, in log order, as the log stored it
        (read back through its public read API after the decision logger drained)."""
        assert self.room.logger.flush()
        found: list[AuditEventIn] = []
        after = -1
        while True:
            page = self.audit.events(EventFilter(type=EventType.DECISION), after=after, limit=1000)
            found += [AuditEventIn.model_validate(event.document) for event in page.events]
            if page.next_cursor is None:
                return found
            after = page.next_cursor


def inject_callers(identity: IdentityService) -> None:
    real = identity.authenticate_bearer

    def authenticate_bearer(token: str) -> Caller:
        factory = INJECTED.get(token)
        return factory() if factory else real(token)

    setattr(identity, "authenticate_bearer", authenticate_bearer)  # noqa: B010


def token_for(client: TestClient, client_id: str, client_secret: str) -> str:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def build_api_app(settings: Settings, engine: Engine | None = None) -> tuple[Any, Container]:
    container = build_container(settings, engine)
    upgrade(container.engine)
    return create_app(settings, container), container


@contextmanager
def running_api(
    settings: Settings, engine: Engine | None = None, *, account: str = "domain-svc"
) -> Iterator[Api]:
    app, container = build_api_app(settings, engine)
    identity = container.authenticator
    assert isinstance(identity, IdentityService)
    created = identity.create_service_account(account, ["service"], SYSTEM_ACTOR)
    inject_callers(identity)
    with TestClient(app, client=callers.ADMIN_NETWORK_CLIENT) as client:
        token = token_for(client, created.client_id, created.client_secret)
        yield Api(client, container, token, created.client_id, created.client_secret)
