"""CLI of the breach register: ``trustplane breaches ...`` (as the local DPO, audited)."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from privacy import Breach, BreachRegister, ist
from trustplane.cli.common import fail
from trustplane.cli.dpo import ActorOpt, dpo, opened

breaches_app = typer.Typer(help="The breach register and its clocks.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(breaches_app, name="breaches")


def _register() -> AbstractContextManager[BreachRegister]:
    return opened(lambda container: container.breaches)


def _out(register: BreachRegister, breach: Breach) -> dict[str, Any]:
    return {
        "id": breach.id,
        "title": breach.title,
        "severity": breach.severity,
        "status": breach.status.value,
        "detected_at": breach.detected_at.isoformat(),
        "aware_ist": ist(breach.aware_at),
        "affected_count": breach.affected_count,
        "categories": list(breach.categories),
        "regimes": list(breach.regimes),
        "clocks": [
            {
                "duty": c.duty.id,
                "law": c.duty.law,
                "due_at": c.due_at.isoformat() if c.due_at else None,
                "due_ist": ist(c.due_at) if c.due_at else "without undue delay",
                "state": c.state,
            }
            for c in register.clocks(breach)
        ],
        "timeline": [
            {"at_ist": ist(e.at), "kind": e.kind, "note": e.note, "audit_seq": e.audit_seq}
            for e in breach.timeline
        ],
    }


def _print(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _when(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"not an ISO 8601 time with a zone: {text}") from None


@breaches_app.command("create")
def create(
    title: str,
    *,
    severity: Annotated[str, typer.Option("--severity", help="P0-P3 (seed §5.3.2)")],
    affected: Annotated[int, typer.Option("--affected", help="principals affected")],
    category: Annotated[list[str], typer.Option("--category", help="data category (repeat)")],
    detected_at: Annotated[str | None, typer.Option("--detected-at", help="ISO time")] = None,
    aware_at: Annotated[str | None, typer.Option("--aware-at", help="ISO time")] = None,
    system: Annotated[list[str] | None, typer.Option("--system")] = None,
    regime: Annotated[list[str] | None, typer.Option("--regime", help="dpdp, gdpr, ...")] = None,
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Record a breach; its clocks start at once."""
    with _register() as breaches:
        breach = breaches.create(
            title=title,
            severity=severity,
            detected_at=_when(detected_at),
            aware_at=_when(aware_at) if aware_at else None,
            affected_count=affected,
            categories=category,
            systems=system or [],
            regimes=regime or ["dpdp", "cert-in"],
            actor=dpo(actor),
        )
        _print(_out(breaches, breach))


@breaches_app.command("list")
def list_breaches(
    open_only: Annotated[bool, typer.Option("--open", help="open breaches only")] = False,
) -> None:
    """The register with each breach's clocks."""
    with _register() as breaches:
        _print([_out(breaches, b) for b in breaches.breaches(open_only=open_only)])


@breaches_app.command("show")
def show(breach_id: str) -> None:
    with _register() as breaches:
        _print(_out(breaches, breaches.get(breach_id)))


@breaches_app.command("update")
def update_breach(
    breach_id: str,
    status: Annotated[str | None, typer.Option("--status", help="open, contained, closed")] = None,
    severity: Annotated[str | None, typer.Option("--severity")] = None,
    affected: Annotated[int | None, typer.Option("--affected")] = None,
    actor: ActorOpt = "cli-dpo",
) -> None:
    with _register() as breaches:
        breach = breaches.update(
            breach_id,
            actor=dpo(actor),
            status=status,
            severity=severity,
            affected_count=affected,
        )
        _print(_out(breaches, breach))


@breaches_app.command("note")
def note(breach_id: str, text: str, actor: ActorOpt = "cli-dpo") -> None:
    """Add a timeline entry."""
    with _register() as breaches:
        _print(_out(breaches, breaches.add_note(breach_id, text, actor=dpo(actor))))


@breaches_app.command("draft")
def draft(breach_id: str, duty: str, lang: Annotated[str, typer.Option("--lang")] = "en") -> None:
    """Print the notification a duty calls for."""
    with _register() as breaches:
        sys.stdout.write(breaches.draft(breach_id, duty, lang))


@breaches_app.command("notify")
def notify(
    breach_id: str,
    duty: str,
    *,
    to: Annotated[list[str], typer.Option("--to", help="recipient address (repeat)")],
    lang: Annotated[str, typer.Option("--lang")] = "en",
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Approve the duty's draft and send it through the outbox."""
    with _register() as breaches:
        breach = breaches.notify(breach_id, duty, to, actor=dpo(actor), lang=lang)
        _print(_out(breaches, breach))
