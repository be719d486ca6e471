"""``trustplane keys ...``: key inventory, rotation, rewrap of stored data keys, retirement."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from audit import Actor
from trustplane.cli.common import fail, load_settings
from trustplane.container import build_container
from vault import VaultError, VaultServices

keys_app = typer.Typer(help="Field-encryption keys (vault room).", no_args_is_help=True)

CLI_ACTOR = Actor(id="trustplane-cli", kind="user", roles=("admin",))


@contextmanager
def _vault() -> Iterator[VaultServices]:

    settings = load_settings()
    try:
        container = build_container(settings)
    except VaultError as exc:
        raise fail(f"cannot open the key provider: {exc}") from exc
    try:
        yield container.vault
    except VaultError as exc:
        raise fail(str(exc)) from exc
    finally:
        container.close()


@keys_app.command("list")
def keys_list() -> None:
    """Print the key inventory (id, provider, version, created, last rotated, age) as JSON."""
    with _vault() as vault:
        entries = [entry.as_dict() for entry in vault.keys.inventory()]
    json.dump({"keys": entries}, sys.stdout, indent=2)
    sys.stdout.write("\n")


@keys_app.command("rotate")
def keys_rotate(name: Annotated[str, typer.Argument(help="KEK name, e.g. fields")]) -> None:
    """Create a new KEK version; new writes use it (run ``keys rewrap`` afterwards)."""
    with _vault() as vault:
        info = vault.keys.rotate(name, actor=CLI_ACTOR)
    typer.echo(f"{name}: now at version {info.version}")


@keys_app.command("rewrap")
def keys_rewrap(
    name: Annotated[
        str | None, typer.Option("--key", help="KEK name (default: the configured one)")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
    retire: Annotated[
        bool, typer.Option("--retire", help="Retire older KEK versions when done")
    ] = False,
) -> None:
    """Re-wrap stored data keys under the newest KEK version (resumable, idempotent)."""
    with _vault() as vault:
        key_name = name or vault.cipher.key_name
        columns = (TextColumn("rewrap {task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, transient=not sys.stderr.isatty()) as progress:
            task = progress.add_task(key_name, total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = vault.keys.rewrap(
                key_name, batch_size=batch_size, progress=advance, actor=CLI_ACTOR
            )
        typer.echo(
            f"{key_name}: rewrapped {report.rewrapped} of {report.total} data keys to version "
            f"{report.target_version} (skipped {report.skipped}, failed {report.failed})"
        )
        if report.failed:
            raise typer.Exit(1)
        if retire:
            info = vault.keys.retire(key_name, actor=CLI_ACTOR)
            typer.echo(f"{key_name}: versions below {info.min_decryption_version} retired")


@keys_app.command("retire")
def keys_retire(name: Annotated[str, typer.Argument(help="KEK name")]) -> None:
    """Refuse older KEK versions (only once every stored data key has been rewrapped)."""
    with _vault() as vault:
        info = vault.keys.retire(name, actor=CLI_ACTOR)
    typer.echo(f"{name}: versions below {info.min_decryption_version} retired")
