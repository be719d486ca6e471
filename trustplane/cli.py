"""trustplane command line (typer)."""

from __future__ import annotations

import typer

app = typer.Typer(help="trustplane: FinSolve's compliance and security control plane.")


@app.callback()
def main() -> None:
    """trustplane: FinSolve's compliance and security control plane."""
