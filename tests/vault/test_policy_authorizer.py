"""The composition root's adapter from ``vault.Authorizer`` to the decision point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit import Actor, Origin
from policies import (
    DEFAULT_BUNDLE_DIR,
    DecisionService,
    RegorusEngine,
    StaticEngineSource,
    load_bundle_dir,
)
from trustplane.wiring.vault import PolicyDecryptAuthorizer
from vault import Accessor, FieldContext

SUPPORT = Accessor(
    actor=Actor(id="u-sa", kind="user", roles=("support_agent",)),
    purpose="support",
    origin=Origin(ip="10.0.0.5"),
    context={"ticket_customer_id": "c-9"},
)


class CountingDecisions:
    def __init__(self, inner: DecisionService) -> None:
        self.inner = inner
        self.requests: list[Mapping[str, Any]] = []

    def decide(self, request: Mapping[str, Any], **kwargs: Any) -> Any:
        self.requests.append(request)
        return self.inner.decide(request, **kwargs)


class BrokenDecisions:
    def decide(self, request: Mapping[str, Any], **kwargs: Any) -> Any:
        raise RuntimeError("engine exploded")


def _decisions() -> DecisionService:
    engine = RegorusEngine(load_bundle_dir(DEFAULT_BUNDLE_DIR))
    return DecisionService(StaticEngineSource(engine), None, timeout_seconds=5.0)


def _ctx(field: str, owner: str = "c-9") -> FieldContext:
    return FieldContext("customer_profile", field, owner, 3, "finsolve")


def test_request_shape_and_shared_decisions() -> None:
    decisions = CountingDecisions(_decisions())
    authorizer = PolicyDecryptAuthorizer(decisions)  # type: ignore[arg-type]
    answers = authorizer.authorize_decrypt(
        SUPPORT, [_ctx("pan"), _ctx("pan"), _ctx("name"), _ctx("pan", "c-10")]
    )
    assert len(decisions.requests) == 3  # the repeated field shares one decision
    first = decisions.requests[0]
    assert first["subject"] == {
        "id": "u-sa",
        "type": "user",
        "roles": ["support_agent"],
        "attributes": {},
    }
    assert first["action"] == {"name": "read"}
    assert first["resource"] == {
        "type": "customer_profile",
        "classification": 3,
        "fields": ["pan"],
        "id": "c-9",
        "owner_id": "c-9",
    }
    assert first["context"]["purpose"] == "support"
    assert first["context"]["ip"] == "10.0.0.5"
    assert first["context"]["ticket_customer_id"] == "c-9"
    pan, pan_again, name, other = answers
    assert pan.allow
    assert pan.obligations == ({"type": "mask", "fields": ["pan"], "format": "last4"},)
    assert pan_again is pan
    assert name.allow
    assert name.obligations == ()
    assert not other.allow
    assert other.reasons
    assert pan.decision_id


def test_decision_point_failure_denies() -> None:
    authorizer = PolicyDecryptAuthorizer(BrokenDecisions())  # type: ignore[arg-type]
    (answer,) = authorizer.authorize_decrypt(SUPPORT, [_ctx("pan")])
    assert not answer.allow
    assert answer.reasons == ("policy decision unavailable",)
