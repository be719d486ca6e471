"""CLI of the audit room: ``trustplane audit verify|export|verify-export|checkpoint|...``.

Exit codes: 0 verified / done; 1 the log or export does not verify, or the log is
unavailable; 2 usage error (bad range, unreadable key).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from audit import (
    Actor,
    AuditError,
    AuditEventIn,
    AuditIntegrityError,
    AuditLog,
    AuditRangeError,
    EventType,
    NoteVerifier,
    Outcome,
    Target,
    export_lines,
    verify_export,
)
from trustplane.cli.common import fail, load_settings
from trustplane.db import make_engine
from trustplane.errors import TrustplaneError
from trustplane.wiring.audit import build_audit, build_retention

audit_app = typer.Typer(help="Tamper-evident audit log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@contextmanager
def opened_log() -> Iterator[AuditLog]:

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.effective_database_url)
    try:
        log = build_audit(settings, engine)
    except (AuditError, TrustplaneError) as exc:
        engine.dispose()
        raise fail(str(exc)) from exc
    try:
        yield log
    except AuditError as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    finally:
        log.close()
        log.store.engine.dispose()
        engine.dispose()


def _cli_actor() -> Actor:
    return Actor(id=f"cli:{getpass.getuser()}", kind="user")


@audit_app.command("verify")
def verify(
    trusted: Annotated[
        list[Path] | None,
        typer.Option("--trusted", help="A checkpoint note kept outside the database (repeatable)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes re-hashing in parallel; default: CPUs"),
    ] = None,
    witness: Annotated[
        bool,
        typer.Option("--witness", help="Also trust every checkpoint the witness (S3) holds"),
    ] = False,
) -> None:
    """Re-hash every event, rebuild the tree, check every checkpoint's signature."""
    notes = [path.read_text() for path in trusted or []]
    with opened_log() as log:
        if witness:
            notes += log.witness_notes()
        report = log.verify(notes, workers=workers)
    if report.ok:
        typer.echo(
            f"tree size {report.tree_size}: {report.events_checked} events, "
            f"{report.checkpoints_checked} checkpoints checked"
        )
    else:
        typer.echo(
            f"tree size {report.tree_size}: verification stopped at the first problem"
            f" ({report.events_checked} events and {report.checkpoints_checked} checkpoints"
            " verified before it)"
        )
    if not report.ok:
        for problem in report.problems:
            typer.secho(f"  {problem}", err=True, fg="red")
        if report.first_bad_index is not None:
            typer.secho(f"first bad index: {report.first_bad_index}", err=True, fg="red")
        typer.secho("audit log does NOT verify", err=True, fg="red")
        raise typer.Exit(1)
    typer.echo("audit log verifies")


@audit_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="JSON Lines file to write")],
    start: Annotated[int, typer.Option("--from", min=0, help="First index (inclusive)")] = 0,
    end: Annotated[
        int | None, typer.Option("--to", min=1, help="End index (exclusive); default: all")
    ] = None,
) -> None:
    """Write [--from, --to) with a signed checkpoint and range proof (verifies offline).

    ``--to`` beyond the tree is clamped to its size (with a note); the export is recorded
    in the log afterwards as a success, or as a failure with its reason.
    """

    with opened_log() as log:
        checkpoint = log.checkpoint()
        size = checkpoint.tree_size
        stop = size if end is None else min(end, size)
        if end is not None and end > size:
            typer.echo(f"note: --to {end} is beyond the tree (size {size}); exporting up to {size}")

        def recorded(outcome: Outcome, **extra: object) -> None:
            details = {"from": start, "to": stop, "file": out.name, **extra}
            log.record(
                AuditEventIn(
                    type=EventType.AUDIT_EXPORT,
                    outcome=outcome,
                    actor=_cli_actor(),
                    target=Target(type="audit_log"),
                    details=details,
                )
            )

        try:
            lines = list(export_lines(log.store, checkpoint, start, stop))
            out.write_text("\n".join(lines) + "\n")
        except (AuditRangeError, OSError) as exc:
            recorded(Outcome.FAILURE, reason=str(exc))
            raise fail(str(exc), 2) from exc
        recorded(Outcome.SUCCESS)
    typer.echo(f"exported events [{start}, {stop}) of tree size {size} to {out}")


def _verifier(key: str) -> NoteVerifier:
    path = Path(key)
    text = path.read_text() if path.is_file() else key
    return NoteVerifier.parse(text)


@audit_app.command("verify-export")
def verify_export_command(
    export_file: Annotated[Path, typer.Argument(help="An export written by `audit export`")],
    key: Annotated[
        str, typer.Option("--key", help="Verifier key (name+keyid+base64) or a file holding it")
    ],
) -> None:
    """Verify an export with nothing but the log's public key (no database)."""

    try:
        verifier = _verifier(key)
        lines = export_file.read_text().splitlines()
    except (AuditIntegrityError, OSError) as exc:
        raise fail(str(exc), 2) from exc
    report = verify_export(lines, verifier, verifier.name)
    if not report.ok:
        for problem in report.problems:
            typer.secho(f"  {problem}", err=True, fg="red")
        if report.first_bad_index is not None:
            typer.secho(f"first bad index: {report.first_bad_index}", err=True, fg="red")
        typer.secho("export does NOT verify", err=True, fg="red")
        raise typer.Exit(1)
    typer.echo(
        f"export verifies: events [{report.start}, {report.end}) "
        f"against a signed checkpoint of tree size {report.tree_size}"
    )


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Issue a signed checkpoint of the current tree now and print it."""
    with opened_log() as log:
        log.record(
            AuditEventIn(
                type=EventType.ADMIN_ACTION,
                actor=_cli_actor(),
                target=Target(type="audit_log"),
                details={"action": "checkpoint.issue"},
            )
        )
        note = log.checkpoint().note
    typer.echo(note, nl=False)


@audit_app.command("public-key")
def public_key() -> None:
    """Print the signed-note verifier key (for `verify-export --key`)."""
    with opened_log() as log:
        typer.echo(log.public_key())


@audit_app.command("retention")
def retention() -> None:
    """Archive events past the hot period, purge verified segments, expire old archives."""

    settings = load_settings()
    with opened_log() as log:
        report = build_retention(settings, log).run()
    typer.echo(
        f"archived {len(report.archived)} segment(s), purged {report.purged_events} event(s), "
        f"expired {len(report.expired)} segment(s)"
    )
