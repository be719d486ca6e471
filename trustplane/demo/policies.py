"""Demo seed of the policies room: a derived bundle revision that admits loopback admins.

``trustplane demo`` serves on 127.0.0.1 while the shipped admin allowlist is 10.0.0.0/8, so
the demo admin could do nothing. The demo pushes (tests first, like any push) a derived
revision of the active bundle whose data adds loopback to ``finsolve.config.admin.cidrs``:
a real content-hashed revision, listed in ``GET /v1/policy/revisions`` and audited. The
shipped bundle and production settings are untouched (ADR 0203).
"""

from __future__ import annotations

import copy

from policies import BundleFiles, PolicyRoom

DEMO_ACTOR = "trustplane-demo"
LOOPBACK_CIDRS = ("127.0.0.0/8", "::1/128")


def with_admin_cidrs(files: BundleFiles, cidrs: tuple[str, ...]) -> BundleFiles:
    """The same modules; data with ``cidrs`` appended to the admin allowlist (no duplicates)."""
    data = copy.deepcopy(files.data)
    admin = data.setdefault("finsolve", {}).setdefault("config", {}).setdefault("admin", {})
    listed = list(admin.get("cidrs", []))
    admin["cidrs"] = listed + [cidr for cidr in cidrs if cidr not in listed]
    return BundleFiles(modules=dict(files.modules), data=data)


def seed_policy_demo(room: PolicyRoom) -> list[str]:
    """Activate the loopback-admitting revision (idempotent: nothing new when it is active)."""
    active = room.bundles.active_files
    derived = with_admin_cidrs(active, LOOPBACK_CIDRS)
    if derived.revision == active.revision:
        return [f"demo policy revision {active.revision[:12]} active (admin network + loopback)"]
    pushed = room.bundles.push(derived, actor=DEMO_ACTOR, kind="demo")
    return [
        f"demo policy revision {pushed.revision[:12]} activated: the admin network allowlist "
        f"also admits loopback ({', '.join(LOOPBACK_CIDRS)}); demo only, see ADR 0203",
    ]
