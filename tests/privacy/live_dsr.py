"""A real data subject request in the state a DSR-bound decrypt or decision needs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from audit import Actor
from privacy import DsrService, DsrState

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))
# the policy corpus (tests/policies/corpus.py) cites this id; an app checks a cited request
# against its DSR register (issue 15, item 4), so tests open a real one and cite it instead
CORPUS_DSR = "dsr-1"
CORPUS_OWNER = "c-9"


def citing(request: Mapping[str, Any], dsr_id: str) -> Mapping[str, Any]:
    """``request``, citing the real ``dsr_id`` where the corpus cites ``CORPUS_DSR``."""
    context = request.get("context", {})
    if context.get("dsr_id") != CORPUS_DSR:
        return request
    return {**request, "context": {**context, "dsr_id": dsr_id}}


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
