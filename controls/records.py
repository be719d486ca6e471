"""Plain records the repository returns (rows converted, times made UTC-aware)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from controls.findings import Finding


class CollectionStatus:
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"


class StoredFinding(BaseModel):
    """A finding as judged in one collection, with when and on which evidence."""

    model_config = ConfigDict(frozen=True)

    finding: Finding
    observed_at: datetime
    evidence_sha256: str | None = None
    run_id: str


class CollectionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    run_id: str
    collector: str
    status: str
    scope: str
    evidence_sha256: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime
    findings: tuple[Finding, ...] = ()


class RunRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    trigger: str
    actor: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    collections: tuple[CollectionRecord, ...] = ()


class PostureSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    framework_id: str
    satisfied: int
    assessed: int
    failing: int
    total: int
    taken_at: datetime

    @property
    def percent(self) -> float:
        return round(100.0 * self.satisfied / self.assessed, 1) if self.assessed else 0.0
