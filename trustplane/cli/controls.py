"""CLI of the controls room: ``trustplane collect`` and ``trustplane gate``.

Gate exit codes: 0 no failing control at/above ``--fail-on``; 1 at least one; 2 usage error
or a scanner that could not run (e.g. checkov missing: ``make tools``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from controls import (
    ControlsError,
    IacCollector,
    Severity,
    UnknownCollectorError,
    UnknownFrameworkError,
    load_catalog,
    run_gate,
    to_sarif,
)
from controls.records import CollectionRecord
from trustplane import __version__
from trustplane.cli.common import fail, load_settings
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade
from trustplane.wiring.controls import checkov_bin


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)
    app.command("gate")(gate)


def collect(
    collector: Annotated[
        list[str] | None,
        typer.Option("--collector", "-c", help="Collector to run (repeatable); default all"),
    ] = None,
) -> None:
    """Run the configured collectors now (in parallel), store evidence, print the outcome."""

    settings = load_settings()
    container = build_container(settings)
    console = Console(stderr=True)
    try:
        upgrade(container.engine)
        service = container.controls
        names = collector or service.runner.collector_names
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("collecting", total=len(names))

            def advance(record: CollectionRecord) -> None:
                progress.update(task, advance=1, description=f"{record.collector}: {record.status}")

            report = service.collect(collector, trigger="cli", progress=advance)
    except UnknownCollectorError as exc:
        hints = [hint for name, hint in ENABLE_HINTS.items() if name in (collector or [])]
        raise fail("; ".join([str(exc), *hints]), 2) from exc
    except ControlsError as exc:
        raise fail(str(exc)) from exc
    finally:
        container.close()
    table = Table(title=f"run {report.run_id}")
    for column in ("collector", "status", "pass", "fail", "error", "n/a", "evidence"):
        table.add_column(column)
    for record in report.collections:
        counts = [
            sum(1 for f in record.findings if f.status.value == s)
            for s in ("pass", "fail", "error", "not_applicable")
        ]
        table.add_row(
            record.collector,
            record.status,
            *(str(c) for c in counts),
            (record.evidence_sha256 or record.error or "")[:16],
        )
    Console().print(table)
    if report.failed_collectors:
        raise typer.Exit(1)


# How to switch on each optional collector (settings tree, env prefix TRUSTPLANE_).
ENABLE_HINTS = {
    "aws": "enable aws with TRUSTPLANE_CONTROLS__AWS_ENABLED=true"
    " (credentials from the usual AWS environment; TRUSTPLANE_CONTROLS__AWS_REGIONS)",
    "iac": "enable iac with TRUSTPLANE_CONTROLS__IAC_DIR=<directory> (or run `trustplane gate`)",
    "vault": "enable vault with TRUSTPLANE_CONTROLS__VAULT_URL and ..._VAULT_TOKEN",
    "postgres": "enable postgres with TRUSTPLANE_CONTROLS__POSTGRES_DSN",
    "tls": "enable tls with TRUSTPLANE_CONTROLS__TLS_ENDPOINTS='[\"host:443\"]'",
}


def gate(
    iac: Annotated[Path, typer.Option("--iac", help="Directory of Terraform/K8s/Helm/Dockerfiles")],
    framework: Annotated[
        str | None, typer.Option("--framework", help="Only controls mapped to this framework")
    ] = None,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="low | medium | high | critical")
    ] = "high",
    sarif: Annotated[Path | None, typer.Option("--sarif", help="Write SARIF 2.1.0 here")] = None,
) -> None:
    """CI gate: offline checks over IaC; exit 1 when a control at/above --fail-on fails."""

    try:
        severity = Severity(fail_on.lower())
    except ValueError:
        raise fail(f"--fail-on must be one of {[s.value for s in Severity]}", 2) from None
    if not iac.is_dir():
        raise fail(f"--iac {iac} is not a directory", 2)
    settings = load_settings()
    catalog = load_catalog()
    try:
        report = run_gate(
            catalog,
            [
                IacCollector(
                    iac,
                    checkov_bin(settings.controls),
                    allowed_regions=tuple(settings.controls.allowed_regions),
                )
            ],
            framework=framework,
            fail_on=severity,
        )
    except UnknownFrameworkError as exc:
        raise fail(f"{exc}; known: {sorted(catalog.frameworks)}", 2) from exc
    if sarif is not None:
        sarif.write_text(json.dumps(to_sarif(report, __version__), indent=2) + "\n")
    console = Console()
    for violation in report.violations:
        blocking = violation.control.severity.at_least(severity)
        mark = "FAIL" if blocking else "warn"
        requirements = "; ".join(
            f"{fw} {', '.join(ids)}" for fw, ids in violation.requirements.items()
        )
        console.print(
            f"[bold]{mark}[/bold] {violation.control.id} ({violation.control.severity.value}) "
            f"{violation.control.title}\n      breaks: {requirements}",
            highlight=False,
        )
        for finding in violation.findings:
            console.print(
                f"      - {finding.check_id} {finding.resource}: {finding.reason}", highlight=False
            )
    console.print(
        f"{len(report.blocking)} blocking, {len(report.violations) - len(report.blocking)} "
        f"below --fail-on {severity.value}, {len(report.findings)} findings",
        highlight=False,
    )
    for name, cause in report.collector_errors:
        typer.echo(f"error: the {name} collector could not run: {cause}", err=True)
    raise typer.Exit(report.exit_code)
