"""Batch decisions in one engine call per chunk (ADR 0207): the same decisions as one by one,
per-item failures stay per item, a slow chunk is decided again item by item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from audit import InMemoryAuditLog
from policies import (
    MASK_QUERY,
    POLICY_EVALUATION_FAILED,
    CountingMetrics,
    DecisionLogger,
    DecisionService,
    Evaluation,
    EvaluationError,
    RegorusEngine,
    StaticEngineSource,
    load_bundle_dir,
)
from policies.decision_log import DecisionLogEntry, audit_event, mask_evaluations
from policies.decisions import BATCH_CHUNK
from policies.engines.regorus import batch_query
from policies.models import Decision
from tests.policies.conftest import ENGINE
from tests.policies.corpus import CASES, CUSTOMER, profile, req

ENGINE_DECISION = Decision(True, ["allowed by rule own_data"], [], "rev", "01J")
REQUESTS = [case.request for case in CASES if case.query == "data.finsolve.authz.decision"]


class CountingEngine:
    """The real engine, counting calls; ``fail_on`` makes an input's evaluation fail."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.inner = ENGINE
        self.fail_on = fail_on
        self.single = 0
        self.many = 0

    @property
    def revision(self) -> str:
        return self.inner.revision

    def _check(self, document: Mapping[str, Any]) -> None:
        if self.fail_on is not None and document.get("subject", {}).get("id") == self.fail_on:
            raise EvaluationError("boom")

    def ready(self) -> None:
        """Nothing to prepare."""

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation:
        if query != MASK_QUERY:  # the decision log's masking runs on its own thread
            self.single += 1
        self._check(input_document)
        return self.inner.evaluate(query, input_document)

    def evaluate_many(
        self, query: str, input_documents: Sequence[Mapping[str, Any]]
    ) -> list[Evaluation]:
        if query != MASK_QUERY:
            self.many += 1
        for document in input_documents:
            self._check(document)
        return self.inner.evaluate_many(query, input_documents)


def comparable(decision: Any) -> tuple[bool, list[str], list[dict[str, Any]]]:
    return decision.allow, decision.reasons, decision.obligations


def test_batch_decisions_equal_single_decisions(
    service: DecisionService, decision_logger: DecisionLogger, audit_log: InMemoryAuditLog
) -> None:
    items = [REQUESTS[i % len(REQUESTS)] for i in range(3 * BATCH_CHUNK + 5)]
    answers = service.decide_many(items, requested_by="svc-batch")
    singles = [service.decide(item) for item in items]
    assert [comparable(a.decision) for a in answers] == [comparable(d) for d in singles]
    assert len({a.decision.decision_id for a in answers if a.decision}) == len(items)
    assert decision_logger.flush()
    logged = [e for e in audit_log.events if e.origin.service == "svc-batch"]
    assert [e.details["decision_id"] for e in logged] == [
        a.decision.decision_id for a in answers if a.decision
    ]
    assert all(e.details["entry_point"] == "authorize-batch" for e in logged)
    assert all("ip" not in e.details["input"].get("context", {}) for e in logged)


def test_one_engine_call_per_chunk(decision_logger: DecisionLogger) -> None:
    engine = CountingEngine()
    service = DecisionService(StaticEngineSource(engine), decision_logger, timeout_seconds=5)
    service.decide_many([REQUESTS[0]] * (2 * BATCH_CHUNK + 1))
    assert (engine.many, engine.single) == (3, 0)


def test_an_engine_error_stays_the_decision_of_its_item(
    decision_logger: DecisionLogger, metrics: CountingMetrics
) -> None:
    engine = CountingEngine(fail_on="c-bad")
    service = DecisionService(
        StaticEngineSource(engine), decision_logger, metrics=metrics, timeout_seconds=5
    )
    bad = req({**CUSTOMER, "id": "c-bad"}, "read", profile("c-bad"))
    items = [req(CUSTOMER, "read", profile()), bad, req(CUSTOMER, "read", profile())]
    answers = service.decide_many(items)
    decisions = [a.decision for a in answers]
    assert [d.allow if d else None for d in decisions] == [True, False, True]
    assert decisions[1] is not None
    assert decisions[1].reasons == [POLICY_EVALUATION_FAILED]
    assert metrics.failures["error"] == 1
    assert engine.single == 3  # the failed chunk was decided again item by item


def test_a_slow_chunk_is_decided_again_item_by_item(
    decision_logger: DecisionLogger, metrics: CountingMetrics
) -> None:
    engine = CountingEngine()
    service = DecisionService(
        StaticEngineSource(engine), decision_logger, metrics=metrics, timeout_seconds=1e-9
    )
    answers = service.decide_many([req(CUSTOMER, "read", profile())] * 2)
    assert engine.many == 1
    assert engine.single == 2
    assert all(a.decision and a.decision.reasons == [POLICY_EVALUATION_FAILED] for a in answers)
    assert metrics.failures["timeout"] == 2


def test_an_undefined_item_does_not_shift_the_others() -> None:
    files = load_bundle_dir()
    extra = "package finsolve.partial\n\nimport rego.v1\n\nanswer := 1 if input.x == 1\n"
    engine = RegorusEngine(
        type(files)(modules={**files.modules, "finsolve/partial.rego": extra}, data=files.data)
    )
    results = engine.evaluate_many("data.finsolve.partial.answer", [{"x": 2}, {"x": 1}, {}])
    assert [(r.defined, r.value) for r in results] == [(False, None), (True, 1), (False, None)]


def test_batch_input_with_a_lone_surrogate_is_an_error_not_a_crash() -> None:
    with pytest.raises(EvaluationError):
        ENGINE.evaluate_many("data.finsolve.authz.decision", [{"subject": {"id": "a\ud800"}}])
    with pytest.raises(EvaluationError):
        ENGINE.evaluate_many("data.finsolve.authz.decision", [{"k\udfff": 1}])


def test_batch_queries_name_a_data_path() -> None:
    assert "data.finsolve.authz.decision with input as item" in batch_query(
        "data.finsolve.authz.decision"
    )
    with pytest.raises(EvaluationError):
        batch_query("data.x] | true]")


def test_engine_error_in_a_batch_raises() -> None:
    # a context that is not an object: the DPO hint's object.get fails on regorus
    junk = {
        "subject": {"id": "d-1", "type": "user", "roles": ["dpo"]},
        "action": {"name": "read"},
        "resource": {"type": "report", "classification": 3},
        "context": "junk",
    }
    with pytest.raises(EvaluationError):
        ENGINE.evaluate("data.finsolve.authz.decision", junk)
    with pytest.raises(EvaluationError):
        ENGINE.evaluate_many("data.finsolve.authz.decision", [REQUESTS[0], junk])


class FailingBatchEngine(CountingEngine):
    def evaluate_many(
        self, query: str, input_documents: Sequence[Mapping[str, Any]]
    ) -> list[Evaluation]:
        raise EvaluationError("batch call failed")


@pytest.mark.parametrize("engine", [ENGINE, FailingBatchEngine()], ids=["batch", "fallback"])
def test_log_masks_in_one_call_or_one_by_one_alike(engine: Any) -> None:
    context = {"ip": "10.0.4.7", "justification": "note", "purpose": "support"}
    request = req(CUSTOMER, "read", profile(), **context)
    entries = [
        DecisionLogEntry(
            decision=ENGINE_DECISION,
            input_document=request,
            entry_point="authorize-batch",
            latency_seconds=0.0,
            engine=engine,
        ),
        DecisionLogEntry(
            decision=ENGINE_DECISION,
            input_document=request,
            entry_point="authorize-batch",
            latency_seconds=0.0,
            engine=None,
        ),
    ]
    masks = mask_evaluations(entries)
    assert masks[1] is None
    assert (masks[0] is None) is isinstance(engine, FailingBatchEngine)
    first, second = (audit_event(e, m) for e, m in zip(entries, masks, strict=True))
    assert first.details["input"]["context"] == {"purpose": "support"}
    assert sorted(first.details["erased"]) == ["/input/context/ip", "/input/context/justification"]
    assert second.details["input"] == {}
    assert second.details["erased"] == ["/input"]
