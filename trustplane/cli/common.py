"""What every command group shares: settings from the environment and the failure exit."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from trustplane.logsetup import configure_logging
from trustplane.settings import Settings


def load_settings() -> Settings:
    """Settings from the environment; a clear message and exit 2 when they are invalid.

    Logging is configured here, before any room is built, so every log line of a command
    goes to stderr through the redacting processors: stdout is the command's output (JSON
    for ``--json``), never a warning printed by structlog's default logger."""
    try:
        settings = Settings()
    except ValidationError as exc:
        messages = "; ".join(str(err["msg"]) for err in exc.errors())
        typer.secho(f"error: invalid configuration: {messages}", err=True, fg="red")
        raise typer.Exit(2) from exc
    configure_logging(settings.log_level, settings.log_json)
    return settings


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(code)
