"""DSR and breach performance for a period: volumes, SLA met, overdue (issue 18 item 2).

The reports room reads privacy through the ``PrivacyRecords`` port; the privacy room's
read-only adapter implements it and the composition root plugs it in. Records are read-only
Protocols too, so the adapter hands over its own small dataclasses.

A request counts in the period it was *received*; its outcome is judged at ``now``:
``met`` (closed by its due time), ``late`` (closed after it), ``overdue`` (open past due) or
``open`` (open, not yet due). A breach counts in the period it was *detected*; each duty to
notify is ``met``, ``met_late``, ``overdue``, ``running`` or ``due_now`` as the register's
clocks say; a breach was notified ``in time`` when every duty is met, ``late`` when one is
met late or overdue, and is ``pending`` while a duty is still running or due now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from reports.bundle import Window
from reports.framework.model import PrivacySummary

OUTCOMES = ("met", "late", "overdue", "open")
LATE_DUTY_STATES = frozenset({"met_late", "overdue"})


class RequestFigure(Protocol):
    """One data subject request, as the privacy room's adapter gives it."""

    @property
    def kind(self) -> str: ...
    @property
    def regime(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def closed_at(self) -> datetime | None: ...


class NotificationFigure(Protocol):
    """One duty to notify a breach (regulator, principals, ...), with its clock's state."""

    @property
    def duty(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def done_at(self) -> datetime | None: ...
    @property
    def state(self) -> str: ...


class BreachFigure(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def detected_at(self) -> datetime: ...
    @property
    def affected_count(self) -> int: ...
    @property
    def notifications(self) -> Sequence[NotificationFigure]: ...


class PrivacyRecords(Protocol):
    """Port: the privacy room's requests and breach register, read-only."""

    def requests_received(self, start: datetime, end: datetime) -> Sequence[RequestFigure]: ...

    def breaches_detected(self, start: datetime, end: datetime) -> Sequence[BreachFigure]: ...


def request_outcome(request: RequestFigure, now: datetime) -> str:
    if request.closed_at is not None:
        return "met" if request.closed_at <= request.due_at else "late"
    return "overdue" if now > request.due_at else "open"


@dataclass(frozen=True)
class RequestRow:
    """Requests of one kind (or one day) received in the period, by outcome."""

    label: str
    received: int
    met: int
    late: int
    overdue: int
    open: int
    median_days_to_close: float | None


@dataclass(frozen=True)
class BreachRow:
    breach: BreachFigure
    outcome: str  # in time | late | pending
    late_duties: tuple[str, ...]

    @property
    def notified_in_time(self) -> bool:
        return self.outcome == "in time"


def breach_row(breach: BreachFigure) -> BreachRow:
    late = tuple(n.duty for n in breach.notifications if n.state in LATE_DUTY_STATES)
    if late:
        return BreachRow(breach, "late", late)
    pending = any(n.state != "met" for n in breach.notifications)
    return BreachRow(breach, "pending" if pending else "in time", ())


@dataclass(frozen=True)
class PrivacyPerformance:
    window: Window
    generated_at: datetime
    by_kind: tuple[RequestRow, ...]
    by_day: tuple[RequestRow, ...]
    total: RequestRow
    breaches: tuple[BreachRow, ...]

    @property
    def breaches_in_time(self) -> int:
        return sum(1 for row in self.breaches if row.notified_in_time)

    @property
    def breaches_late(self) -> int:
        return sum(1 for row in self.breaches if row.outcome == "late")

    @property
    def affected_total(self) -> int:
        return sum(row.breach.affected_count for row in self.breaches)

    def summary(self) -> PrivacySummary | None:
        """The framework reports' privacy section; None while there is nothing to show."""
        if not self.total.received and not self.breaches:
            return None
        return PrivacySummary(
            dsr_total=self.total.received,
            dsr_within_sla=self.total.met,
            dsr_overdue=self.total.late + self.total.overdue,
            breaches_total=len(self.breaches),
            breaches_notified_in_time=self.breaches_in_time,
        )


def _row(label: str, requests: Sequence[RequestFigure], now: datetime) -> RequestRow:
    outcomes = Counter(request_outcome(request, now) for request in requests)
    days = sorted(
        (request.closed_at - request.received_at) / timedelta(days=1)
        for request in requests
        if request.closed_at is not None
    )
    median = None
    if days:
        middle = len(days) // 2
        median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    return RequestRow(
        label=label,
        received=len(requests),
        median_days_to_close=None if median is None else round(median, 1),
        **{outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES},
    )


def _days(window: Window) -> list[date]:
    first, last = window.start.date(), (window.end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def assess_privacy(records: PrivacyRecords, window: Window, now: datetime) -> PrivacyPerformance:
    requests = list(records.requests_received(window.start, window.end))
    kinds = sorted({request.kind for request in requests})
    by_day: dict[date, list[RequestFigure]] = {day: [] for day in _days(window)}
    for request in requests:
        by_day.setdefault(request.received_at.date(), []).append(request)
    detected = records.breaches_detected(window.start, window.end)
    breaches = [breach_row(breach) for breach in sorted(detected, key=lambda b: b.detected_at)]
    return PrivacyPerformance(
        window=window,
        generated_at=now,
        by_kind=tuple(_row(kind, [r for r in requests if r.kind == kind], now) for kind in kinds),
        by_day=tuple(_row(day.isoformat(), by_day[day], now) for day in sorted(by_day)),
        total=_row("all requests", requests, now),
        breaches=tuple(breaches),
    )
