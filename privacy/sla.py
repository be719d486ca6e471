"""SLA clocks of data subject requests.

GDPR Art. 12(3): one month from receipt, counted in calendar months (31 January ends on the
last day of February), extendable once by two further months when the principal is told
within the first month. DPDP Rules 2025 rule 14: the period the fiduciary publishes, at most
90 days. Times are timezone-aware UTC; deadlines are computed, never stored as text.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from enum import StrEnum

DPDP_MAX_DAYS = 90


class Regime(StrEnum):
    GDPR = "gdpr"
    DPDP = "dpdp"


def add_months(moment: datetime, months: int) -> datetime:
    """Same day ``months`` later, or the month's last day when it has no such day."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def due_at(
    regime: Regime, received_at: datetime, dpdp_days: int, *, extended: bool = False
) -> datetime:
    """When the answer is due; ``extended`` applies the GDPR two-month extension."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if regime is Regime.GDPR:
        return add_months(received_at, 3 if extended else 1)
    if not 1 <= dpdp_days <= DPDP_MAX_DAYS:
        raise ValueError(f"the DPDP response period is 1..{DPDP_MAX_DAYS} days")
    return received_at + timedelta(days=dpdp_days)


def can_extend(regime: Regime, received_at: datetime, now: datetime, already: bool) -> str | None:
    """``None`` when an extension may be noticed now, else the reason it may not."""
    if regime is not Regime.GDPR:
        return "only GDPR requests can be extended (DPDP periods are fixed by the fiduciary)"
    if already:
        return "a request can be extended only once"
    if now >= add_months(received_at, 1):
        return "the extension notice must be sent within the first month after receipt"
    return None


def days_left(due: datetime, now: datetime) -> int:
    """Whole days until ``due`` (negative when overdue; 0 on the due day)."""
    seconds = (due - now).total_seconds()
    return int(seconds // 86_400)
