"""CLI of the reports room: ``trustplane report ...``, ``trustplane bundle create|verify``,
``trustplane audit verify-proof``.

Exit codes: 0 done / verified; 1 the bundle or proof does not verify, or the build failed;
2 usage error (bad window, unknown framework, unreadable key or file).
"""

from __future__ import annotations

import getpass
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from audit import AuditError
from reports import (
    BundleFormatError,
    InvalidReportRequestError,
    Job,
    JobState,
    ReportsError,
    ReportsService,
    Requester,
    Window,
    parse_key,
    verify_bundle,
    verify_proof,
)
from trustplane.cli.audit import audit_app
from trustplane.cli.common import fail, load_settings
from trustplane.container import build_container
from trustplane.migrations.runner import upgrade

report_app = typer.Typer(
    help="Framework, access review, key inventory and DSR/breach performance reports."
)
bundle_app = typer.Typer(help="Auditor evidence bundles: create, verify offline.")

From = Annotated[
    str | None, typer.Option("--from", help="Window start: RFC 3339 or YYYY-MM-DD (UTC)")
]
To = Annotated[str | None, typer.Option("--to", help="Window end (default: now)")]


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report", no_args_is_help=True)
    app.add_typer(bundle_app, name="bundle", no_args_is_help=True)
    audit_app.command("verify-proof")(verify_proof_command)


def _moment(text: str) -> datetime:
    value = text.strip()
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window_of(start: str | None, end: str | None, days: int = 7) -> Window:
    """``--from``/``--to`` (default: the last ``days`` days up to now)."""
    try:
        finish = _moment(end) if end else datetime.now(UTC).replace(microsecond=0)
        begin = _moment(start) if start else finish - timedelta(days=days)
        return Window(begin, finish)
    except (ValueError, InvalidReportRequestError) as exc:
        raise fail(f"bad window: {exc}", 2) from exc


def _cli_requester() -> Requester:
    return Requester(id=f"cli:{getpass.getuser()}", kind="user", roles=frozenset({"admin"}))


@contextmanager
def opened_reports() -> Iterator[ReportsService]:
    container = build_container(load_settings())
    try:
        upgrade(container.engine)
        service = container.reports
        try:
            yield service
        finally:
            service.close()
    finally:
        container.close()


def _run(kind: str, framework: str | None, window: Window, fmt: str, output: Path | None) -> Job:
    console = Console(stderr=True)
    with opened_reports() as service:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(f"building {kind} {framework or ''}".strip(), total=100)
            try:
                job = service.request(
                    kind,
                    framework,
                    window,
                    fmt,
                    _cli_requester(),
                    background=False,
                    progress=lambda percent: progress.update(task, completed=percent),
                )
            except InvalidReportRequestError as exc:
                raise fail(str(exc), 2) from exc
            except ReportsError as exc:
                raise fail(str(exc)) from exc
        if job.state is not JobState.DONE:
            raise fail(f"{job.id} failed: {job.error}")
        _job, path = service.download(job.id, _cli_requester())
        target = output or Path(path.name)
        shutil.copyfile(path, target)
    typer.echo(f"{job.id} {job.kind.value} {job.sha256} -> {target}")
    return job


@report_app.command("create")
def report_create(
    *,
    framework: Annotated[str | None, typer.Option(help="dpdp, gdpr, pci_dss or iso27001")] = None,
    kind: Annotated[
        str, typer.Option(help="framework, access_review, key_inventory or privacy_performance")
    ] = "framework",
    start: From = None,
    end: To = None,
    fmt: Annotated[str, typer.Option("--format", help="html or pdf")] = "html",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write")] = None,
) -> None:
    """Build a report now (with a progress bar) and write it to ``--output``."""
    _run(kind, framework, window_of(start, end), fmt, output)


@report_app.command("list")
def report_list(
    bundles: Annotated[bool, typer.Option(help="List bundles instead of reports")] = False,
) -> None:
    """Recent reports (or bundles) with their state."""
    with opened_reports() as service:
        for job in service.recent(_cli_requester(), bundles=bundles):
            body = job.as_json()
            typer.echo(
                f"{job.id} {job.kind.value:<13} {job.framework or '-':<9} "
                f"{body['from']}..{body['to']} {job.state.value:<7} {job.percent:>3}%"
            )


@report_app.command("scope")
def report_scope(
    account: Annotated[str, typer.Argument(help="The auditor's account id")],
    framework: Annotated[list[str], typer.Option("--framework", help="Repeatable")],
    start: From = None,
    end: To = None,
) -> None:
    """Set the frameworks and window an auditor's engagement covers."""
    window = window_of(start, end, days=31)
    with opened_reports() as service:
        try:
            scope = service.set_scope(account, framework, window, _cli_requester())
        except InvalidReportRequestError as exc:
            raise fail(str(exc), 2) from exc
    typer.echo(f"{scope.account_id}: {', '.join(sorted(scope.frameworks))} {window.as_json()}")


@report_app.command("prune")
def report_prune(
    dry_run: Annotated[
        bool, typer.Option(help="List what would be deleted, delete nothing")
    ] = False,
) -> None:
    """Delete report and bundle artifacts older than ``reports.artifact_retention_days``
    (bundles an active auditor engagement covers stay); recorded as one audit event."""
    with opened_reports() as service:
        try:
            pruned = service.prune(_cli_requester(), dry_run=dry_run)
        except (ReportsError, AuditError) as exc:  # nothing is deleted unless it is audited
            raise fail(str(exc)) from exc
    for job in pruned:
        typer.echo(f"{job.id} {job.kind.value} {job.sha256}")
    verb = "would prune" if dry_run else "pruned"
    typer.echo(f"{verb} {len(pruned)} artifact(s)")


@bundle_app.command("create")
def bundle_create(
    framework: Annotated[str, typer.Option(help="dpdp, gdpr, pci_dss or iso27001")],
    start: From = None,
    end: To = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write")] = None,
) -> None:
    """Build an auditor evidence bundle for a window (default: the last 7 days)."""
    _run("bundle", framework, window_of(start, end), "zip", output)


def _key(text: str) -> str:
    path = Path(text)
    try:
        return path.read_text() if path.is_file() else text
    except OSError as exc:
        raise fail(f"cannot read the key: {exc}", 2) from exc


@bundle_app.command("verify")
def bundle_verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle zip")],
    key: Annotated[
        str,
        typer.Option("--key", help="Verifier key you hold (name+keyid+base64) or a file with it"),
    ],
) -> None:
    """Verify a bundle with no database and no network; names every file that broke."""
    try:
        verifier = parse_key(_key(key))
    except BundleFormatError as exc:
        raise fail(f"bad key: {exc}", 2) from exc
    if not bundle.is_file():
        raise fail(f"no such file: {bundle}", 2)
    report = verify_bundle(bundle, verifier)
    if not report.ok:
        for problem in report.problems:
            typer.secho(f"  {problem}", err=True, fg="red")
        typer.secho(
            f"bundle does NOT verify: {len(report.problems)} problem(s) in "
            f"{len(report.broken_files())} file(s)",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)
    window = report.window or ("?", "?")
    typer.echo(
        f"bundle verifies: {report.framework} {window[0]}..{window[1]}, "
        f"{report.files_checked} files, {report.evidence_items} evidence items, "
        f"{report.events_checked} audit events proven against a checkpoint of tree size "
        f"{report.tree_size} signed by {verifier.name}"
    )


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read {path}: {exc}", 2) from exc


def verify_proof_command(
    proof: Annotated[Path, typer.Argument(help="JSON from GET /v1/audit/proof/inclusion")],
    key: Annotated[
        str,
        typer.Option("--key", help="Verifier key you hold (name+keyid+base64) or a file with it"),
    ],
    event: Annotated[
        Path | None,
        typer.Option(help="JSON from GET /v1/audit/events/{index}: hash the leaf yourself"),
    ] = None,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint note you kept, instead of the proof's")
    ] = None,
) -> None:
    """Check an inclusion proof offline against a signed checkpoint."""
    try:
        verifier = parse_key(_key(key))
    except BundleFormatError as exc:
        raise fail(f"bad key: {exc}", 2) from exc
    try:
        note = checkpoint.read_text() if checkpoint else None
    except OSError as exc:
        raise fail(f"cannot read {checkpoint}: {exc}", 2) from exc
    check = verify_proof(
        _json_file(proof),
        verifier,
        event=_json_file(event) if event else None,
        checkpoint=note,
    )
    if not check.ok:
        for problem in check.problems:
            typer.secho(f"  {problem}", err=True, fg="red")
        typer.secho("proof does NOT verify", err=True, fg="red")
        raise typer.Exit(1)
    typer.echo(
        f"proof verifies: event {check.index} is in the tree of size {check.tree_size} "
        f"signed by {verifier.name}"
    )
