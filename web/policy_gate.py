"""The engine-backed route gate: trustplane's own routes decided by ``trustplane.authz``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit import AuditUnavailableError
from identity import Caller
from policies import DECISION_LOG_UNAVAILABLE, EvaluationError, RouteAuthorizer
from web.gate import GateDecision


def caller_subject(caller: Caller) -> dict[str, Any]:
    return {
        "id": caller.id,
        "type": caller.kind.value,
        "roles": sorted(caller.roles),
        "attributes": dict(caller.attributes),
    }


class PolicyRouteGate:
    """``RouteGate`` port implemented by the decision point (fails closed like any decision).

    A decision that failed (engine error or timeout, or a full decision-log queue) is not
    the caller's fault: it refuses the request with 503 rather than a misleading 403.
    """

    def __init__(self, authorizer: RouteAuthorizer) -> None:
        self._authorizer = authorizer

    @property
    def blocking(self) -> bool:
        return not self._authorizer.decides_inline

    def check(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision:
        decision = self._authorizer.authorize(
            caller_subject(caller), action, resource_type, {"ip": context.get("ip")}
        )
        if decision.failed:
            if DECISION_LOG_UNAVAILABLE in decision.reasons:
                raise AuditUnavailableError(DECISION_LOG_UNAVAILABLE)
            raise EvaluationError(decision.reasons[0])
        return GateDecision(allow=decision.allow, reasons=list(decision.reasons))
