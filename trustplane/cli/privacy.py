"""CLI of the privacy room: ``trustplane dsr ...`` and ``trustplane datamap ...``.

The commands act as the local DPO (``--actor``, default ``cli-dpo``) on this installation's
database; every step is audited like the API's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any

import typer

from privacy import DsrRequest, DsrService, DsrState
from trustplane.cli.common import fail
from trustplane.cli.dpo import ActorOpt, dpo, opened

dsr_app = typer.Typer(help="Data subject requests (the DPO's desk).", no_args_is_help=True)
datamap_app = typer.Typer(help="The data map of personal data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dsr_app, name="dsr")
    app.add_typer(datamap_app, name="datamap")


def _service() -> AbstractContextManager[DsrService]:
    return opened(lambda container: container.privacy)


def _show(service: DsrService, request: DsrRequest) -> None:
    out: dict[str, Any] = {
        "id": request.id,
        "type": request.type.value,
        "state": request.state.value,
        "regime": request.regime.value,
        "identifier_kind": request.identifier_kind,
        "received_at": request.received_at.isoformat(),
        "due_at": request.due_at.isoformat(),
        "days_left": service.days_left(request),
        "verified_method": request.verified_method,
        "approved_by": request.approved_by,
        "reason": request.reason,
        "package_sha256": request.package_sha256,
        "steps": [
            {"id": s.id, "system": s.system, "action": s.action, "status": s.status,
             "error": s.error}
            for s in request.steps
        ],
    }  # fmt: skip
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _act(dsr_id: str, work: Callable[[DsrService], DsrRequest]) -> None:
    with _service() as service:
        _show(service, work(service))


@datamap_app.command("load")
def datamap_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Validate and load a data map (YAML); prints its version and SHA-256."""
    with _service() as service:
        stored = service.load_datamap(file.read_text(encoding="utf-8"), dpo(actor))
    typer.echo(f"data map version {stored.version} loaded (sha256 {stored.sha256})")


@datamap_app.command("show")
def datamap_show() -> None:
    """Print the data map in force."""
    with _service() as service:
        stored, _ = service.datamap()
    sys.stdout.write(stored.content)


@dsr_app.command("create")
def dsr_create(  # noqa: PLR0917 (CLI options)
    type_: Annotated[str, typer.Argument(metavar="TYPE", help="access, erasure, correction, ...")],
    email: Annotated[str | None, typer.Option(help="The principal's email")] = None,
    phone: Annotated[str | None, typer.Option(help="The principal's phone (+91...)")] = None,
    customer_id: Annotated[str | None, typer.Option(help="The principal's customer id")] = None,
    regime: Annotated[str | None, typer.Option(help="gdpr or dpdp")] = None,
    note: Annotated[str, typer.Option(help="Free note")] = "",
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Record a request; a code goes to an email identifier."""
    given = {"email": email, "phone": phone, "customer_id": customer_id}
    identifier = {k: v for k, v in given.items() if v}
    with _service() as service:
        _show(
            service,
            service.create(type_, identifier, regime=regime, note=note, actor=dpo(actor)),
        )


@dsr_app.command("list")
def dsr_list(
    state: Annotated[str | None, typer.Option(help="Only this state")] = None,
    overdue: Annotated[bool, typer.Option(help="Only overdue open requests")] = False,
) -> None:
    """One line per request: id, type, state, due date, days left."""

    with _service() as service:
        chosen = DsrState(state) if state else None
        items = service.list(
            state=chosen, overdue_at=service.clock() if overdue else None, limit=10_000
        )
        for item in items:
            typer.echo(
                f"{item.id}  {item.type.value:<11} {item.state.value:<17} "
                f"due {item.due_at.date().isoformat()}  {service.days_left(item):>4} d"
            )


@dsr_app.command("show")
def dsr_show(dsr_id: str) -> None:
    """A request with its steps (JSON)."""
    _act(dsr_id, lambda service: service.get(dsr_id))


@dsr_app.command("verify")
def dsr_verify(
    dsr_id: str,
    code: Annotated[str | None, typer.Option(help="The code the principal received")] = None,
    note: Annotated[
        str | None, typer.Option(help="Attest instead: how identity was checked")
    ] = None,
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Verify with the principal's code, or attest with --note."""
    if (code is None) == (note is None):
        raise fail("give exactly one of --code or --note", 2)
    if code is not None:
        _act(dsr_id, lambda service: service.verify_code(dsr_id, code, dpo(actor)))
    else:
        _act(dsr_id, lambda service: service.attest(dsr_id, note or "", dpo(actor)))


@dsr_app.command("approve")
def dsr_approve(dsr_id: str, actor: ActorOpt = "cli-dpo") -> None:
    """Approve an erasure."""
    _act(dsr_id, lambda service: service.approve(dsr_id, dpo(actor)))


@dsr_app.command("reject")
def dsr_reject(
    dsr_id: str,
    reason: Annotated[str, typer.Option(help="Why (told to the principal)")],
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Reject a request with its reason."""
    _act(dsr_id, lambda service: service.reject(dsr_id, reason, dpo(actor)))


@dsr_app.command("execute")
def dsr_execute(dsr_id: str, actor: ActorOpt = "cli-dpo") -> None:
    """Run the request over every system (an erasure first asks for approval)."""
    _act(dsr_id, lambda service: service.execute(dsr_id, dpo(actor)).request)


@dsr_app.command("close-task")
def dsr_close_task(
    dsr_id: str,
    step_id: Annotated[str, typer.Argument(help="The task's step id (see `dsr show`)")],
    note: Annotated[str, typer.Option(help="What the assignee reports having done")],
    deleted: Annotated[
        list[str] | None, typer.Option("--deleted", help="An item deleted (repeatable)")
    ] = None,
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Close a manual task with the assignee's note (an erasure then completes)."""
    _act(
        dsr_id,
        lambda service: service.close_task(dsr_id, step_id, note, list(deleted or []), dpo(actor)),
    )


@dsr_app.command("package")
def dsr_package(
    dsr_id: str,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the zip")],
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Write the access package (zip) to --out."""
    with _service() as service:
        content = service.package(dsr_id, dpo(actor))
    out.write_bytes(content)
    typer.echo(f"wrote {out} ({len(content)} bytes)")


@dsr_app.command("certificate")
def dsr_certificate(
    dsr_id: str,
    html: Annotated[bool, typer.Option(help="HTML instead of JSON")] = False,
) -> None:
    """Print an erasure's completion certificate."""
    with _service() as service:
        if html:
            sys.stdout.write(service.certificate_html(dsr_id))
        else:
            json.dump(service.certificate(dsr_id), sys.stdout, indent=2)
            sys.stdout.write("\n")
