"""The group-commit writer: callers queued while a transaction takes its lock join it."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from audit.errors import AuditUnavailableError
from audit.writer import GroupCommitWriter, Pending


def test_requests_queued_during_the_lock_join_the_same_commit() -> None:
    locked = threading.Event()
    release = threading.Event()
    commits: list[list[int]] = []

    def commit(items: list[int], more: Callable[[], list[int]]) -> list[int]:
        locked.set()
        release.wait(5)  # "waiting for the head lock" while other callers queue up
        everything = items + more()
        commits.append(everything)
        return [item * 10 for item in everything]

    writer: GroupCommitWriter[int, int] = GroupCommitWriter(commit, max_batch=4)
    try:
        first = writer.submit([1])
        assert locked.wait(5)
        later = [writer.submit([n]) for n in (2, 3, 4, 5)]
        release.set()
        assert first.result(5) == [10]
        assert [f.result(5) for f in later] == [[20], [30], [40], [50]]
        # max_batch bounds the late drain too: 1 + 2 + 3 + 4, then 5 alone
        assert commits == [[1, 2, 3, 4], [5]]
    finally:
        writer.close()


def test_pending_times_out_then_settles_once_for_every_reader() -> None:
    pending: Pending[int] = Pending()
    with pytest.raises(TimeoutError):
        pending.result(timeout=0.01)
    pending.set_result([7])
    assert pending.result(timeout=0) == [7]
    assert pending.result() == [7]
    failed: Pending[int] = Pending()
    failed.set_exception(AuditUnavailableError("down"))
    for _ in range(2):
        with pytest.raises(AuditUnavailableError):
            failed.result(timeout=1)


def test_a_stopped_writer_refuses_at_once() -> None:
    writer: GroupCommitWriter[int, int] = GroupCommitWriter(lambda items, more: items)
    writer.close()
    with pytest.raises(AuditUnavailableError):
        writer.submit([1]).result(timeout=1)
