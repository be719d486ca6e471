"""The privacy room's demo: a FinSolve core-banking store (SQLite), its data map, two requests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from audit import Actor
from privacy import DsrService
from privacy.demo_store import create_demo_store, customer_email
from trustplane.settings import Settings
from vault import FieldContext, VaultServices

DATAMAP = Path(__file__).resolve().parents[2] / "privacy" / "datamap" / "finsolve.yaml"
SHIPPED_URL = "sqlite:///.trustplane-data/demo/finsolve-core.db"
DEMO_DPO = Actor(id="demo-dpo", kind="user", roles=("dpo",))


def demo_datamap(store: Path) -> str:
    return DATAMAP.read_text().replace(SHIPPED_URL, f"sqlite:///{store.resolve()}")


def seed_privacy_demo(
    settings: Settings, service: DsrService, vault: VaultServices | None
) -> list[str]:
    """Idempotent: a second run finds the data map loaded and changes nothing."""
    if service.repository.latest_datamap() is not None:
        return ["privacy: demo data map already loaded"]
    store = settings.data_dir / "demo" / "finsolve-core.db"
    store.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_engine(f"sqlite:///{store.resolve()}")
    try:

        def encrypt(pan: str, customer: str) -> str:
            if vault is None:
                return pan
            context = FieldContext(
                "customers", "pan", owner_id=customer, classification=3, tenant=vault.tenant
            )
            return vault.cipher.encrypt(pan, context)

        create_demo_store(engine, settings.privacy.demo_customers, encrypt)
    finally:
        engine.dispose()
    service.load_datamap(demo_datamap(store), DEMO_DPO)
    access = service.create(
        "access",
        {"email": customer_email(42)},
        regime="dpdp",
        actor=DEMO_DPO,
        note="demo: asked through the app",
    )
    erasure = service.create(
        "erasure",
        {"email": customer_email(7)},
        regime="gdpr",
        actor=DEMO_DPO,
        send_code=False,
        note="demo: closed her account, wants her data erased",
    )
    service.attest(erasure.id, "demo: identity checked on a video call against her KYC", DEMO_DPO)
    return [
        f"privacy: {settings.privacy.demo_customers} demo customers in {store}",
        f"privacy: open requests {access.id} (access, code in the outbox) and "
        f"{erasure.id} (erasure, verified)",
    ]
