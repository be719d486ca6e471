"""The consent ledger (on SQLite and PostgreSQL: the shared ``engine`` fixture) and the
decision rule on their own: caching across a change, two replicas on one database, races, a
ledger that cannot answer, the notices and the demo seed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, InMemoryAuditLog
from policies import (
    LEDGER_UNAVAILABLE,
    POLICY_EVALUATION_FAILED,
    DecisionService,
    RegorusEngine,
    StaticEngineSource,
    apply_ledger,
    load_bundle_dir,
)
from privacy import ConsentEvent, ConsentLedger, NoticeRegistry, Purpose
from trustplane.demo.consents import seed_consent_demo

PURPOSES = [Purpose("analytics", "a"), Purpose("marketing", "m")]


def ledger_on(engine: Engine, **kwargs: Any) -> ConsentLedger:
    return ConsentLedger(engine, InMemoryAuditLog(), PURPOSES, NoticeRegistry.load(), **kwargs)


def give(ledger: ConsentLedger, principal: str, purpose: str = "analytics") -> ConsentEvent:
    return ledger.grant(
        principal,
        purpose,
        channel="app",
        notice_id="finsolve-privacy",
        notice_version=None,
        actor=SYSTEM_ACTOR,
    )


def take_back(ledger: ConsentLedger, principal: str, purpose: str = "analytics") -> None:
    ledger.withdraw(principal, purpose, channel="app", actor=SYSTEM_ACTOR)


def request(owner: str, consents: list[str] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"purpose": "analytics"}
    if consents is not None:
        context["consents"] = consents
    return {
        "subject": {"id": "svc", "type": "service", "roles": ["svc:analytics"]},
        "action": {"name": "read"},
        "resource": {
            "type": "customer_profile",
            "id": owner,
            "owner_id": owner,
            "classification": 3,
            "fields": ["email"],
        },
        "context": context,
    }


def test_the_cache_never_outlives_a_change_through_the_ledger(engine: Engine) -> None:
    ledger = ledger_on(engine, refresh_seconds=3600)
    assert ledger.consents_of("c-1") == frozenset()
    give(ledger, "c-1")
    assert ledger.consents_of("c-1") == {"analytics"}
    assert ledger.consents_of("c-1") == {"analytics"}  # served from the cache
    take_back(ledger, "c-1")
    assert ledger.consents_of("c-1") == frozenset()


def test_another_replica_sees_a_withdrawal_after_its_refresh(engine: Engine) -> None:
    writer, strict, lagging = (
        ledger_on(engine),
        ledger_on(engine, refresh_seconds=0),
        ledger_on(engine, refresh_seconds=3600),
    )
    give(writer, "c-2")
    assert strict.consents_of("c-2") == {"analytics"}
    assert lagging.consents_of("c-2") == {"analytics"}
    take_back(writer, "c-2")
    assert strict.consents_of("c-2") == frozenset()  # re-reads the head on every lookup
    assert lagging.consents_of("c-2") == {"analytics"}  # within its interval (ADR 0602)


def test_a_read_racing_a_change_does_not_cache_the_old_answer(engine: Engine) -> None:
    ledger = ledger_on(engine, refresh_seconds=3600)
    give(ledger, "c-3")
    original = ledger.state
    entered, release = threading.Event(), threading.Event()

    def slow_state(principal: str) -> Any:
        found = original(principal)  # read before the withdrawal commits...
        entered.set()
        release.wait(5)
        return found

    ledger.state = slow_state  # type: ignore[method-assign,assignment]
    reader = threading.Thread(target=ledger.consents_of, args=("c-3",))
    reader.start()
    assert entered.wait(5)
    ledger.state = original  # type: ignore[method-assign]
    take_back(ledger, "c-3")  # ...and answered after it
    release.set()
    reader.join(5)
    assert ledger.consents_of("c-3") == frozenset()


def test_an_audit_failure_changes_nothing(engine: Engine) -> None:
    class DownLog(InMemoryAuditLog):
        def record(self, event: Any) -> Any:
            raise RuntimeError("audit log down")

    ledger = ConsentLedger(engine, DownLog(), PURPOSES, NoticeRegistry.load())
    with pytest.raises(RuntimeError):
        give(ledger, "c-4")
    assert ledger.state("c-4").history == []


class Broken:
    def purposes(self) -> frozenset[str]:
        return frozenset({"analytics"})

    def consents_of(self, principal_id: str) -> frozenset[str]:
        raise ConnectionError("database down")

    def cached(self, principal_id: str) -> bool:
        return False


def test_a_ledger_that_cannot_answer_fails_the_decision_closed() -> None:
    service = DecisionService(
        StaticEngineSource(RegorusEngine(load_bundle_dir())), None, consents=Broken()
    )
    decision = service.decide(request("c-5", ["analytics"]))
    assert decision.allow is False
    assert decision.failed is True
    assert decision.reasons == [POLICY_EVALUATION_FAILED, LEDGER_UNAVAILABLE]
    (item,) = service.decide_many([request("c-5", ["analytics"])])
    assert item.decision is not None
    assert item.decision.allow is False


def test_requests_outside_the_ledgers_purposes_are_untouched() -> None:
    payments = request("c-6", [])
    payments["context"]["purpose"] = "payment_processing"
    assert apply_ledger(payments, Broken()).request is payments
    no_owner = request("c-6")
    del no_owner["resource"]["owner_id"]
    assert apply_ledger(no_owner, Broken()).request is no_owner


def test_a_batch_reads_the_ledger_per_item(engine: Engine) -> None:
    ledger = ledger_on(engine)
    give(ledger, "c-7")
    service = DecisionService(
        StaticEngineSource(RegorusEngine(load_bundle_dir())), None, consents=ledger
    )
    items = service.decide_many([request("c-7"), request("c-8", ["analytics"])])
    assert [item.decision.allow for item in items if item.decision] == [True, False]
    assert any("overrides" in reason for reason in items[1].decision.reasons)  # type: ignore[union-attr]


def test_hindi_notice_keeps_its_characters_and_every_purpose() -> None:
    text = NoticeRegistry.load().render("finsolve-privacy", "hi")
    assert "सहमति" in text
    assert "वापस" in text
    for purpose in ("analytics", "marketing", "credit_bureau_sharing"):
        assert purpose in text
    assert text.encode("utf-8").decode("utf-8") == text


def test_demo_seed_records_consents_some_withdrawn_once(engine: Engine) -> None:
    ledger = ledger_on(engine)
    first = seed_consent_demo(ledger)
    assert "grants" in first[0]
    assert ledger.consents_of("C0000003") == {"analytics"}  # marketing withdrawn
    assert ledger.consents_of("C0000005") == {"marketing"}  # analytics withdrawn
    assert ledger.consents_of("C0000001") == {"analytics", "marketing"}
    size = len(ledger.state("C0000003").history)
    assert seed_consent_demo(ledger) == ["consents: demo consents already recorded"]
    assert len(ledger.state("C0000003").history) == size


def test_demo_seed_skips_a_ledger_without_the_demo_purposes(engine: Engine) -> None:
    ledger = ConsentLedger(engine, InMemoryAuditLog(), [], NoticeRegistry.load())
    assert "none seeded" in seed_consent_demo(ledger)[0]
    assert ledger.state("C0000001").history == []
