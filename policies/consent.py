"""The consent port: decisions read a consent ledger without importing the privacy room.

``ConsentSource`` is implemented by the privacy room's ledger and plugged in by the
composition root. ``apply_ledger`` is the one rule: when a request's ``context.purpose``
is a purpose the ledger keeps and the resource names its owner, the ledger's consents of
that owner are what the policy sees. A caller that passed no ``context.consents`` gets them
filled in; a caller whose list contradicts the ledger on that purpose is overruled and the
decision's reasons say so. A ledger that cannot answer fails the decision closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

LEDGER_UNAVAILABLE = "consent ledger unavailable"


class ConsentSource(Protocol):
    """Read side of a consent ledger (``privacy.ConsentLedger`` implements it)."""

    def purposes(self) -> frozenset[str]:
        """The purposes whose consent the ledger records."""
        ...

    def consents_of(self, principal_id: str) -> frozenset[str]:
        """The purposes ``principal_id`` currently consents to (no stale answer after a
        change made through this ledger)."""
        ...

    def cached(self, principal_id: str) -> bool:
        """True when ``consents_of(principal_id)`` would answer from memory now."""
        ...


@dataclass(frozen=True)
class LedgerView:
    """A request as the policy sees it, and a note for the decision's reasons (or None)."""

    request: Mapping[str, Any]
    note: str | None = None
    failed: bool = False


def apply_ledger(request: Mapping[str, Any], source: ConsentSource) -> LedgerView:
    context = request.get("context")
    resource = request.get("resource")
    if not isinstance(context, Mapping) or not isinstance(resource, Mapping):
        return LedgerView(request)
    purpose = context.get("purpose")
    owner = resource.get("owner_id")
    if not isinstance(purpose, str) or not isinstance(owner, str) or not owner:
        return LedgerView(request)
    try:
        if purpose not in source.purposes():
            return LedgerView(request)
        held = source.consents_of(owner)
    except Exception:  # the ledger cannot answer: the decision fails closed
        return LedgerView(request, LEDGER_UNAVAILABLE, failed=True)
    given = context.get("consents")
    note = None
    if isinstance(given, list):
        claimed = purpose in given
        if claimed == (purpose in held):
            return LedgerView(request)
        state = "granted" if purpose in held else "not granted (or withdrawn)"
        note = (
            f'consent ledger overrides the caller: consent to "{purpose}" is {state} '
            "for the resource's owner"
        )
    filled = {**request, "context": {**context, "consents": sorted(held)}}
    return LedgerView(filled, note)
