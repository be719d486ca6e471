"""Alembic migrations, run programmatically (``trustplane db upgrade``).

Each room owns a migration branch (``branch_labels``) rooted at the base revision, so
rooms add migrations without fighting over one linear history; ``upgrade heads`` applies
them all. See docs/adr/0003-migration-branches-per-room.md.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from trustplane.private_files import exclusive_lock

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision of every room's branch.

    One process at a time: a file lock beside a SQLite database, an advisory lock on
    PostgreSQL (processes started together on a fresh data dir would race otherwise).
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7283610442)")
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def migration_lock(engine: Engine) -> AbstractContextManager[None]:
    """A file lock beside a SQLite file; nothing to do elsewhere (see ``upgrade``)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return exclusive_lock(Path(f"{database}.migrate.lock"))
    return nullcontext()
