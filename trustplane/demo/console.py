"""Demo seed for the console: a week of decisions from FinSolve's services and a key rotation.

The decision point decides sample requests from the five domain services (support,
analytics with and without consent, wealth, payments, an engineer reaching for PII), so the
console's decisions page shows rates, deny reasons and denied subjects; the field key is
rotated once, so the keys page shows a key operation. Everything goes through the real
services (and so into the audit log); nothing is written behind their back.

With the demo's seeding clock held a week back (an empty log, ``trustplane.demo.clock``),
each of the seven days before today gets its rounds of decisions, two hours apart, the log
stamping them with the clock as it moves forward; the rotation comes on the last day; then
the clock is released to real time. Without it, the rounds are decided now.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from audit import Actor
from policies import PolicyRoom
from trustplane.demo.clock import SeedingClock
from vault import VaultServices

DEMO_ACTOR = Actor(id="trustplane-demo", kind="system")
ROUNDS = 12
FIELD_KEY = "fields"
DEMO_WEEK = timedelta(days=7)
ROUND_EVERY = timedelta(hours=2)


def _request(
    subject: dict[str, Any], action: str, resource: dict[str, Any], **context: Any
) -> dict[str, Any]:
    base = {"region": "ap-south-1", "residency": "IN"}
    return {
        "subject": {"attributes": {}, **subject},
        "action": {"name": action},
        "resource": {**base, **resource},
        "context": context,
    }


def sample_requests(round_number: int) -> list[tuple[str, dict[str, Any]]]:
    """(calling service, request) pairs: allowed and denied by the shipped policy."""
    customer = f"c-{100 + round_number}"
    profile = {"type": "customer_profile", "id": customer, "owner_id": customer,
               "classification": 3, "fields": ["name", "email", "pan"]}  # fmt: skip
    agent = {"id": f"u-agent-{round_number % 4}", "type": "user", "roles": ["support_agent"]}
    analytics = {"id": "svc:analytics", "type": "service", "roles": ["svc:analytics"]}
    return [
        ("support-desk", _request(agent, "read", profile, purpose="support",
                                  ticket_customer_id=customer)),
        ("support-desk", _request(agent, "read", profile, purpose="support",
                                  ticket_customer_id="c-other")),
        ("analytics", _request(analytics, "read", profile, purpose="analytics",
                               consents=["analytics"])),
        ("analytics", _request(analytics, "read", profile, purpose="analytics", consents=[])),
        ("wealth", _request({"id": "svc:wealth", "type": "service", "roles": ["svc:wealth"]},
                            "read", {"type": "portfolio", "id": f"p-{round_number}",
                                     "owner_id": customer, "classification": 3})),
        ("payments", _request({"id": "svc:payments", "type": "service",
                               "roles": ["svc:payments"]}, "read",
                              {"type": "payment_credential", "id": f"card-{round_number}",
                               "owner_id": customer, "classification": 4},
                              purpose="payment_processing")),
        ("engineering", _request({"id": f"u-eng-{round_number % 3}", "type": "user",
                                  "roles": ["engineer"]}, "read", profile)),
    ]  # fmt: skip


def week_start(now: datetime) -> datetime:
    """Midnight UTC seven days ago: the week is the seven whole days before today."""
    return datetime.combine((now - DEMO_WEEK).date(), time.min, tzinfo=UTC)


def _round_times(start: datetime) -> list[datetime]:
    """Seven days from ``start``, ``ROUNDS`` rounds a day, two hours apart."""
    return [
        start + timedelta(days=day) + ROUND_EVERY * round_number
        for day in range(DEMO_WEEK.days)
        for round_number in range(ROUNDS)
    ]


def seed_console_demo(
    policies: PolicyRoom, vault: VaultServices | None, clock: SeedingClock | None = None
) -> list[str]:
    """Idempotent: a second run finds the field key rotated and decides nothing new."""
    try:
        if vault is not None and vault.keys.provider.describe(FIELD_KEY).version > 1:
            return ["console demo: decisions and a key rotation were seeded at first run"]
        week = clock is not None and clock.held
        moments: list[datetime | None] = (
            list(_round_times(clock())) if clock is not None and week else [None] * ROUNDS
        )
        decided = denied = 0
        for index, moment in enumerate(moments):
            if clock is not None and moment is not None:
                clock.hold(moment)
            for service, request in sample_requests(index % ROUNDS):
                decision = policies.decisions.decide(request, requested_by=service)
                decided += 1
                denied += not decision.allow
            policies.logger.flush()  # recorded while the clock shows this round's time
        span = "over the last 7 days" if week else "now"
        lines = [f"console demo: {decided} decisions from five services {span} ({denied} denied)"]
        if vault is not None:
            info = vault.keys.rotate(FIELD_KEY, actor=DEMO_ACTOR)
            lines.append(f"console demo: field key rotated to version {info.version}")
        return lines
    finally:
        if clock is not None:
            clock.release()
