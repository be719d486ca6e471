"""Facts trustplane holds are not taken from the caller (issue 15, item 4; ADR 0212).

The real regorus engine and shipped bundle decide; the DSR register and the data map are
in-memory records here (the privacy room's adapters over the real tables are tested in
tests/trustplane/test_decision_facts.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from audit import EventType, InMemoryAuditLog
from policies import (
    DSR_REGISTRY_UNAVAILABLE,
    POLICY_EVALUATION_FAILED,
    SYSTEM_RECORDS_UNAVAILABLE,
    CountingMetrics,
    DecisionLogger,
    DecisionService,
    DsrFacts,
    EvaluationError,
    FactRefusedError,
    Facts,
    FactsView,
    ResidencyFacts,
    StaticEngineSource,
    SystemRecord,
)
from tests.policies.conftest import ENGINE
from tests.policies.corpus import AGENT, DPO, profile, req, res, service

OPEN = "0b6f4c8e-5a7e-4c1e-9b0e-2f1d3c4b5a69"
CLOSED = "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"
PAYMENTS = service("svc:payments")


class Register:
    """DSR records: OPEN is verified, in progress and about c-9; CLOSED is completed."""

    def __init__(self) -> None:
        self.down = False
        self.asked: list[tuple[str, str]] = []

    def dsr_binding(self, dsr_id: str, owner_id: str) -> str | None:
        self.asked.append((dsr_id, owner_id))
        if self.down:
            raise ConnectionError("register down")
        if dsr_id == CLOSED:
            return f"data subject request {CLOSED} is completed, not verified and in progress"
        if dsr_id != OPEN:
            return "unknown data subject request (context.dsr_id names none trustplane holds)"
        if owner_id != "c-9":
            return f"data subject request {OPEN} is not about this data principal"
        return None


class DataMap:
    def __init__(self) -> None:
        self.down = False
        self.systems = {
            "core_banking": SystemRecord("core_banking", "ap-south-1"),
            "marketing_eu": SystemRecord("marketing_eu", "eu-west-1"),
        }

    def system(self, name: str) -> SystemRecord | None:
        if self.down:
            raise ConnectionError("data map down")
        return self.systems.get(name)

    def cached(self) -> bool:
        return not self.down


@pytest.fixture
def register() -> Register:
    return Register()


@pytest.fixture
def datamap() -> DataMap:
    return DataMap()


@pytest.fixture
def decisions(
    decision_logger: DecisionLogger, metrics: CountingMetrics, register: Register, datamap: DataMap
) -> DecisionService:
    return DecisionService(
        StaticEngineSource(ENGINE),
        decision_logger,
        metrics=metrics,
        timeout_seconds=5,
        facts=[DsrFacts(register), ResidencyFacts(datamap, "IN")],
    )


def dpo_read(dsr_id: Any, owner: str = "c-9", **context: Any) -> dict[str, Any]:
    return req(DPO, "read", profile(owner), dsr_id=dsr_id, **context)


def payment(**resource: Any) -> dict[str, Any]:
    """svc:payments reading a payment of level 3: allowed by rule 7 wherever rule 13 holds."""
    return req(PAYMENTS, "read", res("payment", resource.pop("classification", 3), **resource))


def logged_inputs(audit_log: InMemoryAuditLog, decision_logger: DecisionLogger) -> list[Any]:
    assert decision_logger.flush(5)
    events = [e for e in audit_log.events if e.type == EventType.DECISION]
    return [e.details["input"] for e in events]


# -- data subject requests --------------------------------------------------------------


def test_an_open_request_about_the_owner_is_what_rule_10_needs(
    decisions: DecisionService, register: Register
) -> None:
    decision = decisions.decide(dpo_read(OPEN))
    assert decision.allow, decision.reasons
    assert decision.reasons == ["allowed by rule dpo_dsr"]
    assert register.asked == [(OPEN, "c-9")]


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (dpo_read("dsr-42"), "unknown data subject request"),
        (dpo_read(CLOSED), "is completed, not verified and in progress"),
        (dpo_read(OPEN, owner="c-10"), "not about this data principal"),
        (req(DPO, "read", res("customer_profile", 3), dsr_id=OPEN), "needs resource.owner_id"),
        (dpo_read(""), "must be the id of a data subject request"),
        (dpo_read(42), "must be the id of a data subject request"),
        (req(DPO, "read", profile(), purpose="dsr"), "purpose dsr needs context.dsr_id"),
        # a grant that did not need the request does not survive a forged citation either
        (req(AGENT, "read", profile(), ticket_customer_id="c-9", dsr_id="x"), "unknown"),
    ],
)
def test_a_cited_request_that_does_not_check_out_is_a_deny_with_its_reason(
    decisions: DecisionService, metrics: CountingMetrics, request_: dict[str, Any], reason: str
) -> None:
    decision = decisions.decide(request_)
    assert decision.allow is False
    assert decision.failed is False
    assert any(reason in r for r in decision.reasons), decision.reasons
    assert metrics.failures == {}  # a deny, not a failed evaluation


def test_a_null_dsr_id_cites_nothing(decisions: DecisionService, register: Register) -> None:
    request = req(AGENT, "read", profile(), ticket_customer_id="c-9", dsr_id=None)
    assert decisions.decide(request).allow
    assert register.asked == []


def test_the_caller_text_is_never_echoed_into_the_reasons(decisions: DecisionService) -> None:
    decision = decisions.decide(dpo_read("asha.rao@example.com"))
    assert not decision.allow
    assert not any("asha" in reason for reason in decision.reasons)


def test_a_register_that_cannot_answer_fails_closed(
    decisions: DecisionService, register: Register, metrics: CountingMetrics
) -> None:
    register.down = True
    decision = decisions.decide(dpo_read(OPEN))
    assert decision.allow is False
    assert decision.failed is True
    assert decision.reasons == [POLICY_EVALUATION_FAILED, DSR_REGISTRY_UNAVAILABLE]
    assert metrics.failures == {"error": 1}
    (answer,) = decisions.decide_many([dpo_read(OPEN)])
    assert answer.decision is not None
    assert answer.decision.failed
    with pytest.raises(EvaluationError):
        decisions.query("data.finsolve.authz.allow", dpo_read(OPEN))


def test_a_batch_decides_each_citation_on_its_own(decisions: DecisionService) -> None:
    answers = decisions.decide_many([dpo_read(OPEN), dpo_read("dsr-42"), dpo_read(OPEN)] * 30)
    allows = [a.decision.allow for a in answers if a.decision is not None]
    assert allows == [True, False, True] * 30
    forged = answers[1].decision
    assert forged is not None
    assert any("unknown data subject" in r for r in forged.reasons)


def test_the_data_api_refuses_a_forged_citation_and_logs_the_deny(
    decisions: DecisionService, audit_log: InMemoryAuditLog, decision_logger: DecisionLogger
) -> None:
    assert decisions.query("data.finsolve.authz.allow", dpo_read(OPEN)).evaluation.value is True
    with pytest.raises(FactRefusedError, match="unknown data subject request"):
        decisions.query("data.finsolve.authz.allow", dpo_read("dsr-42"))
    assert decision_logger.flush(5)
    events = [e for e in audit_log.events if e.type == EventType.DECISION]
    assert [e.details["allow"] for e in events] == [True, False]
    assert any("unknown data subject" in r for r in events[1].details["reasons"])


# -- data residency ---------------------------------------------------------------------


def test_the_data_map_region_overrules_the_callers_claim(decisions: DecisionService) -> None:
    claimed = payment(system="marketing_eu", region="ap-south-1", residency="IN")
    decision = decisions.decide(claimed)
    assert decision.allow is False
    assert any("DPDP Act s.16" in r and "eu-west-1" in r for r in decision.reasons)
    assert any(
        'data map overrides the caller: resource.region of system "marketing_eu"' in r
        for r in decision.reasons
    ), decision.reasons
    at_home = decisions.decide(payment(system="core_banking", region="eu-west-1"))
    assert at_home.allow, at_home.reasons
    assert any("resource.region" in r and "ap-south-1" in r for r in at_home.reasons)


def test_personal_data_of_a_mapped_system_has_the_configured_residency(
    decisions: DecisionService,
) -> None:
    silent = decisions.decide(payment(system="marketing_eu"))  # no residency, no region
    assert silent.allow is False
    assert any("DPDP Act s.16" in r for r in silent.reasons)
    disowned = decisions.decide(payment(system="marketing_eu", residency="US"))
    assert disowned.allow is False
    assert any('resource.residency of system "marketing_eu" is "IN"' in r for r in disowned.reasons)
    # levels 1-2 are not personal data: no residency is imposed, the record's region stands
    internal = decisions.decide(payment(system="marketing_eu", classification=2))
    assert internal.allow, internal.reasons


def test_an_unmapped_system_is_refused_for_personal_data_only(decisions: DecisionService) -> None:
    unknown = decisions.decide(payment(system="shadow_copy", region="ap-south-1", residency="IN"))
    assert unknown.allow is False
    assert any("names no system of the data map" in r for r in unknown.reasons)
    assert not any("shadow_copy" in r for r in unknown.reasons)
    unlabelled = req(PAYMENTS, "read", {"type": "payment", "system": "shadow_copy"})
    assert decisions.decide(unlabelled).allow is False
    internal = decisions.decide(payment(system="shadow_copy", classification=2))
    assert internal.allow, internal.reasons  # the caller's values are used for levels 1-2
    odd = decisions.decide(payment(system="x' or 1=1", classification=2))
    assert any("must name a data-map system" in r for r in odd.reasons)


def test_without_a_named_system_the_callers_values_stand(
    decisions: DecisionService, datamap: DataMap
) -> None:
    datamap.down = True  # never asked
    assert decisions.decide(payment(region="ap-south-1", residency="IN")).allow
    denied = decisions.decide(payment(region="us-east-1", residency="IN"))
    assert any("DPDP Act s.16" in r for r in denied.reasons)


def test_a_data_map_that_cannot_be_read_fails_closed(
    decisions: DecisionService, datamap: DataMap
) -> None:
    datamap.down = True
    decision = decisions.decide(payment(system="core_banking"))
    assert decision.failed is True
    assert decision.reasons == [POLICY_EVALUATION_FAILED, SYSTEM_RECORDS_UNAVAILABLE]


def test_the_logged_input_is_what_the_policy_saw(
    decisions: DecisionService, audit_log: InMemoryAuditLog, decision_logger: DecisionLogger
) -> None:
    decisions.decide(payment(system="marketing_eu", region="ap-south-1"))
    (logged,) = logged_inputs(audit_log, decision_logger)
    assert logged["resource"]["region"] == "eu-west-1"
    assert logged["resource"]["residency"] == "IN"


def test_the_data_api_sees_the_records(decisions: DecisionService) -> None:
    result = decisions.query(
        "data.finsolve.authz.decision", payment(system="marketing_eu", region="ap-south-1")
    )
    assert result.evaluation.value["allow"] is False


# -- the chain --------------------------------------------------------------------------


class Failing:
    def check(self, request: Any) -> FactsView:
        return FactsView(request, failure="down")

    def reads(self, request: Any) -> bool:
        return "read" in request


class Noting:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def check(self, request: Any) -> FactsView:
        self.seen.append(request)
        return FactsView({**request, "seen": True}, notes=("noted",), refusals=("refused",))

    def reads(self, request: Any) -> bool:
        return False


def test_the_chain_feeds_each_check_the_previous_ones_request_and_stops_at_a_failure() -> None:
    first, second = Noting(), Noting()
    view = Facts([first, second]).apply({"a": 1})
    assert second.seen == [{"a": 1, "seen": True}]
    assert view.notes == ("noted", "noted")
    assert view.refusals == ("refused", "refused")
    assert not view.failed
    after = Noting()
    stopped = Facts([first, Failing(), after]).apply({"a": 1})
    assert stopped.failure == "down"
    assert stopped.request == {"a": 1, "seen": True}  # as far as it was checked
    assert after.seen == []
    assert not Facts()


def test_without_a_configured_residency_only_the_region_is_the_records(
    decision_logger: DecisionLogger, datamap: DataMap
) -> None:
    decisions = DecisionService(
        StaticEngineSource(ENGINE),
        decision_logger,
        timeout_seconds=5,
        facts=[ResidencyFacts(datamap, None)],
    )
    assert decisions.decide(payment(system="marketing_eu")).allow  # no residency: no rule 13
    claimed = decisions.decide(payment(system="marketing_eu", region="ap-south-1", residency="IN"))
    assert claimed.allow is False
    assert any("eu-west-1" in r for r in claimed.reasons)


def test_the_chain_reads_a_store_when_any_check_would() -> None:
    assert Facts([Noting(), Failing()]).reads({"read": 1})
    assert not Facts([Noting(), Failing()]).reads({"a": 1})
    assert not Facts().reads({"read": 1})


def test_a_dsr_citation_is_always_read_from_the_register(register: Register) -> None:
    facts = DsrFacts(register)
    assert facts.reads({"context": {"dsr_id": OPEN}, "resource": {"owner_id": "c-1"}})
    assert facts.reads({"context": {"purpose": "dsr"}})
    assert not facts.reads({"context": {"purpose": "payments"}, "resource": {"owner_id": "c"}})


def test_residency_reads_only_a_named_system_when_the_data_map_is_not_in_memory() -> None:
    datamap = DataMap()
    facts = ResidencyFacts(datamap, "IN")
    named = {"resource": {"system": "core_banking"}}
    assert not facts.reads(named)
    datamap.down = True  # not in memory
    assert facts.reads(named)
    assert not facts.reads({"resource": {"type": "account"}})
