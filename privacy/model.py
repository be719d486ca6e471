"""Data subject requests: types, states and the transitions between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from privacy.errors import IllegalTransitionError
from privacy.sla import Regime


class DsrType(StrEnum):
    ACCESS = "access"  # DPDP s.11, GDPR Art. 15
    CORRECTION = "correction"  # DPDP s.12, GDPR Art. 16
    ERASURE = "erasure"  # DPDP s.12, GDPR Art. 17
    PORTABILITY = "portability"  # GDPR Art. 20
    OBJECTION = "objection"  # GDPR Art. 21
    RESTRICTION = "restriction"  # GDPR Art. 18


class DsrState(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    EXTENDED = "extended"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


CLOSED = frozenset({DsrState.COMPLETED, DsrState.REJECTED, DsrState.CANCELLED})
OPEN = frozenset(set(DsrState) - CLOSED)

# action -> states it may start from, and the state it leads to
TRANSITIONS: dict[str, tuple[frozenset[DsrState], DsrState]] = {
    "verify": (frozenset({DsrState.RECEIVED}), DsrState.VERIFIED),
    "start": (frozenset({DsrState.VERIFIED, DsrState.EXTENDED}), DsrState.IN_PROGRESS),
    "request_approval": (frozenset({DsrState.IN_PROGRESS}), DsrState.AWAITING_APPROVAL),
    "approve": (frozenset({DsrState.AWAITING_APPROVAL}), DsrState.IN_PROGRESS),
    "complete": (frozenset({DsrState.IN_PROGRESS}), DsrState.COMPLETED),
    "extend": (
        frozenset({DsrState.RECEIVED, DsrState.VERIFIED, DsrState.IN_PROGRESS}),
        DsrState.EXTENDED,
    ),
    "reject": (frozenset(OPEN), DsrState.REJECTED),
    "cancel": (frozenset(OPEN), DsrState.CANCELLED),
}


def next_state(current: DsrState, action: str) -> DsrState:
    """The state ``action`` leads to from ``current``; raises when it is not allowed."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise IllegalTransitionError(f"cannot {action} a request that is {current.value}")
    return target


@dataclass
class Step:
    id: str
    system: str
    action: str
    status: str  # pending | done | failed | open (manual task)
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    audit_seq: int | None = None
    updated_at: datetime | None = None


@dataclass
class DsrRequest:
    id: str
    type: DsrType
    state: DsrState
    regime: Regime
    identifier_kind: str
    identifier_hash: str
    received_at: datetime
    due_at: datetime
    extended: bool = False
    verified_method: str | None = None
    approved_by: str | None = None
    reason: str | None = None  # rejection / cancellation / extension notice
    note: str = ""
    correction: dict[str, Any] = field(default_factory=dict)
    subject_ids: list[str] = field(default_factory=list)
    closed_at: datetime | None = None
    package_sha256: str | None = None
    steps: list[Step] = field(default_factory=list)
    audit_seqs: list[int] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now > self.due_at
