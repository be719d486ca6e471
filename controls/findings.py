"""Findings: what a check concludes about one resource."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FindingStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


class Result(BaseModel):
    """What a check function yields: status, the resource judged and why."""

    model_config = ConfigDict(frozen=True)

    status: FindingStatus
    resource: str
    reason: str


class Finding(BaseModel):
    """A result attributed to its check and collector."""

    model_config = ConfigDict(frozen=True)

    check_id: str
    collector: str
    status: FindingStatus
    resource: str
    reason: str


def passed(resource: str, reason: str) -> Result:
    return Result(status=FindingStatus.PASS, resource=resource, reason=reason)


def failed(resource: str, reason: str) -> Result:
    return Result(status=FindingStatus.FAIL, resource=resource, reason=reason)


def not_applicable(resource: str, reason: str) -> Result:
    return Result(status=FindingStatus.NOT_APPLICABLE, resource=resource, reason=reason)


def errored(resource: str, reason: str) -> Result:
    return Result(status=FindingStatus.ERROR, resource=resource, reason=reason)


def verdict(ok: bool, resource: str, good: str, bad: str) -> Result:
    """``passed(resource, good)`` when ``ok``, else ``failed(resource, bad)``."""
    return passed(resource, good) if ok else failed(resource, bad)
