"""Composition of the policies room: settings → ``PolicyRoom``, gate, metrics."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from policies import PolicyRoom, PrometheusDecisionMetrics, build_policy_room
from trustplane.policy_demo import seed_policy_demo
from trustplane.settings import Settings
from web.policy_gate import PolicyRouteGate

if TYPE_CHECKING:
    from trustplane.wiring import Container

ROOM_KEY = "policies"


def build_policies(settings: Settings, container: Container) -> PolicyRoom:
    policy = settings.policy
    key_pem = (
        policy.bundle_signing_key_path.read_bytes() if policy.bundle_signing_key_path else None
    )
    return build_policy_room(
        container.engine,
        container.audit,
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
    )


def wire_policies(container: Container) -> PolicyRoom:
    """Plug the decision point into the container: room, route gate, readiness, shutdown."""
    room = build_policies(container.settings, container)
    container.extras[ROOM_KEY] = room
    if container.settings.policy.route_gate == "engine":
        container.gate = PolicyRouteGate(room.routes)

    def bundle_loaded() -> None:
        room.bundles.current()

    container.readiness.append(("policy_bundle", bundle_loaded))
    container.demo_seeders.append(partial(seed_policy_demo, room))
    return room


def attach_policy_metrics(container: Container, registry: CollectorRegistry) -> None:
    room = container.extras.get(ROOM_KEY)
    if isinstance(room, PolicyRoom):
        metrics = PrometheusDecisionMetrics(registry)
        room.decisions.metrics = metrics
        room.logger.metrics = metrics


def close_policies(container: Container) -> None:
    room = container.extras.get(ROOM_KEY)
    if isinstance(room, PolicyRoom):
        room.close()
