"""The consent ledger's demo: consents of the first demo customers, some withdrawn.

Notices need no seeding: the English and Hindi versions ship with the privacy room
(``trustplane notices show --lang hi``).
"""

from __future__ import annotations

from audit import Actor
from privacy import ConsentLedger
from privacy.demo_store import customer_id

DEMO_CUSTOMERS = 20
NOTICE = "finsolve-privacy"
APP = Actor(id="demo-app", kind="service", roles=("service",))


def seed_consent_demo(ledger: ConsentLedger) -> list[str]:
    """Idempotent: a second run finds the first customer's history and changes nothing."""
    if not {"analytics", "marketing"} <= ledger.purposes():
        return ["consents: analytics and marketing are not consent purposes here; none seeded"]
    if ledger.state(customer_id(1)).history:
        return ["consents: demo consents already recorded"]
    grants = withdrawals = 0
    for index in range(1, DEMO_CUSTOMERS + 1):
        principal = customer_id(index)
        purposes = ["analytics"] + (["marketing"] if index % 2 else [])
        for purpose in purposes:
            channel = "app" if index % 3 else "web"
            ledger.grant(
                principal,
                purpose,
                channel=channel,
                notice_id=NOTICE,
                notice_version=None,
                actor=APP,
            )
            grants += 1
        for purpose in (["marketing"] if index in {3, 7, 11} else []) + (
            ["analytics"] if index == 5 else []
        ):
            ledger.withdraw(principal, purpose, channel="app", actor=APP)
            withdrawals += 1
    return [
        f"consents: {grants} grants and {withdrawals} withdrawals for {DEMO_CUSTOMERS} customers "
        f"(e.g. trustplane consents show {customer_id(3)})"
    ]
