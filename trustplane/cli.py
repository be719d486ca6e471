"""trustplane command line (typer). Exit codes: 0 ok, 1 failure, 2 usage error."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from trustplane.cli_policy import policy_app
from trustplane.errors import TrustplaneError
from trustplane.settings import Settings

app = typer.Typer(
    help="trustplane: FinSolve's compliance and security control plane.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(policy_app, name="policy")


def _mount_room_commands() -> None:
    from trustplane import cli_audit, cli_controls, cli_privacy
    from trustplane.cli_identity import service_accounts_app, users_app
    from trustplane.cli_keys import keys_app

    app.add_typer(users_app, name="users")
    app.add_typer(service_accounts_app, name="service-accounts")
    app.add_typer(keys_app, name="keys")
    cli_controls.register(app)
    cli_audit.register(app)
    cli_privacy.register(app)


_mount_room_commands()


def load_settings() -> Settings:
    """Settings from the environment; a clear message and exit 2 when they are invalid."""
    try:
        return Settings()
    except ValidationError as exc:
        messages = "; ".join(str(err["msg"]) for err in exc.errors())
        typer.secho(f"error: invalid configuration: {messages}", err=True, fg="red")
        raise typer.Exit(2) from exc


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(code)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default from settings)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings)")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Worker processes")] = None,
) -> None:
    """Serve the API and dashboard."""
    from trustplane.server import run_server

    settings = load_settings()
    try:
        run_server(
            settings,
            host=host or settings.web.host,
            port=port or settings.web.port,
            workers=workers or settings.web.workers,
        )
    except TrustplaneError as exc:
        raise fail(str(exc)) from exc


@app.command()
def demo(
    check: Annotated[
        bool, typer.Option("--check", help="Start, wait until /readyz is 200, print OK, exit")
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="Port (default 8000; --check picks a free one)")
    ] = None,
) -> None:
    """Seed a FinSolve demo on the embedded defaults and serve it on 127.0.0.1."""
    from trustplane.demo import run_demo

    settings = load_settings()
    try:
        code = run_demo(settings, check=check, port=port)
    except TrustplaneError as exc:
        raise fail(str(exc)) from exc
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (all rooms' branches)."""
    from trustplane.db import make_engine
    from trustplane.migrate import upgrade

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


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration with secrets hidden."""
    settings = load_settings()
    json.dump(settings.redacted(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


@app.callback()
def main() -> None:
    """trustplane: FinSolve's compliance and security control plane."""
