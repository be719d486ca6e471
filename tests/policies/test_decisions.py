from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from ulid import ULID

from audit import EventType, InMemoryAuditLog, Outcome
from policies import (
    DECISION_LOG_UNAVAILABLE,
    MAX_BATCH,
    POLICY_EVALUATION_FAILED,
    CountingMetrics,
    DecisionLogger,
    DecisionService,
    Evaluation,
    EvaluationError,
    EvaluationTimeoutError,
    InvalidRequestError,
    StaticEngineSource,
)
from tests.policies.conftest import ENGINE
from tests.policies.corpus import AGENT, CUSTOMER, profile, req


class ScriptedEngine:
    """An engine that answers what the test says (to drive the fail-closed paths)."""

    def __init__(self, answer: Evaluation | Exception) -> None:
        self.answer = answer

    @property
    def revision(self) -> str:
        return "scripted"

    def ready(self) -> None:
        """Nothing to prepare."""

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_allow_carries_revision_id_and_obligations(service: DecisionService) -> None:
    request = req(AGENT, "read", profile(fields=["pan"]), ticket_customer_id="c-9", ip="10.0.4.7")
    decision = service.decide(request)
    assert decision.allow
    assert decision.policy_revision == ENGINE.revision
    ULID.from_str(decision.decision_id)
    assert decision.obligations == [{"type": "mask", "fields": ["pan"], "format": "last4"}]
    assert decision.as_dict()["decision_id"] == decision.decision_id


def test_every_decision_is_logged_with_masked_input(
    service: DecisionService, decision_logger: DecisionLogger, audit_log: InMemoryAuditLog
) -> None:
    allow = service.decide(
        req(AGENT, "read", profile(), ticket_customer_id="c-9", ip="10.0.4.7"),
        requested_by="svc-support",
    )
    deny = service.decide(req(CUSTOMER, "read", profile("c-1"), justification="secret note"))
    assert decision_logger.flush()
    assert len(audit_log.events) == 2
    first, second = audit_log.events
    assert first.type is EventType.DECISION
    assert first.outcome is Outcome.SUCCESS
    assert second.outcome is Outcome.FAILURE
    assert first.details["decision_id"] == allow.decision_id
    assert second.details["decision_id"] == deny.decision_id
    hashed = decision_logger.hasher  # ids of people are keyed HMACs (ADR 0211)
    assert first.actor.id == hashed("u-7")
    assert first.target.type == "customer_profile"
    assert first.target.id == hashed("c-9")
    assert first.origin.service == "svc-support"
    assert first.details["policy_revision"] == ENGINE.revision
    assert first.details["latency_ms"] >= 0
    assert "ip" not in first.details["input"]["context"]
    assert first.details["input"]["context"]["ticket_customer_id"] == hashed("c-9")
    assert first.details["input"]["subject"]["roles"] == ["support_agent"]
    assert "/input/context/ip" in first.details["erased"]
    assert "justification" not in second.details["input"]["context"]
    assert second.details["reasons"] == deny.reasons


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (EvaluationError("boom"), "error"),
        (EvaluationTimeoutError("slow"), "timeout"),
        (Evaluation(defined=False), "undefined"),
        (Evaluation(defined=True, value={"allow": "yes"}), "undefined"),
        (
            Evaluation(defined=True, value={"allow": True, "reasons": [], "obligations": [1]}),
            "undefined",
        ),
    ],
)
def test_engine_failures_fail_closed(
    answer: Evaluation | Exception,
    kind: str,
    metrics: CountingMetrics,
    decision_logger: DecisionLogger,
) -> None:
    service = DecisionService(
        StaticEngineSource(ScriptedEngine(answer)), decision_logger, metrics=metrics
    )
    decision = service.decide(req(CUSTOMER, "read", profile()))
    assert not decision.allow
    assert decision.reasons == [POLICY_EVALUATION_FAILED]
    assert metrics.failures[kind] == 1


def test_late_result_is_discarded(
    metrics: CountingMetrics, decision_logger: DecisionLogger
) -> None:
    service = DecisionService(
        StaticEngineSource(ENGINE), decision_logger, metrics=metrics, timeout_seconds=1e-9
    )
    decision = service.decide(req(CUSTOMER, "read", profile()))
    assert not decision.allow
    assert decision.reasons == [POLICY_EVALUATION_FAILED]
    assert metrics.failures["timeout"] == 1


def test_deny_without_reasons_gets_one(decision_logger: DecisionLogger) -> None:
    engine = ScriptedEngine(Evaluation(defined=True, value={"allow": False, "reasons": []}))
    decision = DecisionService(StaticEngineSource(engine), decision_logger).decide({})
    assert decision.reasons == ["default deny"]


def test_full_log_queue_fails_closed_and_never_drops(metrics: CountingMetrics) -> None:
    """The explicit async mode: a full queue fails the decision closed."""
    audit_log = InMemoryAuditLog()
    audit_log.fail = True
    logger = DecisionLogger(audit_log, durable=False, max_queue=1, batch_size=1, retry_seconds=0.01)
    service = DecisionService(StaticEngineSource(ENGINE), logger, metrics=metrics)
    decisions = [service.decide(req(CUSTOMER, "read", profile())) for _ in range(4)]
    refused = [d for d in decisions if d.reasons == [DECISION_LOG_UNAVAILABLE]]
    assert refused
    assert all(not d.allow for d in refused)
    assert metrics.queue_full == len(refused)
    audit_log.fail = False
    assert logger.flush()
    logged = {event.details["decision_id"] for event in audit_log.events}
    accepted = {d.decision_id for d in decisions if d not in refused}
    assert logged == accepted
    logger.close()


def test_batch_keeps_order_and_reports_malformed_items(service: DecisionService) -> None:
    items: list[Any] = [
        req(CUSTOMER, "read", profile()),
        {"subject": {"id": "x"}},
        "not an object",
        req(CUSTOMER, "read", profile("c-2")),
    ]
    answers = service.decide_many(items)
    assert [a.decision.allow if a.decision else None for a in answers] == [True, None, None, False]
    assert answers[1].error
    assert "subject.type" in answers[1].error
    assert answers[1].as_dict()["error"]["status"] == 422
    with pytest.raises(InvalidRequestError):
        service.decide_many([{}] * (MAX_BATCH + 1))


def test_decide_raw_rejects_bad_shape(service: DecisionService) -> None:
    with pytest.raises(InvalidRequestError):
        service.decide_raw({"subject": {}, "action": {}, "resource": {}})


def test_data_query_defined_and_undefined(service: DecisionService) -> None:
    result = service.query("data.finsolve.authz.allow", req(CUSTOMER, "read", profile()))
    assert result.evaluation.value is True
    assert result.policy_revision == ENGINE.revision
    missing = service.query("data.finsolve.authz.nothing_here", {})
    assert not missing.evaluation.defined
    package = service.query("data.finsolve.config.admin", {})
    assert package.evaluation.value["cidrs"] == ["10.0.0.0/8"]


def test_data_query_failure_raises(metrics: CountingMetrics) -> None:
    service = DecisionService(
        StaticEngineSource(ScriptedEngine(EvaluationError("x"))), None, metrics=metrics
    )
    with pytest.raises(EvaluationError):
        service.query("data.x", {})
    slow = DecisionService(StaticEngineSource(ENGINE), None, metrics=metrics, timeout_seconds=1e-9)
    with pytest.raises(EvaluationTimeoutError):
        slow.query("data.finsolve.authz.allow", {})
    assert metrics.failures == {"error": 1, "timeout": 1}


def test_logger_restarts_after_close(audit_log: InMemoryAuditLog) -> None:
    """An app whose lifespan closed the logger and started again must not queue into a void."""
    service = DecisionService(StaticEngineSource(ENGINE), DecisionLogger(audit_log))
    logger = service._logger
    assert logger is not None
    service.decide({"subject": {"id": "a", "type": "user"}})
    logger.close()
    service.decide({"subject": {"id": "b", "type": "user"}})
    assert logger.flush(5)
    hashed = logger.hasher
    logged = [e.actor.id for e in audit_log.events if e.type == EventType.DECISION]
    assert logged == [hashed("a"), hashed("b")]
    logger.close()
