"""trustplane command line (typer): the root app in ``main``, one module per command group."""

from trustplane.cli.main import app

__all__ = ["app"]
