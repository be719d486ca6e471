"""Each request type end to end over the FinSolve store on SQLite and on real PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import zipfile
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from audit import Actor, InMemoryAuditLog
from privacy import (
    DsrService,
    DsrState,
    DuplicateRequestError,
    IllegalTransitionError,
    InvalidDsrError,
    VerificationError,
)
from privacy.demo_store import CUSTOMERS, PREFERENCES, TRANSACTIONS, customer_email
from tests.privacy.conftest import Vault, datamap_text, pan_context
from vault import KeyDestroyedError, SubjectShreddedError, VaultError

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))


def _code_from_outbox(tmp_path: Path) -> str:
    newest = sorted((tmp_path / "outbox").glob("*.eml"))[-1]
    message = message_from_bytes(newest.read_bytes())
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"code is (\d{6})", body.decode())
    assert found is not None
    return found.group(1)


def _verified(service: DsrService, tmp_path: Path, kind: str, index: int) -> str:
    request = service.create(kind, {"email": customer_email(index)}, regime="gdpr", actor=DPO)
    assert request.state is DsrState.RECEIVED
    service.verify_code(request.id, _code_from_outbox(tmp_path))
    return request.id


def test_access_package_decrypts_and_is_audited(
    service: DsrService, store: Engine, store_url: str, tmp_path: Path, audit_log: InMemoryAuditLog
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    dsr_id = _verified(service, tmp_path, "access", 3)
    result = service.execute(dsr_id, DPO)
    assert result.failed == []
    request = result.request
    assert request.state is DsrState.COMPLETED
    assert request.subject_ids == ["C0000003"]
    content = service.package(dsr_id, DPO)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert sorted(archive.namelist()) == ["data.json", "manifest.json", "report.html"]
    data = json.loads(archive.read("data.json"))
    customers = data["systems"]["core_banking"]["customers"]
    assert [c["email"] for c in customers] == [customer_email(3)]
    assert re.fullmatch(r"[A-Z]{5}[0-9]{4}[A-Z]", customers[0]["pan"])  # decrypted
    assert len(data["systems"]["core_banking"]["transactions"]) == 3
    manifest = json.loads(archive.read("manifest.json"))
    import hashlib

    assert manifest["files"]["data.json"] == hashlib.sha256(archive.read("data.json")).hexdigest()
    assert "government_id" in archive.read("report.html").decode()
    decrypts = [e for e in audit_log.events if e.type.value == "field_decrypt"]
    assert decrypts
    assert decrypts[-1].actor.id == "u-dpo"
    steps = [e.details["action"] for e in audit_log.events if e.type.value == "dsr_step"]
    for action in ("received", "code_sent", "verified", "started", "export.done", "package_built"):
        assert action in steps
    assert len(request.audit_seqs) >= 6


def test_erasure_needs_approval_keeps_retained_and_shreds(
    service: DsrService, store: Engine, store_url: str, tmp_path: Path, vault: Vault
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    with store.connect() as connection:
        pan_before = connection.execute(
            select(CUSTOMERS.c.pan).where(CUSTOMERS.c.id == "C0000005")
        ).scalar_one()
    dsr_id = _verified(service, tmp_path, "erasure", 5)
    planned = service.execute(dsr_id, DPO).request
    assert planned.state is DsrState.AWAITING_APPROVAL
    with pytest.raises(IllegalTransitionError):
        service.execute(dsr_id, DPO)
    service.approve(dsr_id, DPO)
    after = service.execute(dsr_id, DPO).request
    # the manual system (support desk) still has its task open
    assert after.state is DsrState.IN_PROGRESS
    task = next(s for s in after.steps if s.action == "task")
    assert task.status == "open"
    assert task.detail["assignee"] == "support-lead@finsolve.example"
    done = service.close_task(
        dsr_id, task.id, "deleted 2 tickets", ["ticket 881", "ticket 902"], DPO
    )
    assert done.state is DsrState.COMPLETED
    with store.connect() as connection:
        row = connection.execute(select(CUSTOMERS).where(CUSTOMERS.c.id == "C0000005")).one()
        kept = connection.execute(
            select(TRANSACTIONS).where(TRANSACTIONS.c.customer_id == "C0000005")
        ).all()
        prefs = connection.execute(
            select(PREFERENCES).where(PREFERENCES.c.customer_id == "C0000005")
        ).all()
        neighbour = connection.execute(select(CUSTOMERS).where(CUSTOMERS.c.id == "C0000006")).one()
    assert (row.full_name, row.phone, row.date_of_birth) == (None, None, None)
    assert row.email.startswith("psd_")  # pseudonymized
    assert row.pan == pan_before  # the ciphertext stays ...
    with pytest.raises((KeyDestroyedError, SubjectShreddedError, VaultError)):
        vault.cipher.decrypt(row.pan, pan_context("C0000005"))  # ... and is unreadable
    assert len(kept) == 3
    assert prefs == []
    assert neighbour.email == customer_email(6)
    assert neighbour.full_name is not None
    certificate = service.certificate(dsr_id)
    by_field = {(f["table"], f["field"]): f for f in certificate["fields"]}
    assert by_field[("transactions", "amount")]["action"] == "retain"
    assert "RBI KYC" in by_field[("transactions", "amount")]["reason"]
    assert by_field[("transactions", "amount")]["until"] == "relationship_end + 5y"
    assert by_field[("customers", "pan")]["action"] == "shred"
    assert by_field[("customers", "email")]["action"] == "pseudonymize"
    assert by_field[("customers", "full_name")]["action"] == "nullify"
    assert by_field[("marketing_preferences", "channel")]["action"] == "delete"
    assert certificate["shredded"]["keys_destroyed"] >= 1
    assert certificate["manual"][0]["deleted"] == ["ticket 881", "ticket 902"]
    assert certificate["audit_seqs"] == sorted(certificate["audit_seqs"])
    assert "RBI KYC" in service.certificate_html(dsr_id)


def test_correction_updates_only_that_principal(
    service: DsrService, store: Engine, store_url: str, tmp_path: Path
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    request = service.create(
        "correction",
        {"email": customer_email(7)},
        correction={"core_banking": {"customers": {"city": "Mysuru"}}},
        actor=DPO,
    )
    service.attest(request.id, "called back on the number on record", DPO)
    done = service.execute(request.id, DPO).request
    assert done.state is DsrState.COMPLETED
    with store.connect() as connection:
        cities = dict(connection.execute(select(CUSTOMERS.c.id, CUSTOMERS.c.city)).all())
    assert cities["C0000007"] == "Mysuru"
    assert list(cities.values()).count("Mysuru") == 1


def test_a_failing_system_leaves_the_step_failed_and_retryable(
    service: DsrService, store: Engine, store_url: str, tmp_path: Path
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    dsr_id = _verified(service, tmp_path, "access", 4)
    with store.begin() as connection:
        connection.execute(TRANSACTIONS.delete())
    TRANSACTIONS.drop(store)  # the system fails mid-request
    failed = service.execute(dsr_id, DPO)
    assert failed.failed == ["core_banking"]
    assert failed.request.state is DsrState.IN_PROGRESS
    step = next(s for s in failed.request.steps if s.action == "export")
    assert step.status == "failed"
    assert step.error
    assert failed.request.package_sha256 is None
    TRANSACTIONS.create(store)
    retried = service.execute(dsr_id, DPO).request
    assert retried.state is DsrState.COMPLETED
    assert [s.status for s in retried.steps if s.action == "export"] == ["done"]


def test_bad_input_changes_nothing(
    service: DsrService, store: Engine, store_url: str, tmp_path: Path
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    with pytest.raises(InvalidDsrError):
        service.create("access", {"ssn": "123"}, actor=DPO)
    with pytest.raises(InvalidDsrError):
        service.create("access", {"email": "x' OR '1'='1"}, actor=DPO)
    with pytest.raises(InvalidDsrError):
        service.create("delete_everything", {"email": customer_email(1)}, actor=DPO)
    first = service.create("access", {"email": customer_email(1)}, actor=DPO)
    with pytest.raises(DuplicateRequestError):
        service.create("access", {"email": customer_email(1).upper()}, actor=DPO)
    assert [r.id for r in service.list()] == [first.id]
    with pytest.raises(VerificationError):
        service.verify_code(first.id, "000000" if _code_from_outbox(tmp_path) != "000000" else "1")
    with pytest.raises(IllegalTransitionError):
        service.approve(first.id, DPO)
    assert service.get(first.id).state is DsrState.RECEIVED


def test_identifiers_are_bound_never_spliced(store: Engine, store_url: str) -> None:
    from privacy import Principal, SqlConnector, parse_datamap

    system = parse_datamap(datamap_text(store_url)).datamap.systems[0]
    connector = SqlConnector(system, store)
    hostile = Principal("email", "x' OR '1'='1")
    assert connector.export(hostile).tables == {
        "customers": [], "transactions": [], "marketing_preferences": []
    }  # fmt: skip
    report = connector.erase(hostile, lambda value, field: "p")
    assert all(f.rows == 0 for f in report.fields)
    with store.connect() as connection:
        assert len(connection.execute(select(CUSTOMERS.c.id)).all()) == 40


def test_a_correction_without_details_gets_them_before_it_runs(
    service: DsrService, store: Engine, store_url: str
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    request = service.create("correction", {"email": customer_email(13)}, send_code=False)
    service.attest(request.id, "called back on the number on record", DPO)
    with pytest.raises(InvalidDsrError, match="no details"):
        service.execute(request.id, DPO)
    assert service.get(request.id).state is DsrState.IN_PROGRESS
    service.set_correction(request.id, {"core_banking": {"customers": {"city": "Pune"}}}, DPO)
    assert service.execute(request.id, DPO).request.state is DsrState.COMPLETED
    with pytest.raises(IllegalTransitionError):  # too late once it ran
        service.set_correction(request.id, {"core_banking": {"customers": {"city": "Goa"}}}, DPO)
    other = service.create("correction", {"email": customer_email(14)}, send_code=False)
    with pytest.raises(InvalidDsrError):
        service.set_correction(other.id, {}, DPO)
    service.set_correction(other.id, {"core_banking": {"customers": {"city": "Kochi"}}}, DPO)
    service.attest(other.id, "called back on the number on record", DPO)
    assert service.execute(other.id, DPO).request.state is DsrState.COMPLETED
    with store.connect() as connection:
        city = connection.execute(
            select(CUSTOMERS.c.city).where(CUSTOMERS.c.id == "C0000014")
        ).scalar_one()
    assert city == "Kochi"
