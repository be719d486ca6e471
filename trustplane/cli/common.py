"""What every command group shares: settings from the environment and the failure exit."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from trustplane.settings import Settings


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
