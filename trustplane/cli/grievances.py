"""CLI of grievances and nominations: ``trustplane grievances ...``, ``trustplane nominations``."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from typing import Annotated, Any

import typer

from privacy import Grievance, GrievanceDesk, Nomination
from trustplane.cli.dpo import ActorOpt, dpo, opened

grievances_app = typer.Typer(help="Grievances (DPDP s.13, 90 days).", no_args_is_help=True)
nominations_app = typer.Typer(help="Nominations (DPDP s.14).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(grievances_app, name="grievances")
    app.add_typer(nominations_app, name="nominations")


def _desk() -> AbstractContextManager[GrievanceDesk]:
    return opened(lambda container: container.grievances)


def _grievance(item: Grievance, desk: GrievanceDesk) -> dict[str, Any]:
    return {
        "id": item.id,
        "principal": item.principal_id,
        "by_nominee": item.filed_by != item.principal_id,
        "state": item.state.value,
        "received_at": item.received_at.isoformat(),
        "due_at": item.due_at.isoformat(),
        "overdue": item.overdue(desk.clock()),
        "resolution": item.resolution,
    }


def _nomination(item: Nomination) -> dict[str, Any]:
    return {
        "id": item.id,
        "principal": item.principal_id,
        "nominee": item.nominee_id,
        "relationship": item.relationship,
        "revoked_at": item.revoked_at.isoformat() if item.revoked_at else None,
    }


def _print(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@grievances_app.command("file")
def file_grievance(
    principal: str,
    summary: str,
    *,
    channel: Annotated[str, typer.Option("--channel")] = "email",
    filed_by: Annotated[str | None, typer.Option("--filed-by", help="a nominee's id")] = None,
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Record a grievance; due in 90 days."""
    with _desk() as desk:
        item = desk.file(principal, summary, channel=channel, filed_by=filed_by, actor=dpo(actor))
        _print(_grievance(item, desk))


@grievances_app.command("list")
def list_grievances(open_only: Annotated[bool, typer.Option("--open")] = False) -> None:
    with _desk() as desk:
        _print([_grievance(g, desk) for g in desk.grievances(open_only=open_only)])


@grievances_app.command("move")
def move(
    grievance_id: str,
    action: Annotated[str, typer.Argument(help="verify, start, complete, reject, cancel")],
    resolution: Annotated[str, typer.Option("--resolution")] = "",
    actor: ActorOpt = "cli-dpo",
) -> None:
    with _desk() as desk:
        item = desk.move(grievance_id, action, resolution=resolution, actor=dpo(actor))
        _print(_grievance(item, desk))


@nominations_app.command("add")
def add(
    principal: str,
    nominee: str,
    relationship: Annotated[str, typer.Option("--relationship")],
    actor: ActorOpt = "cli-dpo",
) -> None:
    with _desk() as desk:
        _print(_nomination(desk.nominate(principal, nominee, relationship, actor=dpo(actor))))


@nominations_app.command("list")
def list_nominations(principal: str) -> None:
    with _desk() as desk:
        _print([_nomination(n) for n in desk.nominations(principal)])


@nominations_app.command("revoke")
def revoke(nomination_id: str, actor: ActorOpt = "cli-dpo") -> None:
    with _desk() as desk:
        _print(_nomination(desk.revoke(nomination_id, actor=dpo(actor))))
