"""Auditor engagements (ACCESS-MODEL rule 11): when an account's auditor access ends.

An account holding the ``auditor`` role must carry ``engagement_expires_at`` (ADR 0504); the
decision point compares it with its own clock, so the caller's attribute is an RFC 3339 UTC
string with a ``Z`` suffix, e.g. ``2027-01-31T00:00:00Z``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from identity.clock import as_utc
from identity.errors import InvalidInputError

AUDITOR_ROLE = "auditor"
ATTRIBUTE = "engagement_expires_at"


def rfc3339_z(moment: datetime) -> str:
    """``2027-01-31T00:00:00Z`` (second precision, always UTC)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_engagement(text: str) -> datetime:
    """A date (the engagement covers that whole UTC day) or an RFC 3339 time with an offset."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        raise InvalidInputError(
            "engagement expiry must be a date (YYYY-MM-DD) or an RFC 3339 time with an offset"
        ) from exc
    if moment.tzinfo is None:
        raise InvalidInputError("engagement expiry needs a UTC offset (e.g. Z)")
    return moment.astimezone(UTC)


def validated_engagement(
    roles: Iterable[str], expires_at: datetime | None, now: datetime
) -> datetime | None:
    """Required for auditors, optional for other roles; always timezone-aware and future."""
    if expires_at is None:
        if AUDITOR_ROLE in set(roles):
            raise InvalidInputError(
                "an auditor account needs an engagement expiry (engagement_expires_at)"
            )
        return None
    if expires_at.tzinfo is None:
        raise InvalidInputError("engagement expiry needs a UTC offset (e.g. Z)")
    moment = expires_at.astimezone(UTC).replace(microsecond=0)
    if moment <= now:
        raise InvalidInputError("engagement expiry must be in the future")
    return moment


def engagement_attributes(expires_at: datetime | None) -> dict[str, str]:
    """The caller attribute the route gate hands to the decision point (absent when unset)."""
    return {} if expires_at is None else {ATTRIBUTE: rfc3339_z(expires_at)}
