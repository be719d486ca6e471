"""Durable decision logging (ADR 0208): no decision is answered before its event is durable."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import SimpleNamespace
from typing import cast

import pytest

from audit import AuditEventIn, InMemoryAuditLog, Outcome, RecordedEvent
from policies import (
    CountingMetrics,
    DecisionLogger,
    DecisionLogUnavailableError,
    DecisionService,
    PolicyRoom,
    StaticEngineSource,
)
from tests import callers
from tests.policies.conftest import ENGINE
from tests.policies.corpus import CASES
from web.policy_gate import PolicyRouteGate

CUSTOMER_READ = CASES[0].request


class CountingLog(InMemoryAuditLog):
    """Counts ``record_many`` calls (one durable write each)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def record_many(self, events: Sequence[AuditEventIn]) -> list[RecordedEvent]:
        self.writes += 1
        return super().record_many(events)


class StalledLog(InMemoryAuditLog):
    """A log whose writer never confirms within the caller's bound (``timeout`` honoured)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.timeouts: list[float | None] = []

    def record_many(
        self, events: Sequence[AuditEventIn], *, timeout: float | None = None
    ) -> list[RecordedEvent]:
        from audit import AuditUnavailableError

        self.timeouts.append(timeout)
        if not self.release.wait(timeout):
            raise AuditUnavailableError("audit log did not confirm the event in time")
        return super().record_many(events)


def test_a_decision_is_in_the_log_when_decide_returns() -> None:
    log = CountingLog()
    service = DecisionService(StaticEngineSource(ENGINE), DecisionLogger(log), timeout_seconds=5)
    decision = service.decide(CUSTOMER_READ)
    # no flush, no worker thread: the event is already there
    assert [event.details["decision_id"] for event in log.events] == [decision.decision_id]


def test_a_batch_is_one_durable_write_before_any_answer() -> None:
    log = CountingLog()
    service = DecisionService(StaticEngineSource(ENGINE), DecisionLogger(log), timeout_seconds=5)
    answers = service.decide_many([case.request for case in CASES[:100]] + [{"bad": 1}])
    assert log.writes == 1
    answered = {a.decision.decision_id for a in answers if a.decision is not None}
    assert len(answered) == min(100, len(CASES))
    assert {event.details["decision_id"] for event in log.events} == answered


def test_a_log_that_cannot_keep_up_refuses_after_a_bounded_wait() -> None:
    log = StalledLog()
    metrics = CountingMetrics()
    logger = DecisionLogger(log, wait_seconds=0.2)
    service = DecisionService(
        StaticEngineSource(ENGINE), logger, metrics=metrics, timeout_seconds=5
    )
    with pytest.raises(DecisionLogUnavailableError) as refused:
        service.decide(CUSTOMER_READ)
    assert refused.value.problem_headers == {"Retry-After": "1"}
    assert log.timeouts == [0.2]
    with pytest.raises(DecisionLogUnavailableError):
        service.decide_many([CUSTOMER_READ] * 3)
    with pytest.raises(DecisionLogUnavailableError):
        service.query("data.finsolve.authz.allow", CUSTOMER_READ)
    assert metrics.queue_full == 3
    assert sum(metrics.decisions.values()) == 0  # nothing was answered
    log.release.set()
    assert service.decide(CUSTOMER_READ).allow is CASES[0].allow


def test_the_route_gate_logs_decision_endpoint_denies_but_not_allows() -> None:
    log = CountingLog()
    service = DecisionService(StaticEngineSource(ENGINE), DecisionLogger(log), timeout_seconds=5)
    room = SimpleNamespace(decisions=service, decides_inline=False)
    gate = PolicyRouteGate(cast(PolicyRoom, room))
    svc = callers.service("svc-1")
    assert gate.check(svc, "decide", "decision", {"ip": "10.0.0.1"}).allow
    assert log.events == []  # the decision endpoint's own event records the call (ADR 0209)
    denied = gate.check(callers.user("u-1", "auditor"), "decide", "decision", {"ip": "10.0.0.1"})
    assert not denied.allow
    assert [e.outcome for e in log.events] == [Outcome.FAILURE]  # the deny is logged
    assert gate.check(svc, "fields:encrypt", "field", {"ip": "10.0.0.1"}).allow
    assert len(log.events) == 2  # every other permission's allow is logged
