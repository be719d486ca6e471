"""``trustplane policy test|push|rollback``: the bundle lifecycle from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from policies import (
    COVERAGE_FLOOR,
    BundleError,
    BundleService,
    BundleStore,
    PolicyError,
    RegoTestReport,
    load_bundle_dir,
    run_rego_tests,
)
from trustplane.cli.common import load_settings
from trustplane.db import make_engine
from trustplane.wiring.audit import build_audit

policy_app = typer.Typer(help="Policy bundle: test, push, rollback.", no_args_is_help=True)

DirArg = Annotated[
    Path | None,
    typer.Argument(help="Bundle directory (default: the shipped FinSolve bundle)"),
]


def print_report(report: RegoTestReport) -> None:
    for result in report.results:
        mark = "PASS" if result.passed else "FAIL"
        line = f"{mark} {result.rule}"
        if result.error:
            line += f"  ({result.error.splitlines()[0]})"
        typer.echo(line)
    typer.echo("")
    typer.echo("coverage:")
    for entry in sorted(report.coverage, key=lambda item: item.path):
        missing = ",".join(str(n) for n in sorted(entry.not_covered)) or "-"
        typer.echo(f"  {entry.path:<32} {entry.percent:6.1f}%  not covered: {missing}")
    typer.echo(
        f"{report.passed}/{len(report.results)} passed, "
        f"policy line coverage {report.coverage_percent:.1f}% (floor {COVERAGE_FLOOR:.0f}%)"
    )


@policy_app.command("test")
def policy_test(directory: DirArg = None) -> None:
    """Run the bundle's Rego unit tests (test_* rules) with line coverage; exit 1 on failure."""
    try:
        report = run_rego_tests(load_bundle_dir(directory))
    except BundleError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(1) from exc
    print_report(report)
    if not report.ok():
        typer.secho("policy tests failed", err=True, fg="red")
        raise typer.Exit(1)


@contextmanager
def bundle_service() -> Iterator[BundleService]:

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.effective_database_url)
    audit_log = build_audit(settings, engine)
    try:
        yield BundleService(BundleStore(engine), audit_log)
    finally:
        audit_log.close()
        engine.dispose()


@policy_app.command("push")
def policy_push(
    directory: Annotated[Path, typer.Argument(help="Bundle directory to push")],
    actor: Annotated[str, typer.Option(help="Who pushes (recorded in the audit log)")] = "cli",
) -> None:
    """Parse, run the Rego tests (refuse on failure), store the revision and activate it."""
    try:
        files = load_bundle_dir(directory)
        with bundle_service() as service:
            result = service.push(files, actor=actor)
    except PolicyError as exc:
        typer.secho(f"error: push refused: {exc}", err=True, fg="red")
        raise typer.Exit(1) from exc
    typer.echo(
        f"activated revision {result.revision} "
        f"({result.report.passed} tests passed, coverage {result.report.coverage_percent:.1f}%)"
    )


@policy_app.command("rollback")
def policy_rollback(
    revision: Annotated[str, typer.Argument(help="Stored revision (content hash) to activate")],
    actor: Annotated[str, typer.Option(help="Who rolls back (recorded in the audit log)")] = "cli",
) -> None:
    """Activate an earlier stored revision."""
    try:
        with bundle_service() as service:
            pointer = service.rollback(revision, actor=actor)
    except PolicyError as exc:
        typer.secho(f"error: rollback refused: {exc}", err=True, fg="red")
        raise typer.Exit(1) from exc
    typer.echo(f"activated revision {pointer.revision} (generation {pointer.generation})")
