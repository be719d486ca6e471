"""Decrypts for a data subject request are bound to it (port ``DsrRegistry``).

A decrypt under purpose ``dsr`` must name (``context.dsr_id``) a request that exists, is
verified and in progress, and is about the owner of the field. The privacy room implements
``DsrRegistry``; the composition root wraps the vault's authorizer in ``DsrBoundAuthorizer``.
Any other purpose goes to the wrapped authorizer unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from vault.authz import Accessor, Authorizer, FieldDecision
from vault.context import FieldContext

DSR_PURPOSE = "dsr"


@runtime_checkable
class DsrRegistry(Protocol):
    def decrypt_binding(self, dsr_id: str, owner_id: str) -> str | None:
        """``None`` when a decrypt of ``owner_id``'s field may cite ``dsr_id``; else why not."""
        ...


class DsrBoundAuthorizer:
    """``Authorizer`` that denies ``dsr`` decrypts not bound to a live request, then asks
    the wrapped authorizer (the decision point) about the rest. A failing registry denies."""

    def __init__(self, inner: Authorizer, registry: DsrRegistry) -> None:
        self.inner = inner
        self.registry = registry

    def authorize_decrypt(
        self, accessor: Accessor, contexts: Sequence[FieldContext]
    ) -> Sequence[FieldDecision]:
        if accessor.purpose != DSR_PURPOSE:
            return self.inner.authorize_decrypt(accessor, contexts)
        raw = accessor.context.get("dsr_id")
        dsr_id = raw if isinstance(raw, str) else ""
        denials: dict[int, FieldDecision] = {}
        reasons: dict[str, str | None] = {}
        for index, context in enumerate(contexts):
            if context.owner_id not in reasons:
                try:
                    reasons[context.owner_id] = self.registry.decrypt_binding(
                        dsr_id, context.owner_id
                    )
                except Exception:  # the registry failing must deny, never allow
                    reasons[context.owner_id] = "data subject request registry unavailable"
            reason = reasons[context.owner_id]
            if reason is not None:
                denials[index] = FieldDecision(False, (reason,))
        allowed = [c for i, c in enumerate(contexts) if i not in denials]
        answers = iter(self.inner.authorize_decrypt(accessor, allowed) if allowed else [])
        return [denials[i] if i in denials else next(answers) for i in range(len(contexts))]
