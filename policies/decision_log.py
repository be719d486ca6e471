"""Decision logging into the audit log: durable before the answer, bounded, never silent.

**Durable** (the default, ADR 0208): ``record`` builds the events of one answer (one
decision, or a whole batch) in the caller's thread and returns only once the audit log made
them durable; concurrent callers share commits through the audit writer's group commit. If
the log does not confirm within ``wait_seconds``, ``DecisionLogUnavailableError`` is raised
and the decision is not answered (503 + ``Retry-After``), never acknowledged without its event.

**Async** (an explicit setting only, with a loss window on a crash): ``submit`` only
enqueues; a worker thread masks inputs (the bundle's ``system.log.mask``) and hands
batches to ``AuditRecorder.record_many``. When the queue is full ``submit`` returns False
and the caller fails the decision closed. When the audit log is unavailable
the worker keeps its batch and retries, so the queue fills and decisions start to fail
closed instead of events being dropped. An event the audit log refuses as invalid (a value
RFC 8785 cannot canonicalize) is recorded in its place as a substitute decision event whose
input is replaced by ``UNREPRESENTABLE_INPUT`` (decision id, subject, action, outcome and
revision kept) and counted (``substituted``); the worker never dies on a per-event error.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from audit import (
    Actor,
    AuditEventIn,
    AuditInvalidEventError,
    AuditRecorder,
    AuditUnavailableError,
    EventType,
    Origin,
    Outcome,
    Target,
)
from policies.engines.port import MASK_QUERY, BatchEngine, Evaluation, PolicyEngine
from policies.errors import DecisionLogUnavailableError
from policies.log_fields import Hasher, keep_or_hash, pseudonymize_input, scrub, tolerant
from policies.masking import apply_mask
from policies.models import Decision

YIELD_EVERY = 8
UNREPRESENTABLE_INPUT = "input could not be canonicalized (RFC 8785); replaced by this marker"
# what a substitute event keeps of the decision: never the input
KEPT_DETAILS = ("decision_id", "entry_point", "path", "action", "allow", "policy_revision")


class SubstituteCounter(Protocol):
    def log_event_substituted(self) -> None:
        """A decision event was recorded with its input replaced by the marker."""


@dataclass(frozen=True)
class DecisionLogEntry:
    decision: Decision
    input_document: dict[str, Any]
    entry_point: str
    latency_seconds: float
    engine: PolicyEngine | None = None
    requested_by: str | None = None
    path: str = "finsolve/authz/decision"
    extra: dict[str, Any] = field(default_factory=dict)


def _mask_event(entry: DecisionLogEntry) -> dict[str, Any]:
    return {"input": entry.input_document, "path": entry.path}


def mask_evaluations(entries: list[DecisionLogEntry]) -> list[Evaluation | None]:
    """The mask rule for each entry, one engine call per engine that can batch (ADR 0207).

    ``None`` where the entry's mask is still to be evaluated on its own (no batch engine,
    or the batch call failed).
    """
    found: list[Evaluation | None] = [None] * len(entries)
    by_engine: dict[int, tuple[BatchEngine, list[int]]] = {}
    for index, entry in enumerate(entries):
        if isinstance(entry.engine, BatchEngine):
            by_engine.setdefault(id(entry.engine), (entry.engine, []))[1].append(index)
    for engine, indexes in by_engine.values():
        try:
            results = engine.evaluate_many(MASK_QUERY, [_mask_event(entries[i]) for i in indexes])
        except Exception:  # noqa: S112 - each entry is then masked on its own
            continue
        for index, result in zip(indexes, results, strict=True):
            found[index] = result
    return found


def masked_input(
    entry: DecisionLogEntry, evaluation: Evaluation | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The input with the bundle's mask rule applied (a failing mask rule erases it all).

    ``evaluation`` is the mask rule's result when already evaluated (in a batch).
    """
    event = _mask_event(entry)
    if entry.engine is None:
        return {}, ["/input"]
    if evaluation is None:
        try:
            evaluation = entry.engine.evaluate(MASK_QUERY, event)
        except Exception:  # masking must never let an unmasked input through
            return {}, ["/input"]
    rules = evaluation.value if evaluation.defined else []
    if not isinstance(rules, list):
        return {}, ["/input"]
    masked, touched = apply_mask(event, rules)
    return masked.get("input", {}), touched


def _object(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default


def ephemeral_hasher() -> Hasher:
    """A keyed HMAC with a key of this process only (a recorder without ``hash_value``,
    e.g. in-memory logs in unit tests): values are never stored in clear."""
    key = os.urandom(32)

    def digest(value: Any) -> str:
        data = value if isinstance(value, str) else repr(value)
        return "hmac-sha256:" + hmac.new(key, data.encode(), hashlib.sha256).hexdigest()

    return digest


def hasher_of(recorder: Any) -> Hasher:
    """The audit log's own keyed HMAC (``POST /v1/audit/hash``) when it has one."""
    hash_value = getattr(recorder, "hash_value", None)
    return hash_value if callable(hash_value) else ephemeral_hasher()


def audit_event(
    entry: DecisionLogEntry, mask: Evaluation | None = None, hasher: Hasher | None = None
) -> AuditEventIn:
    """The decision event: the input masked (bundle rule), then reduced to the allow-list
    (``policies.log_fields``: everything else keyed-HMAC'd, ids of people included)."""
    hasher = tolerant(hasher or ephemeral_hasher())
    document = entry.input_document
    subject, resource, action = (
        _object(document, key) for key in ("subject", "resource", "action")
    )
    roles = subject.get("roles")
    if not isinstance(roles, list):
        roles = []
    masked, erased = masked_input(entry, mask)
    decision = entry.decision
    subject_id, resource_id = subject.get("id"), resource.get("id")
    return AuditEventIn(
        type=EventType.DECISION,
        outcome=Outcome.SUCCESS if decision.allow else Outcome.FAILURE,
        actor=Actor(
            id=hasher(subject_id) if subject_id not in (None, "") else "unknown",
            kind=keep_or_hash(_text(subject.get("type"), "unknown"), hasher),
            roles=tuple(keep_or_hash(str(role), hasher) for role in roles),
        ),
        origin=Origin(service=scrub(_text(entry.requested_by, entry.entry_point), hasher)),
        target=Target(
            type=keep_or_hash(_text(resource.get("type"), "unknown"), hasher),
            id=hasher(resource_id) if resource_id not in (None, "") else None,
        ),
        details={
            "decision_id": decision.decision_id,
            "entry_point": entry.entry_point,
            "path": scrub(entry.path, hasher),
            "action": keep_or_hash(_text(action.get("name"), ""), hasher),
            "allow": decision.allow,
            "reasons": scrub(list(decision.reasons), hasher),
            "obligations": scrub(list(decision.obligations), hasher),
            "policy_revision": decision.policy_revision,
            "latency_ms": round(entry.latency_seconds * 1000, 3),
            "input": pseudonymize_input(masked, hasher),
            "erased": erased,
            **scrub(entry.extra, hasher),
        },
    )


class Settling(Protocol):
    """A queued durable write (``audit.AuditLog.submit_many``'s answer)."""

    @property
    def done(self) -> bool: ...

    def add_done_callback(self, callback: Callable[[], None]) -> None: ...

    def result(self, timeout: float | None = None) -> list[Any]: ...


class LogReceipt:
    """The durable write of one answer's decision events (ADR 0213).

    ``settle()`` returns once the events are durable, or raises
    ``DecisionLogUnavailableError`` after at most ``wait_seconds``. A caller that must not
    block (the event loop) waits for ``add_done_callback`` first, then settles at once; when
    ``needs_thread`` the write itself is still to be done and ``settle`` blocks on I/O.
    """

    __slots__ = ("_blocking", "_logger", "_pending")

    def __init__(
        self,
        logger: DecisionLogger,
        *,
        pending: Settling | None = None,
        blocking: Callable[[], None] | None = None,
    ) -> None:
        self._logger = logger
        self._pending = pending
        self._blocking = blocking

    @property
    def needs_thread(self) -> bool:
        return self._blocking is not None

    @property
    def done(self) -> bool:
        return self._pending is None or self._pending.done

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        if self._pending is None:
            callback()
        else:
            self._pending.add_done_callback(callback)

    def settle(self, timeout: float | None = None) -> None:
        wait = self._logger.wait_seconds if timeout is None else timeout
        try:
            if self._blocking is not None:
                self._blocking()
            elif self._pending is not None:
                self._pending.result(timeout=wait)
        except TimeoutError as exc:
            raise self._logger.unavailable(exc) from exc
        except AuditUnavailableError as exc:
            raise self._logger.unavailable(exc) from exc


class DecisionLogger:
    """Durable ``record`` (default), or a bounded queue + one worker thread (async mode)."""

    def __init__(
        self,
        recorder: AuditRecorder,
        *,
        durable: bool = True,
        wait_seconds: float = 5.0,
        max_queue: int = 10_000,
        batch_size: int = 500,
        retry_seconds: float = 0.5,
        on_error: Callable[[Exception], None] | None = None,
        metrics: SubstituteCounter | None = None,
    ) -> None:
        self._recorder = recorder
        self.hasher: Hasher = hasher_of(recorder)
        self.durable = durable
        self.wait_seconds = wait_seconds
        self._timed = "timeout" in inspect.signature(recorder.record_many).parameters
        self._queue: queue.Queue[DecisionLogEntry] = queue.Queue(maxsize=max_queue)
        self._batch_size = batch_size
        self._retry_seconds = retry_seconds
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.substituted = 0
        self.metrics = metrics

    def start(self) -> None:
        """Start (or, after ``close``, restart) the worker: no entry waits on a dead thread."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
                self._thread.start()

    def record(self, entries: list[DecisionLogEntry]) -> None:
        """Make the events of ``entries`` durable (one group-committed write) or raise
        ``DecisionLogUnavailableError`` after at most about ``wait_seconds``."""
        self.submit_durable(entries).settle()

    def submit_durable(self, entries: list[DecisionLogEntry]) -> LogReceipt:
        """Build the events of ``entries`` and queue them for the audit log's next group
        commit without waiting; the receipt says when they are durable (ADR 0213).

        When the recorder cannot queue (no ``submit_many``: an in-memory log) or an event
        needs the one-by-one substitution path, the receipt carries that write as blocking
        work (``needs_thread``) for ``settle`` to do.
        """
        if not entries:
            return LogReceipt(self)
        events = [
            self._event(entry, mask)
            for entry, mask in zip(entries, mask_evaluations(entries), strict=True)
        ]
        submit = getattr(self._recorder, "submit_many", None)
        if submit is None:
            return LogReceipt(self, blocking=lambda: self._write_durable(events))
        try:
            pending: Settling = submit(events)
        except AuditInvalidEventError:
            # nothing was queued: record one by one, substituting the bad ones
            return LogReceipt(self, blocking=lambda: self._write_durable(events))
        return LogReceipt(self, pending=pending)

    def unavailable(self, exc: Exception) -> DecisionLogUnavailableError:
        """The error a decision gets when its event was not durable in time (503)."""
        self._report(exc)
        error = DecisionLogUnavailableError(
            "the decision log could not make the decision durable in time; retry later",
            retry_after_seconds=max(1, round(self.wait_seconds)),
        )
        error.__cause__ = exc
        return error

    def _write_durable(self, events: list[AuditEventIn]) -> None:
        try:
            if self._timed:  # the durable AuditLog: bounded wait for the group commit
                self._recorder.record_many(events, timeout=self.wait_seconds)  # type: ignore[call-arg]
            else:
                self._recorder.record_many(events)
        except AuditInvalidEventError:
            # nothing of the batch was recorded: record one by one, substituting bad ones
            for event in events:
                self._record_one(event)

    def submit(self, entry: DecisionLogEntry) -> bool:
        """Enqueue without blocking; False when the queue is full."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            self.start()
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            return False
        return True

    @property
    def recorder(self) -> AuditRecorder:
        return self._recorder

    @property
    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted entry is recorded; False on timeout."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        self.flush(timeout)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _take_batch(self) -> list[DecisionLogEntry]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < self._batch_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._take_batch()
            if not batch:
                continue
            masks = mask_evaluations(batch)
            events: list[AuditEventIn] = []
            for index, (entry, mask) in enumerate(zip(batch, masks, strict=True), 1):
                events.append(self._event(entry, mask))
                if index % YIELD_EVERY == 0:
                    time.sleep(0)  # hand the GIL back: decisions wait less behind logging
            while not self._write(events):
                if self._stop.wait(self._retry_seconds):
                    return
            for _ in batch:
                self._queue.task_done()

    def _event(self, entry: DecisionLogEntry, mask: Evaluation | None = None) -> AuditEventIn:
        try:
            return audit_event(entry, mask, self.hasher)
        except Exception as exc:  # a malformed input still leaves a trace, never unmasked
            if self._on_error is not None:
                self._on_error(exc)
            bare = DecisionLogEntry(
                decision=entry.decision,
                input_document={},
                entry_point=entry.entry_point,
                latency_seconds=entry.latency_seconds,
                requested_by=entry.requested_by,
                path=entry.path,
            )
            return audit_event(bare, None, self.hasher)

    def _write(self, events: list[AuditEventIn]) -> bool:
        """Record ``events``; False (keep the rest, retry later) when the log is unavailable.

        Recorded events are removed from ``events``, so a retry never records one twice.
        """
        try:
            try:
                self._recorder.record_many(events)
            except AuditInvalidEventError:
                # nothing of the batch was recorded: find the bad events one by one
                while events:
                    self._record_one(events[0])
                    del events[0]
                return True
            events.clear()
            return True
        except AuditUnavailableError as exc:
            self._report(exc)
            return False
        except Exception as exc:  # an unexpected failure: keep the batch, retry, never die
            self._report(exc)
            return False

    def _record_one(self, event: AuditEventIn) -> None:
        try:
            self._recorder.record(event)
            return
        except AuditInvalidEventError as exc:
            self._report(exc)
        try:
            self._recorder.record(substitute(event))
        except AuditInvalidEventError:  # even the kept fields: keep only plain text
            self._recorder.record(substitute(event, bare=True))
        self.substituted += 1
        if self.metrics is not None:
            self.metrics.log_event_substituted()

    def _report(self, exc: Exception) -> None:
        if self._on_error is not None:
            self._on_error(exc)


def _plain(text: str) -> str:
    """``text`` with lone surrogates and NUL spelled out (``\\ud800``, ``\\u0000``)."""
    spelled = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return spelled.replace("\x00", "\\u0000")


def substitute(event: AuditEventIn, *, bare: bool = False) -> AuditEventIn:
    """The decision event to record when ``event`` cannot be canonicalized.

    The input (and anything else but the kept decision fields) is replaced by the
    ``UNREPRESENTABLE_INPUT`` marker; ``bare`` also reduces the actor, target and kept
    fields to plain text.
    """
    details: dict[str, Any] = {
        key: event.details[key] for key in KEPT_DETAILS if key in event.details
    }
    if bare:
        details = {
            key: value if isinstance(value, bool) else _plain(str(value))
            for key, value in details.items()
        }
    details.update(
        {
            "reasons": (
                [_plain(str(reason)) for reason in event.details.get("reasons", [])]
                if isinstance(event.details.get("reasons"), list)
                else []
            ),
            "input": {},
            "erased": ["/input"],
            "input_unrepresentable": UNREPRESENTABLE_INPUT,
        }
    )
    update: dict[str, Any] = {"details": details}
    if bare:
        update["actor"] = Actor(
            id=_plain(event.actor.id),
            kind=_plain(event.actor.kind),
            roles=tuple(_plain(role) for role in event.actor.roles),
        )
        update["target"] = Target(
            type=_plain(event.target.type),
            id=_plain(event.target.id) if event.target.id is not None else None,
        )
        update["origin"] = Origin(
            ip=_plain(event.origin.ip) if event.origin.ip is not None else None,
            request_id=(
                _plain(event.origin.request_id) if event.origin.request_id is not None else None
            ),
            service=_plain(event.origin.service),
        )
    return event.model_copy(update=update)
