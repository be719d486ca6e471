"""vault collector against the real OpenBao dev server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import hvac
import pytest

from controls.checks import REGISTRY
from controls.collectors.vault import VaultCollector
from tests.controls.servers import start_openbao_with_audit
from tests.services import Server

pytestmark = pytest.mark.openbao


@pytest.fixture
def bao(openbao: Server) -> hvac.Client:
    return hvac.Client(url=openbao.url, token=openbao.env["token"])


@pytest.fixture
def transit(bao: hvac.Client) -> str:
    mount = f"transit-ctl-{uuid.uuid4().hex[:8]}"
    bao.sys.enable_secrets_engine("transit", path=mount)
    bao.secrets.transit.create_key(name="pii", mount_point=mount)
    bao.secrets.transit.rotate_key(name="pii", mount_point=mount)
    bao.secrets.transit.create_key(name="scratch", mount_point=mount)
    bao.secrets.transit.update_key_configuration(
        name="scratch", deletion_allowed=True, mount_point=mount
    )
    return mount


def _table(collector: VaultCollector) -> dict[str, set[tuple[str, str, str]]]:
    findings = REGISTRY.run("vault", collector.collect().snapshot)
    table: dict[str, set[tuple[str, str, str]]] = {}
    for f in findings:
        table.setdefault(f.check_id, set()).add((f.resource, f.status.value, f.reason))
    return table


def test_transit_keys_are_judged(bao: hvac.Client, transit: str) -> None:
    table = _table(VaultCollector(bao, transit_mount=transit))
    assert table["vault.transit_deletion_disallowed"] == {
        (f"vault:{transit}/keys/pii", "pass", "deletion_allowed is false"),
        (f"vault:{transit}/keys/scratch", "fail", "deletion_allowed is true"),
    }
    assert table["vault.transit_rotation"] == {
        (f"vault:{transit}/keys/pii", "pass", "version 2 is 0 d old"),
        (f"vault:{transit}/keys/scratch", "pass", "version 1 is 0 d old"),
    }


def test_keys_older_than_the_cryptoperiod_fail(bao: hvac.Client, transit: str) -> None:
    later = datetime.now(UTC) + timedelta(days=400, hours=1)
    table = _table(
        VaultCollector(bao, transit_mount=transit, cryptoperiod_days=365, clock=lambda: later)
    )
    assert table["vault.transit_rotation"] == {
        (f"vault:{transit}/keys/pii", "fail", "version 2 is 400 d old > 365 d"),
        (f"vault:{transit}/keys/scratch", "fail", "version 1 is 400 d old > 365 d"),
    }


def test_no_audit_device_fails(bao: hvac.Client, transit: str) -> None:
    table = _table(VaultCollector(bao, transit_mount=transit))
    assert table["vault.audit_device"] == {("vault:sys/audit", "fail", "no audit device enabled")}


def test_a_declared_audit_device_passes() -> None:
    server = start_openbao_with_audit()
    try:
        client = hvac.Client(url=server.url, token=server.env["token"])
        table = _table(VaultCollector(client, transit_mount="transit"))
        assert table["vault.audit_device"] == {
            ("vault:sys/audit", "pass", "audit devices enabled: ctl-audit/")
        }
    finally:
        server.stop()


def test_an_empty_mount_has_nothing_to_judge(bao: hvac.Client) -> None:
    mount = f"transit-empty-{uuid.uuid4().hex[:8]}"
    bao.sys.enable_secrets_engine("transit", path=mount)
    table = _table(VaultCollector(bao, transit_mount=mount))
    assert {s for _, s, _ in table["vault.transit_rotation"]} == {"not_applicable"}
