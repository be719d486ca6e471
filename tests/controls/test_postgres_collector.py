"""postgres collector against a real PostgreSQL cluster of its own (settings are toggled)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import psycopg
import pytest

from controls.checks import REGISTRY
from controls.collectors.postgres import PostgresCollector
from tests.controls.tlsutil import make_certificate
from tests.services import Postgres, start_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster() -> Iterator[Postgres]:
    server = start_postgres()
    yield server
    server.stop()


def _admin(server: Postgres, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(
        f"host={server.host} port={server.port} user=postgres dbname={dbname}", autocommit=True
    )


def _table(server: Postgres, dbname: str) -> dict[str, set[tuple[str, str, str]]]:
    collected = PostgresCollector(server.url(dbname)).collect()
    table: dict[str, set[tuple[str, str, str]]] = {}
    for f in REGISTRY.run("postgres", collected.snapshot):
        table.setdefault(f.check_id, set()).add((f.resource, f.status.value, f.reason))
    return table


def _enable_ssl(server: Postgres) -> None:
    cert, key = make_certificate("127.0.0.1", days=365)
    for name, data in (("server.crt", cert), ("server.key", key)):
        path = server.datadir / name
        path.write_bytes(data)
        path.chmod(0o600)
        if shutil.which("runuser"):
            shutil.chown(path, "postgres", "postgres")
    with _admin(server) as conn:
        conn.execute("ALTER SYSTEM SET ssl = on")
        conn.execute("ALTER SYSTEM SET log_connections = on")
        conn.execute("SELECT pg_reload_conf()")


def test_bad_then_good_configuration(cluster: Postgres) -> None:
    with _admin(cluster) as conn:
        conn.execute("CREATE DATABASE weak")
        conn.execute("ALTER DATABASE weak SET password_encryption = 'md5'")
        conn.execute("CREATE ROLE app_ok LOGIN")
        conn.execute("CREATE ROLE app_root LOGIN SUPERUSER")
        conn.execute("CREATE ROLE reporting NOLOGIN SUPERUSER")
    server = f"127.0.0.1:{cluster.port}/weak"
    bad = _table(cluster, "weak")
    assert bad["postgres.ssl"] == {(f"postgres:{server}", "fail", "ssl = off")}
    assert bad["postgres.password_encryption"] == {
        (f"postgres:{server}", "fail", "password_encryption = md5")
    }
    assert bad["postgres.log_connections"] == {
        (f"postgres:{server}", "fail", "log_connections = off")
    }
    assert bad["postgres.no_superuser_app_roles"] == {
        (f"postgres:{server}/role/app_ok", "pass", "login role without superuser"),
        (f"postgres:{server}/role/app_root", "fail", "application login role is superuser"),
    }

    _enable_ssl(cluster)
    with _admin(cluster) as conn:
        conn.execute("DROP ROLE app_root")
    server = f"127.0.0.1:{cluster.port}/postgres"
    good = _table(cluster, "postgres")
    assert good["postgres.ssl"] == {(f"postgres:{server}", "pass", "ssl = on")}
    assert good["postgres.password_encryption"] == {
        (f"postgres:{server}", "pass", "password_encryption = scram-sha-256")
    }
    assert good["postgres.log_connections"] == {
        (f"postgres:{server}", "pass", "log_connections = on")
    }
    assert good["postgres.no_superuser_app_roles"] == {
        (f"postgres:{server}/role/app_ok", "pass", "login role without superuser")
    }
