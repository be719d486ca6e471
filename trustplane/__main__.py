"""``python -m trustplane`` runs the CLI."""

from trustplane.cli import app

app()
