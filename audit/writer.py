"""Group commit: one writer thread turns many callers' appends into few transactions.

Callers enqueue their batch and block on a future; the writer takes everything queued
(up to ``max_batch`` events), commits it in one transaction and resolves the futures. A
caller therefore returns only once its events are durable, and a burst of N callers costs
about one fsync instead of N. ``commit`` gets a ``more()`` callable too: it takes what was
queued meanwhile (e.g. while the transaction waited for its lock), so callers who arrive
during that wait join this transaction instead of waiting for the next.

**Gathering** (ADR 0103): callers answered by one commit come back at about the same time,
but not all at once. Taking only those already queued splits them over two commits (with
16 closed-loop callers the log settled into two cohorts of about 8, each committing while
the other queued). So the writer expects back the requests the last commit answered plus
those that queued while it ran, and waits for missing ones, at most ``gather_fraction`` of
the last commit's duration and never more than ``max_gather_seconds``: a short wait that
about doubles the events per fsync. A lone caller (nothing else queued) never waits.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import structlog

from audit.errors import AuditUnavailableError

log = structlog.get_logger("audit.writer")

_STOP = object()
# guards the callback lists of every Pending (held for a few instructions, never contended long)
_CALLBACKS = threading.Lock()
T = TypeVar("T")
R = TypeVar("R")


class Pending(Generic[R]):
    """The outcome of one submitted request: ``result()`` blocks until the writer settles it.

    A single pre-acquired lock (released once by the writer) instead of a
    ``concurrent.futures.Future`` and its condition variable: this is paid per ``record()``.
    ``add_done_callback`` lets a waiter that must not block (an event loop) be told instead:
    the callback runs on the writer thread right after the outcome is set (or at once when
    it already is), so it must only hand over (e.g. ``loop.call_soon_threadsafe``).
    """

    __slots__ = ("_callbacks", "_done", "_error", "_settled", "_value")

    def __init__(self) -> None:
        self._done = threading.Lock()
        self._done.acquire()
        self._value: list[R] | None = None
        self._error: BaseException | None = None
        self._settled = False
        self._callbacks: list[Callable[[], None]] | None = None

    def set_result(self, value: list[R]) -> None:
        self._value = value
        self._settle()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._settle()

    def _settle(self) -> None:
        with _CALLBACKS:
            self._settled = True
            callbacks, self._callbacks = self._callbacks, None
        self._done.release()
        for callback in callbacks or ():
            try:
                callback()
            except Exception as exc:  # a waiter's hand-over must never stop the writer
                log.error("audit_waiter_callback_failed", error=type(exc).__name__)

    @property
    def done(self) -> bool:
        return self._settled

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once the outcome is set (at once, here, if it already is)."""
        with _CALLBACKS:
            if not self._settled:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)
                return
        callback()

    def result(self, timeout: float | None = None) -> list[R]:
        """The results, or the writer's exception; ``TimeoutError`` if not settled in time."""
        if not self._done.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            raise TimeoutError("the audit writer did not settle the request in time")
        self._done.release()  # later calls return at once
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


class _Request(Generic[T, R]):
    __slots__ = ("future", "items")

    def __init__(self, items: list[T]) -> None:
        self.items = items
        self.future: Pending[R] = Pending()


class GroupCommitWriter(Generic[T, R]):
    """Runs ``commit(items)`` on a background thread for batches of queued items."""

    def __init__(
        self,
        commit: Callable[[list[T], Callable[[], list[T]]], list[R]],
        *,
        max_batch: int = 2000,
        idle_seconds: float = 1.0,
        on_idle: Callable[[], None] | None = None,
        name: str = "audit-writer",
        gather_fraction: float = 0.5,
        max_gather_seconds: float = 0.002,
    ) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._gather_fraction = gather_fraction
        self._max_gather = max_gather_seconds
        self._expected = 0  # requests expected for the next commit
        self._last_commit_seconds = 0.0
        self._idle_seconds = idle_seconds
        self._on_idle = on_idle
        self._queue: queue.SimpleQueue[_Request[T, R] | object] = queue.SimpleQueue()
        self._closed = False
        self._stopping = False  # the writer thread took the stop marker
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, items: list[T]) -> Pending[R]:
        request: _Request[T, R] = _Request(items)
        if self._closed or not self._thread.is_alive():
            request.future.set_exception(AuditUnavailableError("audit writer is stopped"))
            return request.future
        self._queue.put(request)
        return request.future

    def close(self, timeout: float = 30.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _drain(self, batch: list[_Request[T, R]], deadline: float | None = None) -> bool:
        """Add queued requests to ``batch`` (up to ``max_batch`` items); True on stop.

        With a ``deadline`` (``time.monotonic()``), also wait until then for requests
        still to come, while the batch holds fewer than the commit expects.
        """
        size = sum(len(request.items) for request in batch)
        while size < self._max_batch:
            try:
                if deadline is None:
                    more = self._queue.get_nowait()
                else:
                    remaining = deadline - time.monotonic()
                    if len(batch) >= self._expected or remaining <= 0:
                        return False
                    more = self._queue.get(timeout=remaining)
            except queue.Empty:
                return False
            if more is _STOP:
                self._stopping = True
                return True
            batch.append(more)  # type: ignore[arg-type]
            size += len(more.items)  # type: ignore[attr-defined]
        return False

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                self._idle()
                continue
            if first is _STOP:
                break
            batch: list[_Request[T, R]] = [first]  # type: ignore[list-item]
            stopping = self._drain(batch) or self._gather(batch)
            started = time.monotonic()
            self._commit_batch(batch)
            self._last_commit_seconds = time.monotonic() - started
            # callers this commit answered will be back, and so will those queued meanwhile
            self._expected = len(batch) + self._queue.qsize()
            stopping = stopping or self._stopping

    def _gather(self, batch: list[_Request[T, R]]) -> bool:
        """Wait briefly for the callers of the last commit to come back; True on stop."""
        wait = min(self._max_gather, self._last_commit_seconds * self._gather_fraction)
        if len(batch) >= self._expected or wait <= 0:
            return False
        return self._drain(batch, deadline=time.monotonic() + wait)

    def _idle(self) -> None:
        if self._on_idle is None:
            return
        try:
            self._on_idle()
        except Exception as exc:  # the next tick retries; appends are unaffected
            log.warning("audit_idle_task_failed", error=type(exc).__name__)

    def _commit_batch(self, batch: list[_Request[T, R]]) -> None:
        items = [item for request in batch for item in request.items]

        def more() -> list[T]:
            if self._stopping:
                return []
            known = len(batch)
            self._drain(batch)
            return [item for request in batch[known:] for item in request.items]

        try:
            results = self._commit(items, more)
        except Exception as exc:
            events = sum(len(request.items) for request in batch)
            log.error("audit_append_failed", events=events, error=type(exc).__name__)
            failure = AuditUnavailableError("audit log could not make the events durable")
            failure.__cause__ = exc
            for request in batch:
                request.future.set_exception(failure)
            return
        offset = 0
        for request in batch:
            count = len(request.items)
            request.future.set_result(results[offset : offset + count])
            offset += count
