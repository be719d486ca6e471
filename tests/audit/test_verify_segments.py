"""Verification in segments side by side: the fork runner, the plan, the merge, snapshots."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from audit import AuditLog
from audit.errors import AuditUnavailableError
from audit.forking import map_forked
from audit.merkle import TreeBuilder, leaf_hash
from audit.model import VerificationReport
from audit.store import AuditStore
from audit.verify import Segment, SegmentOutcome, _merge, plan_segments, verify_log
from tests.audit.conftest import ORIGIN, event
from trustplane.db import make_engine


def test_children_compute_every_item_but_the_first_in_order() -> None:
    parent = os.getpid()
    results = map_forked(
        lambda item: (item, os.getpid()),
        lambda item: (item, os.getpid()),
        [0, 1, 2, 3],
        stop=lambda _: False,
    )
    assert [item for item, _ in results] == [0, 1, 2, 3]
    assert results[0][1] == parent
    children = {pid for _, pid in results[1:]}
    assert parent not in children
    assert len(children) == 3


def _fail(item: int) -> int:
    raise RuntimeError("child failed")


def _die(item: int) -> int:
    os._exit(3)


@pytest.mark.parametrize("child", [_fail, _die], ids=["raises", "dies"])
def test_an_item_whose_child_fails_is_redone_here(child: Callable[[int], int]) -> None:
    redone: list[int] = []

    def local(item: int) -> int:
        redone.append(item)
        return item * 10

    assert map_forked(child, local, [1, 2, 3], stop=lambda _: False) == [10, 20, 30]
    assert redone == [1, 2, 3]


def test_a_stopping_result_drops_later_items_and_kills_their_children() -> None:
    def slow(item: int) -> int:
        time.sleep(3600)
        return item

    began = time.monotonic()
    assert map_forked(slow, lambda item: -item, [1, 2, 3], stop=lambda r: r < 0) == [-1]
    assert time.monotonic() - began < 600  # returned without waiting for the hour


def test_plan_segments() -> None:
    assert plan_segments(0, 4, 10) == [(0, 0)]
    assert plan_segments(25, 4, 10) == [(0, 12), (12, 25)]
    assert plan_segments(100, 4, 10) == [(0, 25), (25, 50), (50, 75), (75, 100)]
    assert plan_segments(100, 1, 10) == [(0, 100)]
    assert plan_segments(9, 4, 10) == [(0, 9)]


def test_a_segment_that_does_not_start_where_the_previous_ended_is_a_problem() -> None:
    builder = TreeBuilder()
    for i in range(4):
        builder.append(leaf_hash(bytes([i])))
    edge = tuple(builder.frontier)
    segments = [Segment(0, 4, (), 0), Segment(4, 8, (b"\x00" * 32,), 0)]
    outcomes = [SegmentOutcome([], 4, edge), SegmentOutcome([], 8, edge)]
    report = VerificationReport()
    assert _merge(report, segments, outcomes) is None
    assert report.first_bad_index == 4
    assert "changed during verification" in report.problems[0]
    assert report.events_checked == 4


def test_an_in_memory_sqlite_log_is_walked_in_this_process() -> None:
    assert not AuditStore(make_engine("sqlite://")).forkable()


def test_a_child_reads_the_parents_snapshot(
    make_log: Callable[..., AuditLog], engine: Engine
) -> None:
    log = make_log()
    for i in range(5):
        log.record(event(i))
    parent = AuditStore(engine)
    child = AuditStore(make_engine(engine.url.render_as_string(hide_password=False)))
    try:
        with parent.snapshot() as (conn, head):
            snapshot_id = parent.export_snapshot(conn)
            log.record(event(5))  # committed after the parent's snapshot began
            with child.joined_snapshot(snapshot_id) as own:
                seen = own.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
        assert head.tree_size == 5
        if engine.dialect.name == "postgresql":
            assert snapshot_id is not None
            assert seen == 5  # exactly the parent's snapshot
        else:  # SQLite has no shared snapshots: the child reads its own, rows below 5 alike
            assert snapshot_id is None
            assert seen == 6
        with pytest.raises(AuditUnavailableError, match="not a PostgreSQL snapshot id"):
            with child.joined_snapshot("1'; DROP TABLE audit_event; --"):
                pass
    finally:
        child.engine.dispose()


def test_children_leave_the_parents_pooled_connections_alone(
    make_log: Callable[..., AuditLog], engine: Engine
) -> None:
    log = make_log()
    for i in range(30):
        log.record(event(i))
    url = engine.url.render_as_string(hide_password=False)
    # no pre-ping: a pooled connection a child had closed would fail on its next use
    own = create_engine(url, pool_pre_ping=False) if engine.dialect.name != "sqlite" else None
    parent = own or make_engine(url)
    try:
        with parent.connect() as first, parent.connect() as second:
            first.execute(text("SELECT 1"))
            second.execute(text("SELECT 1"))
        # one idle connection is checked out by the verification, the other stays pooled
        report = verify_log(AuditStore(parent), log.verifier, ORIGIN, workers=3, min_segment=4)
        assert report.ok, report.problems
        with parent.connect() as first, parent.connect() as second:
            assert first.execute(text("SELECT 1")).scalar_one() == 1
            assert second.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        parent.dispose()
