"""A result the embedded engine computed is never discarded for being late on the wall clock
(GIL or CPU contention); a policy that burns more CPU than the budget still fails closed.

The real regorus engine evaluates; the wrappers only add a pause (another thread held the
CPU) or burn CPU in this thread (a runaway policy) around it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from policies import (
    POLICY_EVALUATION_FAILED,
    CountingMetrics,
    DecisionLogger,
    DecisionService,
    Evaluation,
    EvaluationTimeoutError,
    StaticEngineSource,
)
from tests.policies.conftest import ENGINE
from tests.policies.corpus import AGENT, profile, req

BUDGET = 0.05  # the default 50 ms
ALLOWED = req(AGENT, "read", profile(), ticket_customer_id="c-9", ip="10.0.4.7")


class PausedEngine:
    """The real engine, answering after this thread was kept off the CPU for ``pause`` s."""

    def __init__(self, pause: float) -> None:
        self.pause = pause

    @property
    def revision(self) -> str:
        return ENGINE.revision

    def ready(self) -> None:
        ENGINE.ready()

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation:
        time.sleep(self.pause)
        return ENGINE.evaluate(query, input_document)


class RunawayEngine(PausedEngine):
    """The real engine after ``pause`` s of CPU burnt in this thread (a runaway policy)."""

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation:
        until = time.thread_time() + self.pause
        while time.thread_time() < until:
            pass
        return ENGINE.evaluate(query, input_document)


def _service(engine: PausedEngine, logger: DecisionLogger, metrics: CountingMetrics) -> Any:
    return DecisionService(
        StaticEngineSource(engine), logger, metrics=metrics, timeout_seconds=BUDGET
    )


def test_a_late_but_computed_decision_is_kept(
    decision_logger: DecisionLogger, metrics: CountingMetrics
) -> None:
    service = _service(PausedEngine(4 * BUDGET), decision_logger, metrics)
    decision = service.decide(ALLOWED)
    assert decision.allow, decision.reasons
    assert not metrics.failures


def test_a_late_data_query_is_kept(
    decision_logger: DecisionLogger, metrics: CountingMetrics
) -> None:
    service = _service(PausedEngine(4 * BUDGET), decision_logger, metrics)
    result = service.query("data.finsolve.authz.allow", ALLOWED)
    assert result.evaluation.value is True


def test_decisions_under_gil_contention_do_not_fail(
    decision_logger: DecisionLogger, metrics: CountingMetrics
) -> None:
    """Pure-Python threads competing for the GIL make evaluations late, never wrong."""
    service = _service(PausedEngine(0), decision_logger, metrics)
    stop = threading.Event()

    def hog() -> None:
        while not stop.is_set():
            sum(range(10_000))

    hogs = [threading.Thread(target=hog) for _ in range(4)]
    for thread in hogs:
        thread.start()
    try:
        decisions = [service.decide(ALLOWED) for _ in range(30)]
    finally:
        stop.set()
        for thread in hogs:
            thread.join()
    assert all(d.allow for d in decisions)
    assert not metrics.failures


def test_a_runaway_policy_still_fails_closed(
    decision_logger: DecisionLogger, metrics: CountingMetrics
) -> None:
    service = _service(RunawayEngine(2 * BUDGET), decision_logger, metrics)
    decision = service.decide(ALLOWED)
    assert not decision.allow
    assert decision.reasons == [POLICY_EVALUATION_FAILED]
    assert metrics.failures["timeout"] == 1
    with pytest.raises(EvaluationTimeoutError):
        service.query("data.finsolve.authz.allow", ALLOWED)
