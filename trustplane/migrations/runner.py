"""Alembic migrations, run programmatically (``trustplane db upgrade``).

Each room owns a migration branch (``branch_labels``) rooted at the base revision, so
rooms add migrations without fighting over one linear history; ``upgrade heads`` applies
them all. See docs/adr/0003-migration-branches-per-room.md.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision of every room's branch."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
