"""Verification codes (hashed, 15 minutes, 5 attempts), extensions, load-time checks against
the store, and the vault's DSR-bound decrypts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import Actor, InMemoryAuditLog
from privacy import (
    DataMapError,
    DsrService,
    DsrState,
    IllegalTransitionError,
    VerificationError,
)
from privacy.demo_store import customer_email
from privacy.repository import CODE
from tests.privacy.conftest import Vault, datamap_text, pan_context
from vault import Accessor, DsrBoundAuthorizer, FieldContext, FieldDecision

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(service: DsrService) -> Clock:
    ticking = Clock()
    service.clock = ticking
    return ticking


def _code(tmp_path: Path, dsr_id: str) -> str:
    for path in sorted((tmp_path / "outbox").glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes())
        if dsr_id in str(message["Subject"]):
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(r"code is (\d{6})", body.decode())
            assert found is not None
            return found.group(1)
    raise AssertionError("no code")


def test_codes_are_hashed_expire_and_run_out(
    service: DsrService, tp_engine: Engine, tmp_path: Path, clock: Clock
) -> None:
    request = service.create("access", {"email": customer_email(1)}, actor=DPO)
    code = _code(tmp_path, request.id)
    with tp_engine.connect() as connection:
        stored = connection.execute(text("SELECT code_hash FROM privacy_verification")).scalar()
    assert stored is not None
    assert code not in stored
    assert len(stored) == 64
    clock.now += timedelta(minutes=15)
    with pytest.raises(VerificationError, match="expired"):
        service.verify_code(request.id, code)
    service.send_code(request.id)
    fresh = _code(tmp_path, request.id)
    wrong = "0" * 6 if fresh != "0" * 6 else "1" * 6
    for _ in range(5):
        with pytest.raises(VerificationError):
            service.verify_code(request.id, wrong)
    with pytest.raises(VerificationError, match="DPO"):
        service.verify_code(request.id, fresh)  # the right code, too late
    assert service.get(request.id).state is DsrState.RECEIVED
    attested = service.attest(request.id, "identity checked on a video call", DPO)
    assert attested.verified_method == "dpo_attested"
    with tp_engine.connect() as connection:
        assert connection.execute(CODE.select()).all() == []


def test_extension_only_once_and_inside_the_first_month(
    service: DsrService, tmp_path: Path, clock: Clock
) -> None:
    gdpr = service.create("access", {"email": customer_email(2)}, regime="gdpr", actor=DPO)
    assert gdpr.due_at == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    extended = service.extend(gdpr.id, "We need more time: five systems hold your data.", DPO)
    assert extended.state is DsrState.EXTENDED
    assert extended.due_at == datetime(2026, 4, 30, 9, 0, tzinfo=UTC)
    notices = [message_from_bytes(p.read_bytes()) for p in (tmp_path / "outbox").glob("*.eml")]
    assert any("more time" in str(m["Subject"]) for m in notices)
    late = service.create("erasure", {"email": customer_email(3)}, regime="gdpr", actor=DPO)
    clock.now += timedelta(days=28, hours=1)  # 28 February 10:00, past the month
    with pytest.raises(IllegalTransitionError, match="first month"):
        service.extend(late.id, "We need more time: five systems hold your data.", DPO)
    dpdp = service.create("access", {"email": customer_email(4)}, regime="dpdp", actor=DPO)
    assert dpdp.due_at == clock.now + timedelta(days=30)
    with pytest.raises(IllegalTransitionError, match="GDPR"):
        service.extend(dpdp.id, "We need more time: five systems hold your data.", DPO)


def test_a_map_naming_an_unknown_table_or_column_is_refused(
    service: DsrService, store: Engine, store_url: str
) -> None:
    text_map = datamap_text(store_url)
    with pytest.raises(DataMapError) as caught:
        service.load_datamap(text_map.replace("column: city", "column: town"), DPO)
    assert caught.value.problems == ["system core_banking: table customers has no column 'town'"]
    with pytest.raises(DataMapError, match="unknown table 'marketing'"):
        service.load_datamap(
            text_map.replace("- name: marketing_preferences", "- name: marketing"), DPO
        )
    assert service.repository.latest_datamap() is None


class Registry:
    def __init__(self, answers: dict[tuple[str, str], str | None], fail: bool = False) -> None:
        self.answers = answers
        self.fail = fail

    def decrypt_binding(self, dsr_id: str, owner_id: str) -> str | None:
        if self.fail:
            raise RuntimeError("database down")
        return self.answers.get((dsr_id, owner_id), "unknown data subject request")


class Counting:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def authorize_decrypt(
        self, accessor: Accessor, contexts: Sequence[FieldContext]
    ) -> Sequence[FieldDecision]:
        self.asked += [c.owner_id for c in contexts]
        return [FieldDecision(True)] * len(contexts)


def test_bound_authorizer_denies_before_the_decision_point() -> None:
    inner = Counting()
    bound = DsrBoundAuthorizer(inner, Registry({("d1", "C1"): None}))
    contexts = [pan_context("C1"), pan_context("C2"), pan_context("C1")]
    decisions = bound.authorize_decrypt(Accessor(purpose="dsr", context={"dsr_id": "d1"}), contexts)
    assert [d.allow for d in decisions] == [True, False, True]
    assert decisions[1].reasons == ("unknown data subject request",)
    assert inner.asked == ["C1", "C1"]
    other = bound.authorize_decrypt(Accessor(purpose="support", context={}), contexts)
    assert all(d.allow for d in other)  # other purposes go to the decision point unchanged
    failing = DsrBoundAuthorizer(inner, Registry({}, fail=True))
    denied = failing.authorize_decrypt(Accessor(purpose="dsr", context={"dsr_id": "d1"}), contexts)
    assert not any(d.allow for d in denied)


def test_service_binding_needs_a_live_request_about_that_owner(
    service: DsrService, store: Engine, store_url: str, vault: Vault, audit_log: InMemoryAuditLog
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    request = service.create("access", {"email": customer_email(8)}, send_code=False, actor=DPO)
    assert "not verified" in str(service.decrypt_binding(request.id, "C0000008"))
    service.attest(request.id, "checked on a call", DPO)
    service.repository.transition(
        request.id, DsrState.VERIFIED, {"state": DsrState.IN_PROGRESS, "subject_ids": ["C0000008"]},
        datetime.now(UTC),
    )  # fmt: skip
    assert service.decrypt_binding(request.id, "C0000008") is None
    assert "not about this data principal" in str(service.decrypt_binding(request.id, "C0000009"))
    assert "unknown" in str(service.decrypt_binding("nope", "C0000008"))


def test_a_step_the_audit_log_cannot_record_changes_nothing(
    service: DsrService, audit_log: InMemoryAuditLog
) -> None:
    from audit import AuditUnavailableError

    request = service.create("access", {"email": customer_email(30)}, send_code=False, actor=DPO)
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        service.attest(request.id, "checked on a call", DPO)
    with pytest.raises(AuditUnavailableError):
        service.create("access", {"email": customer_email(31)}, send_code=False, actor=DPO)
    audit_log.fail = False
    assert service.get(request.id).state is DsrState.RECEIVED
    assert [r.id for r in service.list()] == [request.id]


def test_identifiers_are_sealed_and_bound_to_their_request(
    service: DsrService, tp_engine: Engine
) -> None:
    from sqlalchemy import select, update

    from privacy.repository import DSR

    first = service.create("access", {"email": customer_email(40)}, send_code=False, actor=DPO)
    second = service.create("access", {"email": customer_email(41)}, send_code=False, actor=DPO)
    with tp_engine.begin() as connection:
        rows: dict[str, str] = dict(
            connection.execute(select(DSR.c.id, DSR.c.identifier_sealed)).all()
        )
        assert customer_email(40) not in rows[first.id]
        assert not any("@" in sealed for sealed in rows.values())
        # a sealed identifier copied into another request's row does not open there
        connection.execute(
            update(DSR).where(DSR.c.id == second.id).values(identifier_sealed=rows[first.id])
        )
    assert service._identifier(first.id) == customer_email(40)
    from vault import VaultError

    with pytest.raises(VaultError):
        service._identifier(second.id)
