"""``trustplane db upgrade``: the database schema (every room's migration branch)."""

from __future__ import annotations

import typer

from trustplane.cli.common import fail, load_settings
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (all rooms' branches)."""
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
    except Exception as exc:  # alembic and drivers raise many kinds; all mean "not migrated"
        raise fail(f"migration failed: {type(exc).__name__}: {exc}") from exc
    finally:
        engine.dispose()
    typer.echo("database is up to date")
