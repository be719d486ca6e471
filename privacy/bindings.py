"""Citing a data subject request is checked against the DSR table: ``vault.DsrRegistry`` for
decrypts under purpose ``dsr`` and ``policies.DsrSource`` for decisions naming
``context.dsr_id``, over the DSR table alone, so the composition root can build it before
the vault and the decision point (ADR 0601, ADR 0212)."""

from __future__ import annotations

import re

from privacy.model import DsrState
from privacy.repository import DsrRepository

# what a DSR id can look like (a UUID); anything else is unknown without a query
_DSR_ID = re.compile(r"[A-Za-z0-9-]{1,36}")


class DsrBindings:
    """May a decrypt of (or a decision about) ``owner_id``'s data cite ``dsr_id``? Only when
    that request exists, is verified and in progress, and is about that data principal."""

    def __init__(self, repository: DsrRepository) -> None:
        self._repository = repository

    def dsr_binding(self, dsr_id: str, owner_id: str) -> str | None:
        """``None`` when ``owner_id``'s data may be reached citing ``dsr_id``; else the reason
        not. An id trustplane does not hold is never echoed (it is the caller's text)."""
        known = _DSR_ID.fullmatch(dsr_id) is not None
        request = self._repository.get(dsr_id) if known else None
        if request is None:
            return "unknown data subject request (context.dsr_id names none trustplane holds)"
        if request.state is not DsrState.IN_PROGRESS or request.verified_method is None:
            state = request.state.value
            return f"data subject request {dsr_id} is {state}, not verified and in progress"
        if owner_id not in request.subject_ids:
            return f"data subject request {dsr_id} is not about this data principal"
        return None

    def decrypt_binding(self, dsr_id: str, owner_id: str) -> str | None:
        """The same rule for the vault's DSR-bound decrypts (``vault.DsrRegistry``)."""
        return self.dsr_binding(dsr_id, owner_id)
