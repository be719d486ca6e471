"""PostgreSQL appends without the head lock round trip when the head is known (ADR 0103).

Two logs over one database stand for two processes: each knows the head only from its own
last append, so every append after the other's runs into the guard and must be retried
under the lock, with nothing of the failed attempt stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import AuditLog
from audit.errors import AuditStaleHeadError
from audit.merkle import TreeBuilder, leaf_hash
from audit.prepare import prepare
from audit.store import AuditStore, Head
from tests.audit import reference
from tests.audit.conftest import event, tamper
from tests.services import Postgres
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade


@pytest.fixture
def pg_engine(postgres: Postgres) -> Iterator[Engine]:
    engine = make_engine(postgres.create_database())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_log(pg_engine: Engine, make_log_on: Callable[[Engine], AuditLog]) -> AuditLog:
    return make_log_on(pg_engine)


@pytest.fixture
def make_log_on(request: pytest.FixtureRequest) -> Iterator[Callable[[Engine], AuditLog]]:
    from audit import build_audit_log
    from tests.audit.conftest import HMAC_KEY, ORIGIN, SIGNING_KEY

    logs: list[AuditLog] = []

    def make(engine: Engine) -> AuditLog:
        log = build_audit_log(
            engine,
            hmac_key=HMAC_KEY,
            signing_key=SIGNING_KEY,
            origin=ORIGIN,
            checkpoint_every_events=10,
        )
        logs.append(log)
        return log

    yield make
    for log in logs:
        log.close()


class CountingStore:
    """Counts how appends went: optimistic attempts, lost races, locked appends."""

    def __init__(self, store: AuditStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.optimistic = 0
        self.stale = 0
        self.locked = 0
        original = store.append_lock
        lock_head = store._lock_head_pg

        def lock(conn: object) -> object:
            self.locked += 1
            return lock_head(conn)  # type: ignore[arg-type]

        def append_lock(*, optimistic: bool = False) -> object:
            if optimistic:
                self.optimistic += 1
            return original(optimistic=optimistic)

        original_write = store.write_batch

        def write_batch(*args: object, **kwargs: object) -> None:
            try:
                original_write(*args, **kwargs)  # type: ignore[arg-type]
            except AuditStaleHeadError:
                self.stale += 1
                raise

        monkeypatch.setattr(store, "append_lock", append_lock)
        monkeypatch.setattr(store, "_lock_head_pg", lock)
        monkeypatch.setattr(store, "write_batch", write_batch)


def event_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())


def test_a_lone_appender_takes_the_head_lock_once(
    pg_log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = CountingStore(pg_log.store, monkeypatch)
    for i in range(5):
        pg_log.record(event(i))
    assert counts.locked == 1  # the first append learns the head under the lock
    assert counts.stale == 0
    assert pg_log.tree_size() == 5
    assert pg_log.verify().ok


def test_two_appenders_take_turns_without_gaps(
    pg_engine: Engine,
    make_log_on: Callable[[Engine], AuditLog],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = make_log_on(pg_engine), make_log_on(pg_engine)
    monkeypatch.setattr("audit.store.OPTIMISTIC_BACKOFF_SECONDS", 0.0)
    counts = CountingStore(first.store, monkeypatch)
    seqs = []
    for i in range(6):
        seqs.append(first.record(event(2 * i)).seq)
        seqs.append(second.record(event(2 * i + 1)).seq)
    assert seqs == list(range(12))
    assert counts.stale == 5  # every append of `first` after the first one lost the race
    assert event_count(pg_engine) == 12
    report = first.verify()
    assert report.ok, report.problems
    assert first.root() == reference.mth(
        [reference.h_leaf(first.event(i).canonical) for i in range(12)]
    )


def test_a_lost_race_stores_nothing_and_pauses_optimism(
    pg_engine: Engine,
    make_log_on: Callable[[Engine], AuditLog],
) -> None:
    first, second = make_log_on(pg_engine), make_log_on(pg_engine)
    first.record(event(0))
    second.record(event(1))  # first's known head (size 1) is now stale
    store = first.store

    def append_as_first_knows_it() -> None:
        with store.append_lock(optimistic=True) as (conn, head):
            assert head.tree_size == 1
            store.write_batch(conn, *_rows_for(first, head))

    with pytest.raises(AuditStaleHeadError):
        append_as_first_knows_it()
    assert event_count(pg_engine) == 2
    # the next append takes the lock right away (no second wasted round trip) and works
    assert first.record(event(2)).seq == 2
    assert first.verify().ok


def test_the_head_guard_catches_a_moved_head_even_without_a_key_conflict(
    pg_log: AuditLog, pg_engine: Engine
) -> None:
    pg_log.record(event(0))
    pg_log.record(event(1))
    # the head moves on (as if leaves 2 and 3 had been written) with no tree row to collide with:
    # only the guarded head UPDATE can notice; without it leaf 2 would be written twice
    # (size 4 keeps the one-node frontier of size 2 well-formed)
    tamper(pg_engine, "UPDATE audit_head SET tree_size = 4 WHERE id = 1")
    receipt = pg_log.record(event(2))
    assert receipt.seq == 4  # retried under the lock, at the head the database holds
    with pg_engine.connect() as conn:
        seqs = conn.execute(text("SELECT seq FROM audit_event ORDER BY seq")).scalars().all()
    assert seqs == [0, 1, 4]


def test_a_checkpoint_between_appends_is_kept(pg_log: AuditLog) -> None:
    for i in range(3):
        pg_log.record(event(i))
    issued = pg_log.checkpoint()
    assert issued.tree_size == 3
    for i in range(3, 13):
        pg_log.record(event(i))
    # the first append checkpoints (none yet), then 3 on demand, then 10 events later
    assert [c.tree_size for c in pg_log.checkpoints()] == [1, 3, 13]
    assert pg_log.verify().ok


def _rows_for(log: AuditLog, head: Head) -> tuple[Any, ...]:
    """One event's rows as the log's writer would build them on top of ``head``."""
    item = prepare(event(99), log.redactor, datetime.now(UTC))
    seq = head.tree_size
    builder = TreeBuilder(seq, head.frontier)
    data = item.canonical(seq)
    tree = [(seq, builder.append(leaf_hash(data)))]
    row = (
        seq, item.event_id, item.time, item.type, item.outcome, item.actor_id,
        item.target_type, item.target_id, item.request_id, data,
    )  # fmt: skip
    values = {"tree_size": builder.size, "frontier": builder.frontier}
    return [row], tree, values, None
