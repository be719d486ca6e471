"""Breach register values: incidents, the regimes' notification duties (data), their clocks.

A duty is data (``privacy/breach_duties.json``): regime, law, what starts the clock
(``awareness`` or ``detection``), hours (``null``: without undue delay), recipient, the notice
template, the severities it applies to. A new regulator is a new row. Clocks are computed,
never stored: due time = start + hours, state from the notifications sent and the time now.
Times are UTC; ``ist`` renders them in India Standard Time for people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from importlib.resources import files
from zoneinfo import ZoneInfo

from privacy.errors import InvalidBreachError

IST = ZoneInfo("Asia/Kolkata")
SEVERITIES = ("P0", "P1", "P2", "P3")  # seed §5.3.2
NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


class BreachStatus(StrEnum):
    OPEN = "open"
    CONTAINED = "contained"
    CLOSED = "closed"


@dataclass(frozen=True)
class Duty:
    id: str
    regime: str
    law: str
    starts: str  # awareness | detection
    hours: int | None  # None: without undue delay
    recipient: str
    template: str
    severities: tuple[str, ...]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # created | updated | note | notified
    note: str
    duty_id: str | None
    audit_seq: int


@dataclass(frozen=True)
class Breach:
    id: str
    title: str
    severity: str
    status: BreachStatus
    detected_at: datetime
    aware_at: datetime
    affected_count: int
    affected_ids: tuple[str, ...]
    categories: tuple[str, ...]
    systems: tuple[str, ...]
    regimes: tuple[str, ...]
    timeline: tuple[TimelineEntry, ...] = field(default=())

    def notified(self, duty_id: str) -> datetime | None:
        times = [e.at for e in self.timeline if e.kind == "notified" and e.duty_id == duty_id]
        return min(times) if times else None


@dataclass(frozen=True)
class Clock:
    duty: Duty
    started_at: datetime
    due_at: datetime | None
    state: str  # running | overdue | met | met_late | due_now
    done_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


def ist(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")


def load_duties(text: str | None = None) -> tuple[Duty, ...]:
    raw = json.loads(
        text if text is not None else files("privacy").joinpath("breach_duties.json").read_text()
    )
    duties = tuple(
        Duty(
            id=item["id"],
            regime=item["regime"],
            law=item["law"],
            starts=item["starts"],
            hours=item["hours"],
            recipient=item["recipient"],
            template=item["template"],
            severities=tuple(item["severities"]),
        )
        for item in raw["duties"]
    )
    for duty in duties:
        if duty.starts not in {"awareness", "detection"}:
            raise ValueError(f"duty {duty.id}: starts is awareness or detection")
    return duties


def clocks(breach: Breach, duties: Sequence[Duty], now: datetime) -> list[Clock]:
    """Every duty that applies to ``breach`` (its regimes and severity), with its state."""
    out: list[Clock] = []
    for duty in duties:
        if duty.regime not in breach.regimes or breach.severity not in duty.severities:
            continue
        started = breach.aware_at if duty.starts == "awareness" else breach.detected_at
        due = started + timedelta(hours=duty.hours) if duty.hours is not None else None
        done = breach.notified(duty.id)
        if done is not None:
            state = "met" if due is None or done <= due else "met_late"
        elif due is None:
            state = "due_now"
        else:
            state = "overdue" if now > due else "running"
        out.append(Clock(duty, started, due, state, done))
    return out


def check_new(
    *,
    title: str,
    severity: str,
    detected_at: datetime,
    aware_at: datetime,
    affected_count: int,
    affected_ids: Sequence[str],
    categories: Sequence[str],
    systems: Sequence[str],
    regimes: Sequence[str],
    known_regimes: set[str],
    now: datetime,
) -> None:
    problems: list[str] = []
    if not title.strip():
        problems.append("title is empty")
    if severity not in SEVERITIES:
        problems.append(f"severity is one of {', '.join(SEVERITIES)}")
    for name, moment in (("detected_at", detected_at), ("aware_at", aware_at)):
        if moment.tzinfo is None:
            problems.append(f"{name} needs a time zone")
        elif moment > now + timedelta(minutes=5):
            problems.append(f"{name} is in the future")
    if not problems and aware_at < detected_at:
        problems.append("aware_at is before detected_at")
    if affected_count < len(set(affected_ids)):
        problems.append("affected_count is smaller than the identifiers given")
    if not categories:
        problems.append("a breach names the categories of personal data affected")
    for value in (*categories, *systems):
        if not NAME.fullmatch(value):
            problems.append(f"{value!r} is not a category or system name")
    unknown = sorted(set(regimes) - known_regimes)
    if unknown or not regimes:
        problems.append(f"regimes are some of {', '.join(sorted(known_regimes))}")
    if problems:
        raise InvalidBreachError("; ".join(problems))
