"""Consent ledger values: purposes, the events of the ledger, a principal's state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from privacy.errors import InvalidConsentError

# an opaque account identifier (never an email or phone number: those are PII in logs)
PRINCIPAL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
CONSENT_MANAGER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
CHANNELS = frozenset({"app", "web", "branch", "call_centre", "email", "api", "consent_manager"})


class ConsentAction(StrEnum):
    GRANT = "grant"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Purpose:
    name: str
    description: str


@dataclass(frozen=True)
class ConsentEvent:
    """One grant or withdrawal as the ledger holds it (``audit_seq``: its audit event)."""

    id: int
    principal_id: str
    purpose: str
    action: ConsentAction
    at: datetime
    channel: str
    notice_id: str
    notice_version: int
    consent_manager_id: str | None
    actor: str
    audit_seq: int


@dataclass(frozen=True)
class ConsentState:
    """A principal's current consents (purpose -> the grant in force) and full history."""

    principal_id: str
    granted: dict[str, ConsentEvent]
    history: list[ConsentEvent]

    @property
    def purposes(self) -> frozenset[str]:
        return frozenset(self.granted)


def fold(principal_id: str, history: list[ConsentEvent]) -> ConsentState:
    """The state after replaying ``history`` (oldest first)."""
    granted: dict[str, ConsentEvent] = {}
    for event in history:
        if event.action is ConsentAction.GRANT:
            granted[event.purpose] = event
        else:
            granted.pop(event.purpose, None)
    return ConsentState(principal_id, granted, history)


def check_principal(principal_id: str) -> str:
    if not isinstance(principal_id, str) or not PRINCIPAL_ID.fullmatch(principal_id):
        raise InvalidConsentError(
            "principal must be an account identifier of 1-128 letters, digits or _ . : -"
        )
    return principal_id


def check_channel(channel: str, consent_manager_id: str | None) -> None:
    if channel not in CHANNELS:
        raise InvalidConsentError(
            f"unknown channel {channel!r}; one of: {', '.join(sorted(CHANNELS))}"
        )
    if consent_manager_id is not None and not CONSENT_MANAGER_ID.fullmatch(consent_manager_id):
        raise InvalidConsentError("consent_manager_id is not well formed")
    if channel == "consent_manager" and consent_manager_id is None:
        raise InvalidConsentError("a consent through a consent manager names its id")
