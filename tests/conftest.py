"""Session-wide real servers and the two storage backends every storage test runs on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.services import Postgres, Server, reset_moto, start_moto, start_openbao, start_postgres
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")
# The decision budget (50 ms by default) is a production latency bound; on a loaded 2-core CI
# machine running two pytest workers and real servers, a route-gate decision can exceed it and
# fail closed (503), which is right in production and a flake here. Tests that exercise the
# timeout set their own budget.
os.environ.setdefault("TRUSTPLANE_POLICY__TIMEOUT_MS", "2000")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openbao() -> Iterator[Server]:
    server = start_openbao()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Server]:
    server = start_moto()
    yield server
    server.stop()


@pytest.fixture
def moto_url(moto_server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A reset moto with fake credentials in the environment (boto3 signs with them)."""
    reset_moto(moto_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    return moto_server.url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend: a SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trustplane.db'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()
