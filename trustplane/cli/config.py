"""``trustplane config show``: the effective configuration, secrets hidden."""

from __future__ import annotations

import json
import sys

import typer

from trustplane.cli.common import load_settings

config_app = typer.Typer(help="Configuration.", no_args_is_help=True)


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration with secrets hidden."""
    settings = load_settings()
    json.dump(settings.redacted(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
