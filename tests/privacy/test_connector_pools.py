"""Closing the DSR service (and the container) releases every connector's connection pool:
PostgreSQL itself is asked how many sessions the store database still has."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from audit import Actor
from privacy import DsrService, DsrState, KindConnectors
from privacy.demo_store import create_demo_store, customer_email
from tests.privacy.conftest import Vault, datamap_text, pan_context
from tests.services import Postgres

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))


def _sessions(server: Postgres, url: str) -> int:
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(
        f"host={server.host} port={server.port} user={server.user} dbname=postgres"
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def pg_store(postgres: Postgres, vault: Vault) -> str:
    url = postgres.create_database("core").replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    create_demo_store(engine, 12, lambda pan, cid: vault.cipher.encrypt(pan, pan_context(cid)))
    engine.dispose()
    return url


def test_closing_the_service_disposes_each_connector_pool(
    service: DsrService, postgres: Postgres, pg_store: str
) -> None:
    service.load_datamap(datamap_text(pg_store), DPO)
    request = service.create("access", {"email": customer_email(3)}, send_code=False, actor=DPO)
    service.attest(request.id, "checked on a call", DPO)
    assert service.execute(request.id, DPO).request.state is DsrState.COMPLETED
    assert _sessions(postgres, pg_store) >= 1  # the connector's pool keeps its connection
    service.close()
    assert _sessions(postgres, pg_store) == 0
    service.close()  # idempotent
    again = service.create("access", {"email": customer_email(4)}, send_code=False, actor=DPO)
    service.attest(again.id, "checked on a call", DPO)
    assert service.execute(again.id, DPO).request.state is DsrState.COMPLETED  # reopens


def test_container_close_releases_the_privacy_connectors(
    tmp_path: Path, postgres: Postgres, pg_store: str, tp_engine: Engine
) -> None:
    from trustplane.container import build_container
    from trustplane.settings import Settings

    container = build_container(Settings.model_validate({"data_dir": tmp_path}), tp_engine)
    try:
        assert isinstance(container.privacy.connectors, KindConnectors)
        container.privacy.load_datamap(datamap_text(pg_store), DPO)  # reflects: opens a pool
        assert _sessions(postgres, pg_store) >= 1
    finally:
        container.close()
    assert _sessions(postgres, pg_store) == 0


def test_one_connector_per_system_definition(tmp_path: Path) -> None:
    from privacy import parse_datamap

    url = f"sqlite:///{tmp_path / 'core.db'}"
    system = parse_datamap(datamap_text(url)).datamap.systems[0]
    same_again = parse_datamap(datamap_text(url)).datamap.systems[0]  # equal, not identical
    moved = parse_datamap(datamap_text(f"sqlite:///{tmp_path / 'other.db'}")).datamap.systems[0]
    connectors = KindConnectors()
    first = connectors(system)
    assert connectors(system) is first
    assert connectors(same_again) is first
    assert connectors(moved) is not first
    connectors.close()
    assert connectors(system) is not first  # closed connectors are never handed out again
