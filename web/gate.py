"""The route gate: may this caller use this route?

Until the decision point lands, roles gate routes (``RoleGate``); the composition root can
plug an engine-backed gate (package ``trustplane.authz``) into the same port.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class NavigationGate(Protocol):
    """Which of these permissions does the caller's role set hold? (ADR 0841)

    What the console's navigation shows: the role's permissions, not a per-request decision
    (a link's page still runs its own gate check, with the role's conditions, when opened).
    """

    @property
    def blocking(self) -> bool: ...

    def visible(self, caller: Caller, permissions: Sequence[tuple[str, str]]) -> list[bool]: ...


@runtime_checkable
class AdmittingGate(Protocol):
    """A route gate that decides on the event loop and awaits any I/O it needs (ADR 0213);
    ``web.deps.require`` prefers ``admit`` to ``check`` when a gate has it."""

    async def admit(
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
    "reports:read": frozenset({"auditor", "security", "admin"}),
    "reports:generate": frozenset({"auditor", "security", "admin"}),
    "collections:run": frozenset({"security", "admin"}),
    "dsr:manage": frozenset({"dpo", "admin"}),
    "subjects:shred": frozenset({"dpo"}),
    "audit:hash": frozenset({"dpo", "security", "admin"}),
    "dsr:read": frozenset({"dpo", "auditor", "security", "admin"}),
    "consent:manage": frozenset({"dpo", "admin"}),
    "consent:read": frozenset({"dpo", "auditor", "security", "admin"}),
    "breach:manage": frozenset({"dpo", "admin"}),
    "breach:read": frozenset({"dpo", "auditor", "security", "admin"}),
    "ropa:read": frozenset({"dpo", "auditor", "security", "admin"}),
    "admin:manage": frozenset({"admin"}),
    "bundles:read": frozenset({"service", "opa-agent", "security", "admin"}),
    # ingested decision logs and agent status: agents alone (recorded as reported by them)
    "decision_logs:write": frozenset({"opa-agent"}),
    "agents:report": frozenset({"opa-agent"}),
}


# Acts only a person does, with MFA no older than rule 9's limit (the engine's human_acts).
HUMAN_ACTS = frozenset({"subjects:shred"})
HUMAN_ACT_MFA_SECONDS = 900


def _fresh_user(caller: Caller) -> bool:
    age = caller.attributes.get("mfa_age_seconds")
    if caller.kind.value != "user" or isinstance(age, bool) or not isinstance(age, int | float):
        return False
    return 0 <= age <= HUMAN_ACT_MFA_SECONDS


class RoleGate:
    """Fallback gate: an action is allowed when the caller holds one of its roles."""

    blocking = False

    def __init__(self, permissions: Mapping[str, frozenset[str]] | None = None) -> None:
        self._permissions = dict(permissions or DEFAULT_ROLE_PERMISSIONS)

    def check(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision:
        allowed_roles = self._permissions.get(action, frozenset({"admin"}))
        if action in HUMAN_ACTS and not _fresh_user(caller):
            return GateDecision(
                allow=False, reasons=[f"{action!r} is a human act: a user with fresh MFA"]
            )
        if caller.has_any_role(*allowed_roles):
            return GateDecision(allow=True)
        return GateDecision(
            allow=False,
            reasons=[
                f"action {action!r} on {resource_type!r} needs one of {sorted(allowed_roles)}"
            ],
        )

    def visible(self, caller: Caller, permissions: Sequence[tuple[str, str]]) -> list[bool]:
        return [
            caller.has_any_role(*self._permissions.get(action, frozenset({"admin"})))
            for action, _ in permissions
        ]
