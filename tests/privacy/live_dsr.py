"""A real data subject request in the state a DSR-bound decrypt or decision needs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from audit import Actor
from privacy import DsrService, DsrState

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))


def open_dsr(service: DsrService, owner_id: str, *, in_progress: bool = True) -> str:
    """The id of a verified access request about ``owner_id``; in progress unless told not."""
    email = f"principal-{uuid.uuid4().hex[:12]}@example.com"
    request = service.create("access", {"email": email}, send_code=False, actor=DPO)
    service.attest(request.id, "identity checked on a call", DPO)
    if in_progress:
        moved = service.repository.transition(
            request.id,
            DsrState.VERIFIED,
            {"state": DsrState.IN_PROGRESS, "subject_ids": [owner_id]},
            datetime.now(UTC),
        )
        assert moved
    return request.id
