"""Composition of the policies room: settings → ``PolicyRoom``, the route gate, readiness."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine

from audit import AuditRecorder
from policies import (
    ConsentSource,
    DecisionMetrics,
    FactCheck,
    PolicyRoom,
    SubstituteCounter,
    build_policy_room,
)
from trustplane.keyfiles import load_existing
from trustplane.settings import Settings
from web.gate import RoleGate, RouteGate
from web.policy_gate import PolicyRouteGate


def build_policies(
    settings: Settings,
    engine: Engine,
    audit: AuditRecorder,
    *,
    metrics: DecisionMetrics,
    log_metrics: SubstituteCounter,
    consents: ConsentSource | None,
    facts: Sequence[FactCheck] = (),
) -> PolicyRoom:
    policy = settings.policy
    key_path = policy.bundle_signing_key_path
    key_pem = load_existing(key_path) if key_path else None
    return build_policy_room(
        engine,
        audit,
        engine_kind=policy.engine,
        bundle_dir=policy.bundle_dir,
        opa_url=policy.opa_url,
        opa_token=policy.opa_token.get_secret_value() if policy.opa_token else None,
        timeout_ms=policy.timeout_ms,
        signing_key_pem=key_pem,
        signing_keyid=policy.bundle_signing_keyid,
        poll_seconds=policy.poll_seconds,
        log_queue_size=policy.decision_log_queue,
        durable_log=policy.decision_log_mode == "durable",
        log_wait_seconds=policy.decision_log_wait_seconds,
        metrics=metrics,
        log_metrics=log_metrics,
        consents=consents,
        facts=facts,
    )


def build_route_gate(settings: Settings, room: PolicyRoom) -> RouteGate:
    """The decision point gates trustplane's own routes (``policy.route_gate=engine``), or roles."""
    if settings.policy.route_gate == "engine":
        return PolicyRouteGate(room)
    return RoleGate()


def bundle_ready(room: PolicyRoom) -> Callable[[], None]:
    """Readiness: the active policy bundle is loaded."""

    def bundle_loaded() -> None:
        room.bundles.current()

    return bundle_loaded
