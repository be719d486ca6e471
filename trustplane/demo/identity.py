"""Demo seed of the identity room: an admin user and a service account, shown once."""

from __future__ import annotations

from audit import Actor
from identity import ConflictError, IdentityService

DEMO_ACTOR = Actor(id="trustplane-demo", kind="system")
DEMO_ADMIN_EMAIL = "admin@finsolve.example"
DEMO_SERVICE_NAME = "demo-service"


def seed_identity_demo(identity: IdentityService) -> list[str]:
    """Lines for the console; credentials exist only in these lines (stored as hashes)."""
    lines: list[str] = []
    try:
        admin = identity.create_user(DEMO_ADMIN_EMAIL, ["admin", "security"], DEMO_ACTOR)
    except ConflictError:
        lines.append(f"demo admin {DEMO_ADMIN_EMAIL} exists (credentials shown at first run)")
    else:
        lines += [
            f"demo admin: {admin.email}",
            f"  one-time password: {admin.password}",
            f"  TOTP provisioning URI: {admin.totp_uri}",
        ]
    try:
        service = identity.create_service_account(DEMO_SERVICE_NAME, ["service"], DEMO_ACTOR)
    except ConflictError:
        lines.append(f"demo service account {DEMO_SERVICE_NAME} exists")
    else:
        lines += [
            f"demo service account: {service.name}",
            f"  client_id: {service.client_id}",
            f"  client_secret: {service.client_secret}",
        ]
    return lines
