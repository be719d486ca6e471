"""Read-only figures for the reports' DSR and breach performance (the reports room's port).

Requests received in a period and breaches detected in it, as small frozen records of plain
values: no identifier hash, no affected identifier, no title leaves the privacy room here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from privacy.breach_register import BREACH, BreachRegister
from privacy.repository import DsrRepository


@dataclass(frozen=True)
class RequestFigure:
    kind: str
    regime: str
    received_at: datetime
    due_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class NotificationFigure:
    duty: str
    recipient: str
    due_at: datetime | None
    done_at: datetime | None
    state: str


@dataclass(frozen=True)
class BreachFigure:
    id: str
    severity: str
    status: str
    detected_at: datetime
    affected_count: int
    notifications: tuple[NotificationFigure, ...]


class PrivacyFigures:
    """Implements ``reports.PrivacyRecords`` over the DSR table and the breach register."""

    def __init__(self, requests: DsrRepository, breaches: BreachRegister) -> None:
        self._requests = requests
        self._breaches = breaches

    def requests_received(self, start: datetime, end: datetime) -> list[RequestFigure]:
        return [
            RequestFigure(
                kind=request.type.value,
                regime=request.regime.value,
                received_at=request.received_at,
                due_at=request.due_at,
                closed_at=request.closed_at,
            )
            for request in self._requests.received_between(start, end)
        ]

    def breaches_detected(self, start: datetime, end: datetime) -> list[BreachFigure]:
        query = (
            select(BREACH.c.id)
            .where(BREACH.c.detected_at >= start.astimezone(UTC))
            .where(BREACH.c.detected_at < end.astimezone(UTC))
            .order_by(BREACH.c.detected_at, BREACH.c.id)
        )
        with self._requests.engine.connect() as connection:
            ids = [row.id for row in connection.execute(query)]
        figures = []
        for breach_id in ids:
            breach = self._breaches.get(breach_id)
            figures.append(
                BreachFigure(
                    id=breach.id,
                    severity=breach.severity,
                    status=breach.status.value,
                    detected_at=breach.detected_at,
                    affected_count=breach.affected_count,
                    notifications=tuple(
                        NotificationFigure(
                            duty=clock.duty.id,
                            recipient=clock.duty.recipient,
                            due_at=clock.due_at,
                            done_at=clock.done_at,
                            state=clock.state,
                        )
                        for clock in self._breaches.clocks(breach)
                    ),
                )
            )
        return figures
