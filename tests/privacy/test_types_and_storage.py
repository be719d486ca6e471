"""Portability, objection and restriction end to end; trustplane's own tables on SQLite and
on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from audit import Actor, InMemoryAuditLog
from privacy import (
    DirectoryPackageStore,
    DsrRepository,
    DsrService,
    DsrState,
    DsrType,
    FileOutbox,
    KindConnectors,
    PrivacyConfig,
    VaultSealer,
)
from privacy.demo_store import customer_email
from tests.privacy.conftest import Vault, VaultShredder, datamap_text

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))


def _attested(service: DsrService, kind: str, index: int) -> str:
    request = service.create(kind, {"email": customer_email(index)}, send_code=False, actor=DPO)
    service.attest(request.id, "checked against KYC", DPO)
    return request.id


def test_portability_objection_and_restriction(
    service: DsrService, store: Engine, store_url: str
) -> None:
    service.load_datamap(datamap_text(store_url), DPO)
    portable = service.execute(_attested(service, "portability", 11), DPO).request
    assert portable.state is DsrState.COMPLETED
    assert portable.package_sha256 is not None
    for kind in ("objection", "restriction"):
        dsr_id = _attested(service, kind, 12)
        opened = service.execute(dsr_id, DPO).request
        assert opened.state is DsrState.IN_PROGRESS
        tasks = [s for s in opened.steps if s.action == "task"]
        assert sorted(s.system for s in tasks) == ["core_banking", "support_desk"]
        for task in tasks[:-1]:
            still = service.close_task(dsr_id, task.id, "processing stopped", [], DPO)
            assert still.state is DsrState.IN_PROGRESS
        done = service.close_task(dsr_id, tasks[-1].id, "processing stopped", [], DPO)
        assert done.state is DsrState.COMPLETED


def test_requests_on_each_trustplane_backend(
    engine: Engine, store: Engine, store_url: str, tmp_path: Path, vault: Vault
) -> None:
    """``engine``: trustplane's migrated database on SQLite and on PostgreSQL."""
    service = DsrService(
        DsrRepository(engine),
        InMemoryAuditLog(),
        FileOutbox(tmp_path / "outbox"),
        KindConnectors(),
        DirectoryPackageStore(tmp_path / "packages"),
        PrivacyConfig(hash_key=b"h" * 32, link_key=b"l" * 32),
        sealer=VaultSealer(vault.cipher),
        decrypter=vault.cipher,
        pseudonymize=vault.pseudonymizer.token,
        shredder=VaultShredder(vault),
    )
    service.load_datamap(datamap_text(store_url), DPO)
    ids = [_attested(service, "access", index) for index in range(20, 26)]
    done = service.execute(ids[0], DPO).request
    assert done.state is DsrState.COMPLETED
    assert done.closed_at is not None
    assert done.closed_at.tzinfo is not None
    page = service.list(limit=4)
    rest = service.list(after=(page[-1].received_at, page[-1].id), limit=4)
    assert [r.id for r in page + rest] == ids  # received order, id as tie-break
    assert [r.id for r in service.list(state=DsrState.COMPLETED)] == [ids[0]]
    assert len(service.list(dsr_type=DsrType.ACCESS)) == 6
    later = datetime.now(UTC) + timedelta(days=31)
    assert len(service.list(overdue_at=later)) == 5  # the completed one is not overdue
    assert service.repository.sla_rows(datetime.now(UTC) - timedelta(days=1))
