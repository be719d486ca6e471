"""Who is calling: the authenticated principal every other layer sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CallerKind(StrEnum):
    USER = "user"
    SERVICE = "service"


class AuthMethod(StrEnum):
    BEARER = "bearer"  # JWT from /oauth/token or a trusted OIDC issuer
    SESSION = "session"  # cookie from /auth/login


TRUSTPLANE_ROLES = frozenset({"service", "opa-agent", "dpo", "auditor", "security", "admin"})
FINSOLVE_ROLES = frozenset(
    {
        "customer",
        "support_agent",
        "engineer",
        "security_analyst",
        "dpo",
        "auditor",
        "admin",
        "svc:auth",
        "svc:payments",
        "svc:wealth",
        "svc:analytics",
        "svc:notification",
    }
)
KNOWN_ROLES = TRUSTPLANE_ROLES | FINSOLVE_ROLES


@dataclass(frozen=True)
class Caller:
    """An authenticated user or service account."""

    id: str
    kind: CallerKind
    roles: frozenset[str]
    auth_method: AuthMethod = AuthMethod.BEARER
    attributes: Mapping[str, Any] = field(default_factory=dict)
    csrf_token: str | None = None  # set for session callers only
    # a session of a user still holding its one-time password (the console asks for a change)
    must_change_password: bool = False

    def has_any_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)
