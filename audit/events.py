"""What callers hand to ``record()``: the content PCI DSS v4.0.1 10.2.2 asks of an event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    DECISION = "decision"
    DECISION_REPORTED = "decision_reported"  # an agent's report of its decision (ADR 0210)
    KEY_OPERATION = "key_operation"
    FIELD_DECRYPT = "field_decrypt"
    DSR_STEP = "dsr_step"
    CONSENT_CHANGE = "consent_change"
    EVIDENCE_COLLECTED = "evidence_collected"
    CONTROL_RESULT = "control_result"
    REPORT_GENERATED = "report_generated"
    LOGIN = "login"
    LOGOUT = "logout"
    LOGIN_FAILED = "login_failed"
    TOKEN_ISSUED = "token_issued"
    ADMIN_ACTION = "admin_action"
    POLICY_REVISION = "policy_revision"
    AUDIT_EXPORT = "audit_export"
    AUDIT_READ = "audit_read"
    BREACH = "breach"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str = "system"  # user | service | system
    roles: tuple[str, ...] = ()


class Origin(BaseModel):
    model_config = ConfigDict(frozen=True)

    ip: str | None = None
    request_id: str | None = None
    service: str = "trustplane"


class Target(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str
    id: str | None = None


SYSTEM_ACTOR = Actor(id="trustplane", kind="system")


class AuditEventIn(BaseModel):
    """An event as a caller states it; the log adds id, time and sequence number."""

    model_config = ConfigDict(frozen=True)

    type: EventType
    outcome: Outcome = Outcome.SUCCESS
    actor: Actor = SYSTEM_ACTOR
    origin: Origin = Field(default_factory=Origin)
    target: Target
    details: dict[str, Any] = Field(default_factory=dict)


class RecordedEvent(BaseModel):
    """The receipt ``record()`` returns once the event is durable."""

    model_config = ConfigDict(frozen=True)

    seq: int
    id: str
    time: datetime
