"""The decision tally is exact (ADR 0840): whatever the order of appends, catch-ups,
restarts and concurrent catch-ups, its counts equal the full computation over every decision
event in the audit log, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from audit import (
    Actor,
    AuditEventIn,
    AuditLog,
    EventFilter,
    EventPage,
    EventType,
    Origin,
    Outcome,
    Target,
)
from audit.factory import build_audit_log
from policies import DecisionTally, summary_of, tally_of

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SERVICES = ("payments", "wealth", "analytics")
SIGNING_KEY = Ed25519PrivateKey.generate()  # one log key: examples share a database
REASONS = ("no rule allows", "mfa too old", "consent missing", "ünïcode reason")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def decision(service: str, allow: bool, subject: int, reasons: list[str]) -> AuditEventIn:
    return AuditEventIn(
        type=EventType.DECISION,
        outcome=Outcome.SUCCESS if allow else Outcome.FAILURE,
        actor=Actor(id=f"{subject:064x}", kind="user"),
        origin=Origin(service=service),
        target=Target(type="customer_profile"),
        details={"allow": allow, "reasons": reasons, "action": "read"},
    )


def other_event(number: int) -> AuditEventIn:
    return AuditEventIn(
        type=EventType.ADMIN_ACTION, actor=Actor(id=f"admin-{number}"), target=Target(type="x")
    )


def audit_log(engine: Engine, clock: Clock) -> AuditLog:
    return build_audit_log(
        engine,
        hmac_key=b"k" * 32,
        signing_key=SIGNING_KEY,
        origin="tally.test",
        clock=clock,
    )


def all_decisions(log: AuditLog) -> tuple[list[dict[str, Any]], int]:
    """Every decision event's document, and the index of the last one (-1: none)."""
    documents: list[dict[str, Any]] = []
    after, last = -1, -1
    while True:
        page = log.events(EventFilter(type=EventType.DECISION.value), after=after, limit=1000)
        documents.extend(event.document for event in page.events)
        last = page.events[-1].seq if page.events else last
        if page.next_cursor is None:
            return documents, last
        after = page.next_cursor


def assert_read(tally: DecisionTally, log: AuditLog, since: str = "") -> None:
    """The page's read: stored counts plus the events after the mark (folded when many)."""
    documents, last = all_decisions(log)
    full = {key: n for key, n in tally_of(documents).items() if key[0] >= since}
    assert tally.summary(since) == summary_of(full, since, tallied_upto=last)


def assert_exact(tally: DecisionTally, log: AuditLog, since: str = "") -> None:
    assert_read(tally, log, since)
    documents, last = all_decisions(log)
    full = {key: n for key, n in tally_of(documents).items() if key[0] >= since}
    tally.catch_up()
    stored, mark = tally.counts(since)
    assert stored == full
    assert mark == last


decisions = st.builds(
    decision,
    st.sampled_from(SERVICES),
    st.booleans(),
    st.integers(0, 6),
    st.lists(st.sampled_from(REASONS), max_size=2),
)
step: st.SearchStrategy[tuple[str, int, list[AuditEventIn]]] = st.one_of(
    st.tuples(
        st.just("append"),
        st.integers(0, 40),  # day offset
        st.lists(st.one_of(decisions, st.integers(0, 9).map(other_event)), max_size=30),
    ),
    st.tuples(st.just("catch_up"), st.integers(1, 25), st.just([])),  # chunk size
    st.tuples(st.just("race"), st.integers(1, 25), st.just([])),
    st.tuples(st.just("read"), st.integers(0, 45), st.just([])),  # a page view mid-way
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(step, max_size=8),
    since_offset=st.integers(0, 45),
    fold_at=st.integers(1, 40),
)
def test_the_tally_equals_the_full_computation_whatever_the_order(
    engine: Engine,
    steps: list[tuple[str, int, list[AuditEventIn]]],
    since_offset: int,
    fold_at: int,
) -> None:
    clock = Clock()
    log = audit_log(engine, clock)
    reader = DecisionTally(engine, log, fold_at=fold_at)  # one replica's pages
    try:
        for kind, number, events in steps:
            if kind == "append":
                clock.now = START + timedelta(days=number)
                if events:
                    log.record_many(events)
            elif kind == "catch_up":  # a fresh instance: state lives in the database only
                DecisionTally(engine, log, chunk_events=number).catch_up()
            elif kind == "read":
                since = (START + timedelta(days=number)).date().isoformat()
                assert_read(reader, log, since)  # its kept counts and tail
            else:  # two replicas catching up at the same time
                racers = [DecisionTally(engine, log, chunk_events=number) for _ in range(2)]
                threads = [threading.Thread(target=racer.catch_up) for racer in racers]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        since = (START + timedelta(days=since_offset)).date().isoformat()
        for number in range(4):  # pages between decisions: the kept tail grows, or folds
            assert_read(reader, log, since)
            log.record_many([decision("payments", number % 2 == 0, number, ["no rule allows"])])
            if number == 1:  # another replica folds what this one keeps in memory
                DecisionTally(engine, log).catch_up()
        assert_exact(DecisionTally(engine, log, chunk_events=7), log, since)
        assert_exact(DecisionTally(engine, log), log)
        assert_read(reader, log, since)
        assert DecisionTally(engine, log).summary(since).decisions == sum(
            n
            for (day, kind, _), n in tally_of(all_decisions(log)[0]).items()
            if day >= since and kind in ("allow", "deny")
        )
    finally:
        log.close()


class RacingReader:
    """Reads the log for one tally, but lets another tally catch up first (once)."""

    def __init__(self, log: AuditLog, other: DecisionTally) -> None:
        self._log, self._other, self.raced = log, other, False

    def events(
        self, where: EventFilter | None = None, *, after: int = -1, limit: int = 100
    ) -> EventPage:
        page = self._log.events(where, after=after, limit=limit)
        if not self.raced:
            self.raced = True
            self._other.catch_up()
        return page


@pytest.mark.parametrize("first_catch_up", [True, False])
def test_a_catch_up_that_lost_the_race_counts_nothing_twice(
    engine: Engine, first_catch_up: bool
) -> None:
    clock = Clock()
    log = audit_log(engine, clock)
    try:
        log.record_many([decision("payments", False, 1, ["no rule allows"])] * 5)
        if not first_catch_up:  # the mark exists: the loser's conditional update misses
            DecisionTally(engine, log).catch_up()
            log.record_many([decision("wealth", True, 2, [])] * 3)
        winner = DecisionTally(engine, log)
        loser = DecisionTally(engine, RacingReader(log, winner))
        loser.catch_up()
        counts, _ = loser.counts()
        assert counts[(START.date().isoformat(), "deny", "payments")] == 5
        assert_exact(loser, log)
    finally:
        log.close()


def test_the_summary_window_top_lists_and_rates() -> None:
    documents = [
        {
            "time": "2026-12-01T10:00:00Z",
            "origin": {"service": "payments"},
            "actor": {"id": subject},
            "outcome": "success" if allow else "failure",
            "details": {"allow": allow, "reasons": reasons},
        }
        for subject, allow, reasons in [
            ("s1", True, []),
            ("s7", False, ["no rule allows", "mfa too old"]),
            ("s7", False, ["no rule allows"]),
            ("s2", False, ["consent missing"]),
        ]
    ] + [{"time": "2026-11-01T10:00:00Z", "outcome": "failure", "details": {"reasons": ["old"]}}]
    summary = summary_of(tally_of(documents), "2026-11-15", top=2)
    assert summary.decisions == 4
    assert [(r.day, r.service, r.allowed, r.denied, r.deny_percent) for r in summary.rows] == [
        ("2026-12-01", "payments", 1, 3, 75.0)
    ]
    assert summary.deny_reasons == [("no rule allows", 2), ("consent missing", 1)]  # ties: label
    assert summary.denied_subjects == [("s7", 2), ("s2", 1)]
    assert summary_of(tally_of(documents), "").decisions == 5


def test_documents_missing_members_count_as_unknown_not_errors() -> None:
    counts = tally_of([{"outcome": "failure"}, {"details": "junk", "origin": 3}])
    assert counts == Counter(
        {("unknown", "deny", "unknown"): 2, ("unknown", "subject", "unknown"): 2}
    )


class CrashingTally(DecisionTally):
    """Dies after its mark moved and half of its counts were written, in one transaction."""

    @staticmethod
    def _add_counts(conn: Any, counts: Counter[tuple[str, str, str]]) -> None:
        first = dict([next(iter(counts.items()))])
        DecisionTally._add_counts(conn, Counter(first))
        raise RuntimeError("killed mid-transaction")


def test_a_catch_up_that_dies_mid_way_leaves_mark_and_counts_as_they_were(
    engine: Engine,
) -> None:
    log = audit_log(engine, Clock())
    try:
        log.record_many([decision("payments", False, 1, ["no rule allows"])] * 4)
        DecisionTally(engine, log).catch_up()
        before = DecisionTally(engine, log).counts()
        log.record_many([decision("wealth", True, 2, [])] * 3)
        with pytest.raises(RuntimeError):
            CrashingTally(engine, log).catch_up()
        assert DecisionTally(engine, log).counts() == before
        assert_exact(DecisionTally(engine, log), log)  # the next reader counts them once
    finally:
        log.close()
