"""``trustplane ropa``: the record of processing activities from the loaded data map."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import typer

from privacy import PrivacyError, build_ropa, ropa_csv, ropa_html
from trustplane.cli.common import fail, load_settings
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade


def register(app: typer.Typer) -> None:
    app.command("ropa")(ropa)


def ropa(
    output: Annotated[str, typer.Option("--format", help="json, html or csv")] = "json",
) -> None:
    """Records of processing activities (GDPR Art. 30(1)) with each system's control status."""
    if output not in {"json", "html", "csv"}:
        raise fail("--format is json, html or csv")
    container = build_container(load_settings())
    try:
        upgrade(container.engine)
        try:
            stored, datamap = container.privacy.datamap()
        except PrivacyError as exc:
            raise fail(str(exc)) from exc
        postures = container.controls.control_postures()
        activities = build_ropa(
            datamap,
            lambda control: postures[control].status.value if control in postures else "unknown",
        )
        if output == "csv":
            sys.stdout.write(ropa_csv(activities))
        elif output == "html":
            sys.stdout.write(ropa_html(activities, datamap.organisation))
        else:
            json.dump(
                {"datamap_sha256": stored.sha256, "activities": [asdict(a) for a in activities]},
                sys.stdout,
                indent=2,
                ensure_ascii=False,
            )
            sys.stdout.write("\n")
    finally:
        container.close()
