"""Composition root: builds each room's service from settings and plugs ports together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import AuditRecorder, InMemoryAuditLog
from trustplane.db import make_engine
from trustplane.settings import Settings
from web.deps import CallerAuthenticator
from web.gate import RoleGate, RouteGate
from web.ratelimit import TokenBucketLimiter


@dataclass
class Container:
    """Every long-lived service of one trustplane process."""

    settings: Settings
    engine: Engine
    audit: AuditRecorder
    authenticator: CallerAuthenticator
    gate: RouteGate
    limiter: TokenBucketLimiter
    extras: dict[str, Any] = field(default_factory=dict)
    readiness: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    demo_seeders: list[Callable[[], list[str]]] = field(default_factory=list)

    def readiness_checks(self) -> list[tuple[str, Callable[[], None]]]:
        return [("database", self._database_reachable), *self.readiness]

    def _database_reachable(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        closer = getattr(self.audit, "close", None)
        if callable(closer):
            closer()
        self.engine.dispose()


def build_audit(settings: Settings, engine: Engine) -> AuditRecorder:
    """Placeholder until the audit room's durable log is wired (issue 5)."""
    return InMemoryAuditLog()


def build_authenticator(
    settings: Settings, engine: Engine, audit: AuditRecorder
) -> CallerAuthenticator:
    from identity import AuthenticationError, Caller

    class _RejectAll:
        def authenticate_bearer(self, token: str) -> Caller:
            raise AuthenticationError("no identity provider wired")

        def authenticate_session(self, session_token: str) -> Caller:
            raise AuthenticationError("no identity provider wired")

    return _RejectAll()


def build_container(settings: Settings, engine: Engine | None = None) -> Container:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.effective_database_url)
    audit = build_audit(settings, engine)
    container = Container(
        settings=settings,
        engine=engine,
        audit=audit,
        authenticator=build_authenticator(settings, engine, audit),
        gate=RoleGate(),
        limiter=TokenBucketLimiter(
            settings.web.rate_limit_per_second, settings.web.rate_limit_burst
        ),
    )
    from trustplane.wiring_controls import build_controls, build_scheduler

    controls = build_controls(settings, engine, audit)
    container.extras["controls"] = controls
    container.extras["controls_scheduler"] = build_scheduler(settings, controls)
    return container
