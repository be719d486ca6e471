"""The decisions page's window: the last 30 UTC days, today included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from web.console.decision_stats import WINDOW_DAYS, window_start


def test_the_window_is_today_and_the_29_days_before_in_utc() -> None:
    now = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert WINDOW_DAYS == 30
    assert window_start(now) == "2026-11-06"
    # 04:00 in India on 6 December is still 5 December in UTC
    india = datetime(2026, 12, 6, 4, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert window_start(india) == "2026-11-06"
