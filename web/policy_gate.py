"""The engine-backed route gate: trustplane's own routes decided by ``trustplane.authz``.

The one adapter between the web layer's ``RouteGate`` port and the decision point: the
caller becomes the request's subject, the route's action and resource type its action and
resource (``policies.access_request``), and the decision a ``GateDecision``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audit import AuditUnavailableError
from identity import Caller
from policies import (
    DECISION_LOG_UNAVAILABLE,
    TRUSTPLANE_QUERY,
    UNLOGGED_GATE_ALLOWS,
    Decision,
    Evaluated,
    Evaluation,
    EvaluationError,
    PolicyRoom,
    access_request,
)
from web.gate import GateDecision
from web.settle import decide_durably

ENTRY_POINT = "route-gate"
REQUESTED_BY = "trustplane"
# the roles of the input's subject that hold the input's permission, conditions aside
GRANTING_ROLES_QUERY = "data.trustplane.authz.granting_roles"
HELD_CACHE_SIZE = 256

# (policy revision, subject type, roles, permissions) -> which permissions the roles hold
HeldKey = tuple[str, str, frozenset[str], tuple[tuple[str, str], ...]]


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

    def __init__(self, room: PolicyRoom) -> None:
        self._room = room
        self._held: dict[HeldKey, list[bool]] = {}

    @property
    def blocking(self) -> bool:
        return not self._room.decides_inline

    def check(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision:
        evaluated = self._evaluate(caller, action, resource_type, context)
        return self._gate_decision(self._room.decisions.submit([evaluated]).settle()[0])

    async def admit(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> GateDecision:
        """``check`` for the event loop: evaluated there on a loaded embedded engine; an
        allow that is not logged (the decision endpoints, ADR 0209) is answered at once, a
        logged decision awaits its durable event without holding a worker thread."""
        decision = await decide_durably(
            self._room, lambda: self._evaluate(caller, action, resource_type, context)
        )
        return self._gate_decision(decision)

    def _evaluate(
        self, caller: Caller, action: str, resource_type: str, context: Mapping[str, Any]
    ) -> Evaluated:
        request = access_request(
            caller_subject(caller), action, {"type": resource_type}, {"ip": context.get("ip")}
        )
        return self._room.decisions.evaluate(
            request,
            entry_point=ENTRY_POINT,
            requested_by=REQUESTED_BY,
            query=TRUSTPLANE_QUERY,
            # the decision endpoints' own decision event records the call (ADR 0209)
            log_allow=action not in UNLOGGED_GATE_ALLOWS,
        )

    @staticmethod
    def _gate_decision(decision: Decision) -> GateDecision:
        if decision.failed:
            if DECISION_LOG_UNAVAILABLE in decision.reasons:
                raise AuditUnavailableError(DECISION_LOG_UNAVAILABLE)
            raise EvaluationError(decision.reasons[0])
        return GateDecision(allow=decision.allow, reasons=list(decision.reasons))

    def visible(self, caller: Caller, permissions: Sequence[tuple[str, str]]) -> list[bool]:
        """Which permissions the caller's role set holds in the active revision (ADR 0841):
        the engine's own ``granting_roles`` rule, asked once per (revision, subject type,
        roles) and kept; a new revision is a new key. Not a decision about a request, so not
        logged; an engine error hides every item and is not kept (fail closed)."""
        try:
            engine = self._room.decisions.engines.current()
        except Exception:  # no engine (database down, no bundle): show nothing
            return [False] * len(permissions)
        key: HeldKey = (engine.revision, caller.kind.value, caller.roles, tuple(permissions))
        held = self._held.get(key)
        if held is None:
            subject = {"id": caller.id, "type": caller.kind.value, "roles": sorted(caller.roles)}
            try:
                held = [
                    _non_empty(
                        engine.evaluate(
                            GRANTING_ROLES_QUERY,
                            access_request(subject, action, {"type": resource_type}),
                        )
                    )
                    for action, resource_type in permissions
                ]
            except EvaluationError:
                return [False] * len(permissions)
            if len(self._held) >= HELD_CACHE_SIZE:
                self._held.clear()
            self._held[key] = held
        return list(held)


def _non_empty(evaluation: Evaluation) -> bool:
    return evaluation.defined and isinstance(evaluation.value, list) and bool(evaluation.value)
