"""Migrations from empty on SQLite and on a real PostgreSQL; schema matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from trustplane.migrations.runner import alembic_config, upgrade
from trustplane.tables import metadata


def test_upgrade_from_empty_creates_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert "alembic_version" in tables
    assert set(metadata.tables) <= tables


def test_migrated_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = [
            diff
            for diff in compare_metadata(context, metadata)
            if not (isinstance(diff, tuple) and diff[0] == "remove_table")
        ]
    assert differences == []


def test_upgrade_is_idempotent_and_reaches_every_head(engine: Engine) -> None:
    upgrade(engine)
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    assert current == set(script.get_heads())
