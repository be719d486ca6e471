"""The route gate: may this caller use this route?

Until the decision point lands, roles gate routes (``RoleGate``); the composition root can
plug an engine-backed gate (package ``trustplane.authz``) into the same port.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from identity import Caller


@dataclass(frozen=True)
class GateDecision:
    allow: bool
    reasons: list[str] = field(default_factory=list)


class RouteGate(Protocol):
    @property
    def blocking(self) -> bool:
        """True when ``check`` may wait on I/O now (it then runs in the threadpool)."""
        ...

    def check(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision: ...


# action -> roles that may perform it (admin may do everything in the fallback gate)
DEFAULT_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "whoami": frozenset({"service", "dpo", "auditor", "security", "admin"}),
    "decide": frozenset({"service", "security", "admin"}),
    "fields:encrypt": frozenset({"service", "admin"}),
    "fields:decrypt": frozenset({"service", "dpo", "admin"}),
    "audit:read": frozenset({"auditor", "security", "admin"}),
    "audit:checkpoint": frozenset({"security", "admin"}),
    "evidence:read": frozenset({"auditor", "security", "admin"}),
    "collections:run": frozenset({"security", "admin"}),
    "dsr:manage": frozenset({"dpo", "admin"}),
    "admin:manage": frozenset({"admin"}),
    "bundles:read": frozenset({"service", "opa-agent", "security", "admin"}),
    # ingested decision logs and agent status: agents alone (recorded as reported by them)
    "decision_logs:write": frozenset({"opa-agent"}),
    "agents:report": frozenset({"opa-agent"}),
}


class RoleGate:
    """Fallback gate: an action is allowed when the caller holds one of its roles."""

    blocking = False

    def __init__(self, permissions: Mapping[str, frozenset[str]] | None = None) -> None:
        self._permissions = dict(permissions or DEFAULT_ROLE_PERMISSIONS)

    def check(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision:
        allowed_roles = self._permissions.get(action, frozenset({"admin"}))
        if caller.has_any_role(*allowed_roles):
            return GateDecision(allow=True)
        return GateDecision(
            allow=False,
            reasons=[
                f"action {action!r} on {resource_type!r} needs one of {sorted(allowed_roles)}"
            ],
        )
