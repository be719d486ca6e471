"""The group-commit writer: callers queued while a transaction takes its lock join it."""

from __future__ import annotations

import threading
import time
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


class Recorder:
    """A commit that takes ``seconds`` (the fsync); its first call waits for ``release``
    so the test can queue callers that must join it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.commits: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, items: list[int], more: Callable[[], list[int]]) -> list[int]:
        if not self.commits:
            self.entered.set()
            self.release.wait(5)
        everything = items + more()
        self.commits.append(everything)
        time.sleep(self.seconds)
        return everything

    def first_commit(self, writer: GroupCommitWriter[int, int], callers: int) -> None:
        """One commit of ``callers`` requests (so the writer expects that many back)."""
        pending = [writer.submit([0])]
        assert self.entered.wait(5)
        pending += [writer.submit([n]) for n in range(1, callers)]
        self.release.set()
        assert [p.result(5) for p in pending] == [[n] for n in range(callers)]
        assert self.commits == [list(range(callers))]


def test_callers_of_the_last_commit_are_gathered_into_the_next() -> None:
    recorder = Recorder(0.2)
    writer = GroupCommitWriter(recorder, gather_fraction=1.0, max_gather_seconds=5.0)
    try:
        recorder.first_commit(writer, 3)
        # they come back one by one, 50 ms apart: the writer waits for all three (the
        # last commit took 200 ms) instead of committing the first one alone
        again = []
        for n in (3, 4, 5):
            again.append(writer.submit([n]))
            time.sleep(0.05)
        assert [f.result(5) for f in again] == [[3], [4], [5]]
        assert recorder.commits[-1] == [3, 4, 5]
    finally:
        writer.close()


def test_gathering_waits_no_longer_than_its_bound() -> None:
    recorder = Recorder(0.2)
    writer = GroupCommitWriter(recorder, gather_fraction=1.0, max_gather_seconds=0.05)
    try:
        recorder.first_commit(writer, 2)
        # only one of the two comes back: committed after at most ~50 ms of waiting
        started = time.monotonic()
        assert writer.submit([2]).result(5) == [2]
        assert time.monotonic() - started < 0.2 + 0.05 + 0.15
        assert recorder.commits[-1] == [2]
    finally:
        writer.close()


def test_a_lone_caller_never_waits() -> None:
    recorder = Recorder(0.1)
    recorder.release.set()
    writer = GroupCommitWriter(recorder, gather_fraction=1.0, max_gather_seconds=5.0)
    try:
        started = time.monotonic()
        for n in range(20):
            assert writer.submit([n]).result(5) == [n]
        # 20 commits of 100 ms; waiting for a second caller would add 100 ms to each
        assert time.monotonic() - started < 3.0
        assert recorder.commits == [[n] for n in range(20)]
    finally:
        writer.close()


def test_a_waiter_that_must_not_block_is_called_back_once_settled() -> None:
    """ADR 0213: the event loop registers a callback instead of blocking a thread."""
    calls: list[str] = []
    pending: Pending[int] = Pending()
    pending.add_done_callback(lambda: calls.append("early"))
    assert not pending.done
    assert calls == []
    pending.set_result([3])
    assert pending.done
    assert calls == ["early"]
    pending.add_done_callback(lambda: calls.append("late"))  # already settled: at once
    assert calls == ["early", "late"]
    failed: Pending[int] = Pending()
    failed.add_done_callback(lambda: calls.append("failed"))
    failed.set_exception(AuditUnavailableError("down"))
    assert calls[-1] == "failed"


def test_a_failing_callback_does_not_stop_the_writer() -> None:
    registered = threading.Event()

    def commit(items: list[int], more: Callable[[], list[int]]) -> list[int]:
        registered.wait(5)  # the callback is in place before the outcome is set
        return items

    writer: GroupCommitWriter[int, int] = GroupCommitWriter(commit)
    try:
        first = writer.submit([1])

        def broken() -> None:
            raise RuntimeError("a waiter's callback failed")

        first.add_done_callback(broken)
        registered.set()
        assert first.result(5) == [1]
        woken = threading.Event()
        second = writer.submit([2])
        second.add_done_callback(woken.set)
        assert woken.wait(5)
        assert second.result(0) == [2]
    finally:
        writer.close()
