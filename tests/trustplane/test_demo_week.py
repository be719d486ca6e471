"""The demo seeds a week of decisions through the real audit log with its seeding clock: seven
days on the decisions page, times that only move forward, a log that verifies, and a clock
nothing can set back once released."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit import EventFilter, EventType
from policies import PolicyRoom
from tests.browser.console_app import ConsoleApp, build_console_app
from trustplane.container import build_container
from trustplane.demo.clock import ClockMovedBackError, SeedingClock
from trustplane.settings import Settings
from web.console.decision_stats import recent_decisions

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> ConsoleApp:
    return build_console_app(tmp_path_factory.mktemp("week"))


def all_times(console: ConsoleApp) -> list[datetime]:
    log = console.container.audit
    times: list[datetime] = []
    after = -1
    while True:
        page = log.events(EventFilter(), after=after, limit=1000)
        times += [datetime.fromisoformat(e.document["time"]) for e in page.events]
        if page.next_cursor is None:
            return times
        after = page.next_cursor


def test_the_decisions_cover_seven_days(console: ConsoleApp) -> None:
    room = console.container.policies
    assert isinstance(room, PolicyRoom)
    stats = recent_decisions(room)
    assert stats is not None
    days = sorted({row.day for row in stats.rows})
    today = datetime.now(UTC).date()
    assert len(days) == 7
    assert (
        days[0] == (today - timedelta(days=7)).isoformat()
        or days[0] == (today - timedelta(days=6)).isoformat()
    )
    assert stats.decisions >= 7 * 12 * 7


def test_times_only_move_forward_and_the_log_verifies(console: ConsoleApp) -> None:
    times = all_times(console)
    assert times == sorted(times)
    assert times[0] <= datetime.now(UTC) - timedelta(days=7)
    assert times[-1] <= datetime.now(UTC)
    report = console.container.audit.verify(workers=1)
    assert report.ok, report


def test_the_decision_events_are_spread_not_bunched(console: ConsoleApp) -> None:
    log = console.container.audit
    page = log.events(EventFilter(type=EventType.DECISION.value), limit=1000)
    hours = {e.document["time"][:13] for e in page.events}
    assert len(hours) >= 7 * 12  # a round every two hours, seven days


def test_a_second_demo_run_over_the_same_log_does_not_go_back(console: ConsoleApp) -> None:
    settings = console.container.settings
    clock = SeedingClock()
    again = build_container(settings, console.container.engine, demo_clock=clock)
    try:
        assert not clock.held  # the log is not empty: real time
        lines = [line for seeder in again.demo_seeders for line in seeder()]
    finally:
        again.audit.close()
    assert any("seeded at first run" in line for line in lines)


def test_the_clock_moves_only_forward_and_stays_released() -> None:
    clock = SeedingClock(real=lambda: NOW)
    assert clock() == NOW
    clock.hold(NOW - timedelta(days=7))
    assert clock() == NOW - timedelta(days=7)
    clock.hold(NOW - timedelta(days=6))
    with pytest.raises(ClockMovedBackError):
        clock.hold(NOW - timedelta(days=7))
    with pytest.raises(ClockMovedBackError):
        clock.hold(NOW + timedelta(seconds=1))  # never ahead of real time
    with pytest.raises(ClockMovedBackError):
        clock.hold(datetime(2026, 12, 1))  # naive
    clock.release()
    assert clock() == NOW
    with pytest.raises(ClockMovedBackError):
        clock.hold(NOW - timedelta(days=1))


def test_a_plain_container_has_no_demo_clock(tmp_path: Path) -> None:
    """The server's container stamps real time: nothing there can hold a clock."""
    container = build_container(Settings(data_dir=tmp_path))
    try:
        assert container.audit.clock() >= datetime.now(UTC) - timedelta(seconds=5)
    finally:
        container.close()
