"""One execution of a request: its steps reach the audit log as one durable group commit and
the request's rows change in one transaction (ADR 0605), with the guarantees of ADR 0601 kept:
nothing changes when the log cannot record, a decrypt sees the request stored in progress, a
request changed meanwhile is not overwritten."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from audit import Actor, AuditEventIn, AuditUnavailableError, InMemoryAuditLog, RecordedEvent
from privacy import (
    Connector,
    DsrService,
    DsrState,
    IllegalTransitionError,
    KindConnectors,
    Principal,
    SystemSpec,
)
from privacy.connectors.base import ErasureReport, Export, Pseudonymize
from privacy.demo_store import customer_email
from tests.privacy.conftest import datamap_text, plain_map
from vault import Accessor, DecryptOutcome, FieldCipher, FieldContext

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))
OTHER_DPO = Actor(id="u-dpo-2", kind="user", roles=("dpo",))


class CountingLog(InMemoryAuditLog):
    """The real in-memory recorder, remembering the actions of each ``record_many`` call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def record_many(self, events: Sequence[AuditEventIn]) -> list[RecordedEvent]:
        self.calls.append([str(e.details.get("action", e.type.value)) for e in events])
        return super().record_many(events)


@pytest.fixture
def audit_log() -> CountingLog:
    return CountingLog()


@pytest.fixture
def commits(tp_engine: Engine) -> Iterator[list[int]]:
    """Each commit of trustplane's own database, as it happens."""
    seen: list[int] = []

    def count(_connection: Any) -> None:
        seen.append(1)

    event.listen(tp_engine, "commit", count)
    yield seen
    event.remove(tp_engine, "commit", count)


def _verified(service: DsrService, kind: str, index: int) -> str:
    request = service.create(kind, {"email": customer_email(index)}, send_code=False, actor=DPO)
    service.attest(request.id, "checked on a call", DPO)
    return request.id


def test_an_access_is_one_group_commit_and_one_transaction(
    service: DsrService, store: Engine, store_url: str, audit_log: CountingLog, commits: list[int]
) -> None:
    service.load_datamap(plain_map(store_url), DPO)
    dsr_id = _verified(service, "access", 3)
    audit_log.calls.clear()
    commits.clear()
    result = service.execute(dsr_id, DPO)
    assert audit_log.calls == [["started", "export.done", "subjects_found", "package_built"]]
    assert len(commits) == 1
    stored = service.get(dsr_id)  # what execute answered is what was written
    answered = result.request
    assert answered.state is stored.state is DsrState.COMPLETED
    assert answered.subject_ids == stored.subject_ids == ["C0000003"]
    assert answered.package_sha256 == stored.package_sha256
    assert answered.audit_seqs == stored.audit_seqs
    assert answered.closed_at == stored.closed_at
    assert [(s.id, s.status, s.audit_seq) for s in answered.steps] == [
        (s.id, s.status, s.audit_seq) for s in stored.steps
    ]


def test_an_approved_erasure_is_one_group_commit_and_one_transaction(
    service: DsrService, store: Engine, store_url: str, audit_log: CountingLog, commits: list[int]
) -> None:
    service.load_datamap(plain_map(store_url), DPO)
    dsr_id = _verified(service, "erasure", 5)
    audit_log.calls.clear()
    assert service.execute(dsr_id, DPO).request.state is DsrState.AWAITING_APPROVAL
    assert audit_log.calls == [["started", "approval_requested"]]
    service.approve(dsr_id, DPO)
    audit_log.calls.clear()
    commits.clear()
    done = service.execute(dsr_id, DPO).request
    assert audit_log.calls == [["subjects_found", "erase.done", "certificate_issued"]]
    assert len(commits) == 1  # trustplane's own rows (the store's erasure is the connector's)
    assert done.state is service.get(dsr_id).state is DsrState.COMPLETED
    certificate = service.certificate(dsr_id)
    assert {f["action"] for f in certificate["fields"]} >= {"nullify", "pseudonymize", "delete"}
    assert certificate["audit_seqs"] == service.get(dsr_id).audit_seqs


class BindingChecked:
    """The vault's decrypt, asking the service first whether the request allows it (as the
    vault's ``DsrBoundAuthorizer`` does in production)."""

    def __init__(self, service: DsrService, cipher: FieldCipher) -> None:
        self.service = service
        self.cipher = cipher
        self.refusals: list[str] = []

    def decrypt_batch(
        self, items: Sequence[tuple[str, FieldContext]], accessor: Accessor
    ) -> list[DecryptOutcome]:
        for _, context in items:
            refused = self.service.decrypt_binding(
                str(accessor.context["dsr_id"]), context.owner_id
            )
            if refused is not None:
                self.refusals.append(refused)
        return self.cipher.decrypt_batch(items, accessor)


def test_decrypts_see_the_request_stored_in_progress_with_its_subjects(
    service: DsrService,
    store: Engine,
    store_url: str,
    audit_log: CountingLog,
    vault: Any,
) -> None:
    checked = BindingChecked(service, vault.cipher)
    service.decrypter = checked
    service.load_datamap(datamap_text(store_url), DPO)
    dsr_id = _verified(service, "access", 4)
    audit_log.calls.clear()
    service.execute(dsr_id, DPO)
    assert checked.refusals == []
    steps = [c for c in audit_log.calls if "field_decrypt" not in c]
    assert steps == [["started", "export.done", "subjects_found"], ["package_built"]]
    first_decrypt = next(i for i, c in enumerate(audit_log.calls) if "field_decrypt" in c)
    assert audit_log.calls.index(["package_built"]) > first_decrypt > 0


def test_an_execution_the_log_cannot_record_changes_nothing(
    service: DsrService, store: Engine, store_url: str, audit_log: CountingLog, tmp_path: Path
) -> None:
    service.load_datamap(plain_map(store_url), DPO)
    dsr_id = _verified(service, "access", 6)
    before = service.get(dsr_id)
    audit_log.fail = True
    with pytest.raises(AuditUnavailableError):
        service.execute(dsr_id, DPO)
    audit_log.fail = False
    after = service.get(dsr_id)
    assert after.state is DsrState.VERIFIED
    assert after.steps == []
    assert after.package_sha256 is None
    assert after.subject_ids == []
    assert after.audit_seqs == before.audit_seqs
    with pytest.raises(Exception, match="no access package"):
        service.package(dsr_id, DPO)
    assert service.execute(dsr_id, DPO).request.state is DsrState.COMPLETED  # retried


class CancelledMeanwhile:
    """A connector factory whose exports let another DPO cancel the request first."""

    def __init__(self, service: DsrService, inner: KindConnectors, dsr_id: str) -> None:
        self.service = service
        self.inner = inner
        self.dsr_id = dsr_id

    def __call__(self, system: SystemSpec) -> Connector:
        return _Cancelling(self, self.inner(system))

    def close(self) -> None:
        self.inner.close()


class _Cancelling:
    def __init__(self, factory: CancelledMeanwhile, inner: Connector) -> None:
        self.factory, self.inner = factory, inner
        self.name, self.kind = inner.name, inner.kind

    def export(self, principal: Principal) -> Export:
        self.factory.service.cancel(self.factory.dsr_id, "withdrawn by phone", OTHER_DPO)
        return self.inner.export(principal)

    def correct(self, principal: Principal, changes: Mapping[str, Mapping[str, Any]]) -> int:
        return self.inner.correct(principal, changes)

    def erase(self, principal: Principal, pseudonymize: Pseudonymize) -> ErasureReport:
        return self.inner.erase(principal, pseudonymize)

    def close(self) -> None:
        self.inner.close()


def test_a_request_cancelled_while_it_runs_is_not_completed(
    service: DsrService, store: Engine, store_url: str
) -> None:
    service.load_datamap(plain_map(store_url), DPO)
    dsr_id = _verified(service, "access", 7)
    inner = service.connectors
    assert isinstance(inner, KindConnectors)
    service.connectors = CancelledMeanwhile(service, inner, dsr_id)
    with pytest.raises(IllegalTransitionError, match="changed meanwhile"):
        service.execute(dsr_id, DPO)
    stored = service.get(dsr_id)
    assert stored.state is DsrState.CANCELLED
    assert stored.package_sha256 is None
    assert stored.steps == []


class BothAtOnce:
    """A connector factory whose exports wait for each other: two executions of one
    request (a double click) get past their checks together."""

    def __init__(self, inner: KindConnectors) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(2, timeout=30)

    def __call__(self, system: SystemSpec) -> Connector:
        return _Waiting(self, self.inner(system))

    def close(self) -> None:
        self.inner.close()


class _Waiting(_Cancelling):
    def __init__(self, factory: BothAtOnce, inner: Connector) -> None:
        self.both, self.inner = factory, inner
        self.name, self.kind = inner.name, inner.kind

    def export(self, principal: Principal) -> Export:
        self.both.barrier.wait()
        return self.inner.export(principal)


def test_two_executions_of_one_request_at_once_leave_one_whole_package(
    service: DsrService, store: Engine, store_url: str
) -> None:
    service.load_datamap(plain_map(store_url), DPO)
    dsr_id = _verified(service, "access", 8)
    inner = service.connectors
    assert isinstance(inner, KindConnectors)
    service.connectors = BothAtOnce(inner)
    outcomes: list[object] = []

    def run() -> None:
        try:
            outcomes.append(service.execute(dsr_id, DPO).request.state)
        except IllegalTransitionError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert DsrState.COMPLETED in outcomes
    assert any(isinstance(o, IllegalTransitionError) for o in outcomes)
    content = service.package(dsr_id, DPO)  # the completed execution's own package
    assert hashlib.sha256(content).hexdigest() == service.get(dsr_id).package_sha256
