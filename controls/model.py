"""Typed catalog: frameworks, requirements and unified controls (validated at load)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONTROL_ID_PATTERN = r"^TP-[A-Z]+-\d{2}$"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


class Frequency(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def period(self) -> timedelta:
        return _PERIODS[self]


_PERIODS = {
    Frequency.HOURLY: timedelta(hours=1),
    Frequency.DAILY: timedelta(days=1),
    Frequency.WEEKLY: timedelta(days=7),
    Frequency.MONTHLY: timedelta(days=31),
    Frequency.QUARTERLY: timedelta(days=92),
    Frequency.YEARLY: timedelta(days=366),
}


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    title: str = Field(min_length=3)
    summary: str = Field(min_length=10)
    parent: str | None = None


class Framework(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    version: str
    authority: str
    requirements: tuple[Requirement, ...]

    @field_validator("requirements")
    @classmethod
    def _unique_ids(cls, value: tuple[Requirement, ...]) -> tuple[Requirement, ...]:
        ids = [req.id for req in value]
        duplicates = sorted({rid for rid in ids if ids.count(rid) > 1})
        if duplicates:
            raise ValueError(f"duplicate requirement ids: {duplicates}")
        known = set(ids)
        orphans = sorted(req.id for req in value if req.parent and req.parent not in known)
        if orphans:
            raise ValueError(f"requirements with unknown parent: {orphans}")
        return value

    def requirement(self, requirement_id: str) -> Requirement | None:
        return next((req for req in self.requirements if req.id == requirement_id), None)


class Control(BaseModel):
    """One unified control: evidenced by checks, mapped to requirements of many frameworks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=CONTROL_ID_PATTERN)
    title: str = Field(min_length=5)
    owner: str = Field(min_length=2)
    frequency: Frequency
    severity: Severity
    checks: tuple[str, ...] = Field(min_length=1)
    mappings: dict[str, tuple[str, ...]] = Field(min_length=1)


class Catalog(BaseModel):
    """The loaded catalog; build it with ``controls.catalog_loader.load_catalog``."""

    model_config = ConfigDict(frozen=True)

    frameworks: dict[str, Framework]
    controls: dict[str, Control]

    def framework(self, framework_id: str) -> Framework:
        from controls.errors import UnknownFrameworkError

        try:
            return self.frameworks[framework_id]
        except KeyError:
            raise UnknownFrameworkError(f"unknown framework {framework_id!r}") from None

    def control(self, control_id: str) -> Control:
        from controls.errors import UnknownControlError

        try:
            return self.controls[control_id]
        except KeyError:
            raise UnknownControlError(f"unknown control {control_id!r}") from None

    def controls_for(self, framework_id: str) -> list[Control]:
        return [c for c in self.controls.values() if c.mappings.get(framework_id)]

    def controls_with_check(self, check_id: str) -> list[Control]:
        return [c for c in self.controls.values() if check_id in c.checks]
