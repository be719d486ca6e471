"""postgres collector: server settings and roles through psycopg (read-only queries)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from controls.collectors.base import Collected, collected_from
from controls.snapshots.postgres import PostgresSnapshot, Role

SETTINGS = ("ssl", "password_encryption", "log_connections")


class PostgresCollector:
    """``conninfo`` is a libpq string or URL; it is never stored in the evidence."""

    name = "postgres"

    def __init__(
        self,
        conninfo: str,
        *,
        admin_roles: Sequence[str] = ("postgres",),
        connect_timeout: int = 10,
    ) -> None:
        self._conninfo = conninfo.replace("postgresql+psycopg://", "postgresql://")
        self._admin_roles = tuple(admin_roles)
        self._connect_timeout = connect_timeout

    def collect(self) -> Collected:
        with psycopg.connect(self._conninfo, connect_timeout=self._connect_timeout) as conn:
            settings = {
                row[0]: str(row[1])
                for row in conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(SETTINGS)]
                )
            }
            roles = tuple(
                Role(name=str(name), superuser=bool(superuser), can_login=bool(login))
                for name, superuser, login in conn.execute(
                    "SELECT rolname, rolsuper, rolcanlogin FROM pg_roles "
                    "WHERE rolname NOT LIKE 'pg\\_%' ORDER BY rolname"
                )
            )
            server = f"{conn.info.host}:{conn.info.port}/{conn.info.dbname}"
        snapshot = PostgresSnapshot(
            server=server,
            ssl=settings.get("ssl", "off"),
            password_encryption=settings.get("password_encryption", "unknown"),
            log_connections=settings.get("log_connections", "off"),
            roles=roles,
            admin_roles=self._admin_roles,
        )
        return collected_from(f"postgres:{server}", snapshot)
