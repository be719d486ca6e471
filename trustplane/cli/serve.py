"""``trustplane serve`` and ``trustplane demo``: the process that answers HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from trustplane.cli.common import fail, load_settings
from trustplane.cli.demo import run_demo
from trustplane.errors import TrustplaneError
from trustplane.server import run_server


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(demo)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default from settings)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings)")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Worker processes")] = None,
) -> None:
    """Serve the API and dashboard."""
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


def demo(
    check: Annotated[
        bool, typer.Option("--check", help="Start, wait until /readyz is 200, print OK, exit")
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="Port (default 8000; --check picks a free one)")
    ] = None,
) -> None:
    """Seed a FinSolve demo on the embedded defaults and serve it on 127.0.0.1."""
    settings = load_settings()
    try:
        code = run_demo(settings, check=check, port=port)
    except TrustplaneError as exc:
        raise fail(str(exc)) from exc
    raise typer.Exit(code)
