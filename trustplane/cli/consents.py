"""CLI of the consent ledger and notices: ``trustplane consents ...``, ``trustplane notices``.

The commands act as the local DPO (``--actor``, default ``cli-dpo``) on this installation's
database; every grant and withdrawal is audited like the API's (``consent_change``).
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from typing import Annotated, Any

import typer

from privacy import ConsentEvent, ConsentLedger
from trustplane.cli.dpo import ActorOpt, dpo, opened

consents_app = typer.Typer(help="The consent ledger (grants, withdrawals).", no_args_is_help=True)
notices_app = typer.Typer(help="Privacy notices in English and Hindi.", no_args_is_help=True)

ChannelOpt = Annotated[str, typer.Option("--channel", help="app, web, branch, call_centre, ...")]
ManagerOpt = Annotated[
    str | None, typer.Option("--consent-manager", help="Consent manager id (DPDP s.6(7))")
]


def register(app: typer.Typer) -> None:
    app.add_typer(consents_app, name="consents")
    app.add_typer(notices_app, name="notices")


def _ledger() -> AbstractContextManager[ConsentLedger]:
    return opened(lambda container: container.consents)


def _event(event: ConsentEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "principal": event.principal_id,
        "purpose": event.purpose,
        "action": event.action.value,
        "at": event.at.isoformat(),
        "channel": event.channel,
        "notice": f"{event.notice_id}@{event.notice_version}",
        "consent_manager_id": event.consent_manager_id,
        "actor": event.actor,
        "audit_seq": event.audit_seq,
    }


def _print(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@consents_app.command("grant")
def grant(
    principal: str,
    purpose: str,
    *,
    notice: Annotated[str, typer.Option("--notice", help="Notice id")] = "finsolve-privacy",
    version: Annotated[int | None, typer.Option("--version", help="Notice version")] = None,
    channel: ChannelOpt = "app",
    consent_manager: ManagerOpt = None,
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Record PRINCIPAL's consent to PURPOSE under a notice version (latest by default)."""
    with _ledger() as ledger:
        event = ledger.grant(
            principal,
            purpose,
            channel=channel,
            notice_id=notice,
            notice_version=version,
            consent_manager_id=consent_manager,
            actor=dpo(actor),
        )
        _print(_event(event))


@consents_app.command("withdraw")
def withdraw(
    principal: str,
    purpose: str,
    *,
    channel: ChannelOpt = "app",
    consent_manager: ManagerOpt = None,
    actor: ActorOpt = "cli-dpo",
) -> None:
    """Withdraw PRINCIPAL's consent to PURPOSE; the next decision sees it."""
    with _ledger() as ledger:
        event = ledger.withdraw(
            principal,
            purpose,
            channel=channel,
            consent_manager_id=consent_manager,
            actor=dpo(actor),
        )
        _print(_event(event))


@consents_app.command("show")
def show(principal: str) -> None:
    """PRINCIPAL's consents in force and their history (with audit indices)."""
    with _ledger() as ledger:
        state = ledger.state(principal)
        _print(
            {
                "principal": principal,
                "granted": sorted(state.granted),
                "history": [_event(event) for event in state.history],
            }
        )


@consents_app.command("purposes")
def purposes() -> None:
    """The purposes that need consent, with their descriptions."""
    with _ledger() as ledger:
        _print({p.name: p.description for p in ledger.purpose_list()})


@notices_app.command("show")
def show_notice(
    notice_id: Annotated[str, typer.Argument()] = "finsolve-privacy",
    lang: Annotated[str, typer.Option("--lang", help="en or hi")] = "en",
    version: Annotated[int | None, typer.Option("--version")] = None,
) -> None:
    """Print a notice as a data principal reads it."""
    with _ledger() as ledger:
        sys.stdout.write(ledger.notices.render(notice_id, lang, version))
