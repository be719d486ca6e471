"""The request and decision shapes of ACCESS-MODEL.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from policies.errors import InvalidRequestError
from policies.input_limits import message, unrepresentable

POLICY_EVALUATION_FAILED = "policy evaluation failed"
DECISION_LOG_UNAVAILABLE = "decision log unavailable"


class Subject(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=256)
    type: str = Field(min_length=1, max_length=32)
    roles: list[str] = Field(default_factory=list, max_length=64)
    attributes: dict[str, Any] = Field(default_factory=dict)


class Action(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=128)


class Resource(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(min_length=1, max_length=128)
    id: str | None = Field(default=None, max_length=256)


class AuthorizationRequest(BaseModel):
    """``{subject, action, resource, context}``; unknown attributes pass through to Rego."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "subject": {
                    "id": "u-123",
                    "type": "user",
                    "roles": ["support_agent"],
                    "attributes": {"mfa_age_seconds": 120},
                },
                "action": {"name": "read"},
                "resource": {
                    "type": "customer_profile",
                    "id": "c-9",
                    "owner_id": "c-9",
                    "classification": 3,
                    "region": "ap-south-1",
                    "residency": "IN",
                    "fields": ["name", "email", "pan"],
                },
                "context": {"purpose": "support", "ticket_customer_id": "c-9"},
            }
        },
    )

    subject: Subject
    action: Action
    resource: Resource
    context: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _canonicalizable(cls, raw: Any) -> Any:
        """Every decision is logged: refuse values the audit log cannot canonicalize."""
        problem = unrepresentable(raw)
        if problem is not None:
            raise ValueError(message(problem))
        return raw


def validate_request(raw: Any) -> dict[str, Any]:
    """Check the shape; return the caller's document unchanged (absent stays absent)."""
    try:
        AuthorizationRequest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise InvalidRequestError(f"{where or 'request'}: {first.get('msg', 'invalid')}") from None
    assert isinstance(raw, dict)
    return raw


@dataclass(frozen=True)
class Decision:
    allow: bool
    reasons: list[str]
    obligations: list[dict[str, Any]]
    policy_revision: str
    decision_id: str
    failed: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "allow": self.allow,
            "reasons": list(self.reasons),
            "obligations": list(self.obligations),
            "policy_revision": self.policy_revision,
            "decision_id": self.decision_id,
        }


class DecisionOut(BaseModel):
    """Response body of ``POST /v1/authorize``."""

    allow: bool
    reasons: list[str]
    obligations: list[dict[str, Any]]
    policy_revision: str
    decision_id: str
