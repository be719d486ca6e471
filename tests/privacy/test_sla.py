"""SLA arithmetic: calendar months (month ends, leap years), extension notice, DPDP days."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy import IllegalTransitionError, Regime, add_months, can_extend, days_left, due_at
from privacy.model import TRANSITIONS, DsrState, next_state

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def test_month_ends_and_leap_years() -> None:
    def at(y: int, m: int, d: int) -> datetime:
        return datetime(y, m, d, 10, 30, tzinfo=UTC)

    assert add_months(at(2026, 1, 31), 1) == at(2026, 2, 28)
    assert add_months(at(2028, 1, 31), 1) == at(2028, 2, 29)
    assert add_months(at(2026, 1, 30), 1) == at(2026, 2, 28)
    assert add_months(at(2026, 3, 31), 1) == at(2026, 4, 30)
    assert add_months(at(2026, 12, 15), 1) == at(2027, 1, 15)
    assert due_at(Regime.GDPR, at(2026, 11, 30), 30, extended=True) == at(2027, 2, 28)
    assert due_at(Regime.DPDP, at(2026, 12, 4), 30) == at(2027, 1, 3)


@given(moments, st.integers(min_value=0, max_value=36))
def test_add_months_lands_in_the_right_month_on_the_closest_day(
    moment: datetime, months: int
) -> None:
    result = add_months(moment, months)
    assert (result.year * 12 + result.month) - (moment.year * 12 + moment.month) == months
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(moment.day, last)
    assert result.time() == moment.time()
    assert result >= moment


@given(moments, st.integers(min_value=1, max_value=90))
def test_dpdp_due_is_the_published_days(moment: datetime, days: int) -> None:
    assert due_at(Regime.DPDP, moment, days) - moment == timedelta(days=days)


def test_dpdp_period_is_capped_at_90_days() -> None:
    with pytest.raises(ValueError, match="90"):
        due_at(Regime.DPDP, datetime(2026, 1, 1, tzinfo=UTC), 91)
    with pytest.raises(ValueError, match="timezone"):
        due_at(Regime.GDPR, datetime(2026, 1, 1), 30)


@given(moments, st.integers(min_value=0, max_value=5_000_000))
def test_extension_notice_only_inside_the_first_month(received: datetime, seconds: int) -> None:
    now = received + timedelta(seconds=seconds)
    refused = can_extend(Regime.GDPR, received, now, already=False)
    assert (refused is None) == (now < add_months(received, 1))
    assert can_extend(Regime.GDPR, received, received, already=True) is not None
    assert can_extend(Regime.DPDP, received, received, already=False) is not None


def test_days_left() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    assert days_left(now + timedelta(days=3, hours=1), now) == 3
    assert days_left(now - timedelta(hours=1), now) == -1


@given(st.sampled_from(list(DsrState)), st.sampled_from(sorted(TRANSITIONS)))
def test_transitions_follow_the_table(state: DsrState, action: str) -> None:
    sources, target = TRANSITIONS[action]
    if state in sources:
        assert next_state(state, action) is target
    else:
        with pytest.raises(IllegalTransitionError):
            next_state(state, action)


def test_closed_states_are_final() -> None:
    for state in (DsrState.COMPLETED, DsrState.REJECTED, DsrState.CANCELLED):
        for action in TRANSITIONS:
            with pytest.raises(IllegalTransitionError):
                next_state(state, action)
