"""The engine-backed route gate: trustplane's own routes decided by ``trustplane.authz``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from identity import Caller
from policies import RouteAuthorizer
from web.gate import GateDecision


def caller_subject(caller: Caller) -> dict[str, Any]:
    return {
        "id": caller.id,
        "type": caller.kind.value,
        "roles": sorted(caller.roles),
        "attributes": dict(caller.attributes),
    }


class PolicyRouteGate:
    """``RouteGate`` port implemented by the decision point (fails closed like any decision)."""

    def __init__(self, authorizer: RouteAuthorizer) -> None:
        self._authorizer = authorizer

    def check(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision:
        decision = self._authorizer.authorize(
            caller_subject(caller), action, resource_type, {"ip": context.get("ip")}
        )
        return GateDecision(allow=decision.allow, reasons=list(decision.reasons))
