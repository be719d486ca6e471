"""Decrypts under purpose ``dsr`` are bound to a live request: ``vault.DsrRegistry`` over
the DSR table alone, so the composition root can build it before the vault (ADR 0601)."""

from __future__ import annotations

from privacy.model import DsrState
from privacy.repository import DsrRepository


class DsrBindings:
    """May a decrypt of ``owner_id``'s field cite ``dsr_id``? Only when that request exists,
    is verified and in progress, and is about that data principal."""

    def __init__(self, repository: DsrRepository) -> None:
        self._repository = repository

    def decrypt_binding(self, dsr_id: str, owner_id: str) -> str | None:
        """``None`` when a decrypt for ``owner_id`` may cite ``dsr_id``; else the reason not."""
        request = self._repository.get(dsr_id) if dsr_id else None
        if request is None:
            return f"unknown data subject request {dsr_id!r}"
        if request.state is not DsrState.IN_PROGRESS or request.verified_method is None:
            state = request.state.value
            return f"data subject request {dsr_id} is {state}, not verified and in progress"
        if owner_id not in request.subject_ids:
            return f"data subject request {dsr_id} is not about this data principal"
        return None
