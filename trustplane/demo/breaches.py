"""The breach register's demo: one open breach, its clocks running."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from audit import Actor
from privacy import BreachRegister

DEMO_DPO = Actor(id="demo-dpo", kind="user", roles=("dpo",))


def seed_breach_demo(register: BreachRegister, clock: Callable[[], datetime]) -> list[str]:
    """Idempotent: a second run finds a breach recorded and changes nothing."""
    if register.breaches():
        return ["breaches: demo breach already recorded"]
    now = clock()
    breach = register.create(
        title="Support export of customer contacts emailed to a wrong address",
        severity="P1",
        detected_at=now - timedelta(hours=2),
        aware_at=now - timedelta(hours=1, minutes=30),
        affected_count=120,
        categories=["contact"],
        systems=["core_banking"],
        regimes=["dpdp", "gdpr", "cert-in"],
        actor=DEMO_DPO,
    )
    register.add_note(breach.id, "recipient asked to delete the file; mailbox access revoked",
                      actor=DEMO_DPO)  # fmt: skip
    return [f"breaches: one open breach with its clocks running ({breach.id})"]
