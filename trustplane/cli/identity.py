"""``trustplane users create|change-password`` and ``trustplane service-accounts create``
(typer sub-apps).

Credentials are printed exactly once, to stdout, and never logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from audit import Actor, AuditError
from identity import IdentityError, IdentityService, InvalidInputError, parse_engagement, rfc3339_z
from trustplane.cli.common import load_settings
from trustplane.container import build_container
from trustplane.errors import TrustplaneError

CLI_ACTOR = Actor(id="trustplane-cli", kind="system")

users_app = typer.Typer(help="Human users (email, password, TOTP).", no_args_is_help=True)
service_accounts_app = typer.Typer(
    help="Service accounts (OAuth 2.0 client credentials).", no_args_is_help=True
)

T = TypeVar("T")

ENGAGEMENT_HELP = (
    "When auditor access ends: YYYY-MM-DD (through that UTC day) or an RFC 3339 time; "
    "required for the auditor role"
)


def engagement_option(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_engagement(value)
    except InvalidInputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engagement-expires") from exc


def split_roles(values: list[str]) -> list[str]:
    """``--role a --role b`` and ``--roles a,b`` both work."""
    return [role.strip() for value in values for role in value.split(",") if role.strip()]


@contextmanager
def identity_service() -> Iterator[IdentityService]:

    settings = load_settings()
    try:
        container = build_container(settings)
    except TrustplaneError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(1) from exc
    try:
        service = container.authenticator
        assert isinstance(service, IdentityService)  # the composition root wires identity
        yield service
    finally:
        container.close()


def run(action: Callable[[IdentityService], T]) -> T:
    """Run one identity action with clear errors: 1 for failures, 2 for bad input."""
    with identity_service() as service:
        try:
            return action(service)
        except (OperationalError, ProgrammingError) as exc:
            typer.secho(
                "error: the database is not reachable or not migrated; "
                "run `trustplane db upgrade` first",
                err=True,
                fg="red",
            )
            raise typer.Exit(1) from exc
        except IdentityError as exc:
            message = str(exc).replace("(engagement_expires_at)", "(--engagement-expires)")
            typer.secho(f"error: {message}", err=True, fg="red")
            raise typer.Exit(2 if isinstance(exc, InvalidInputError) else 1) from exc
        except AuditError as exc:
            typer.secho(f"error: audit log unavailable: {exc}", err=True, fg="red")
            raise typer.Exit(1) from exc


def expiry_text(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339_z(moment)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The user's email address (sign-in name)")],
    role: Annotated[
        list[str], typer.Option("--role", help="Role (repeat, or comma-separate, for several)")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    engagement_expires: Annotated[
        str | None, typer.Option("--engagement-expires", help=ENGAGEMENT_HELP)
    ] = None,
) -> None:
    """Create a user; prints a one-time password and the TOTP provisioning URI once."""
    engagement = engagement_option(engagement_expires)
    created = run(
        lambda service: service.create_user(
            email, split_roles(role), CLI_ACTOR, engagement_expires_at=engagement
        )
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "user_id": created.user_id,
                    "email": created.email,
                    "roles": sorted(created.roles),
                    "password": created.password,
                    "totp_uri": created.totp_uri,
                    "engagement_expires_at": expiry_text(created.engagement_expires_at),
                }
            )
        )
        return
    typer.echo(f"user created: {created.user_id} ({', '.join(sorted(created.roles))})")
    if created.engagement_expires_at:
        typer.echo(f"engagement expires: {expiry_text(created.engagement_expires_at)}")
    typer.echo(f"one-time password: {created.password}")
    typer.echo(f"TOTP provisioning URI: {created.totp_uri}")
    typer.echo("these are shown once: hand them over now; trustplane stores only hashes")


@users_app.command("change-password")
def users_change_password(
    email: Annotated[str, typer.Option(help="The user's email address (sign-in name)")],
) -> None:
    """Change a user's password: the current one, then the new one twice (prompted, never
    echoed nor taken from the command line). Every session of the user ends."""
    current = typer.prompt("Current password", hide_input=True)
    new = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    ended = run(lambda service: service.change_password_of(email, current, new))
    typer.echo(f"password changed; {ended} session(s) ended")


@service_accounts_app.command("create")
def service_accounts_create(
    name: Annotated[str, typer.Option(help="Unique name, e.g. payments-api")],
    roles: Annotated[str, typer.Option(help="ROLE[,ROLE...]")],
    as_json: Annotated[
        bool, typer.Option("--json", help='Print exactly {"client_id": ..., "client_secret": ...}')
    ] = False,
    engagement_expires: Annotated[
        str | None, typer.Option("--engagement-expires", help=ENGAGEMENT_HELP)
    ] = None,
) -> None:
    """Create a service account; prints its client id and client secret once."""
    engagement = engagement_option(engagement_expires)
    created = run(
        lambda service: service.create_service_account(
            name, split_roles([roles]), CLI_ACTOR, engagement_expires_at=engagement
        )
    )
    if as_json:
        typer.echo(
            json.dumps({"client_id": created.client_id, "client_secret": created.client_secret})
        )
        return
    typer.echo(f"service account created: {created.name} ({', '.join(sorted(created.roles))})")
    if created.engagement_expires_at:
        typer.echo(f"engagement expires: {expiry_text(created.engagement_expires_at)}")
    typer.echo(f"client_id: {created.client_id}")
    typer.echo(f"client_secret: {created.client_secret}")
    typer.echo("the secret is shown once: store it now; trustplane stores only a hash")


def engagement_set(account: str, expires: str) -> None:
    moment = engagement_option(expires)
    assert moment is not None
    stored = run(lambda service: service.set_engagement(account, moment, CLI_ACTOR))
    typer.echo(f"engagement of {account} expires: {rfc3339_z(stored)}")


@users_app.command("set-engagement")
def users_set_engagement(
    email: Annotated[str, typer.Option(help="The user's email address")],
    expires: Annotated[str, typer.Option("--engagement-expires", help=ENGAGEMENT_HELP)],
) -> None:
    """Extend or end a user's auditor engagement (a past time ends it now)."""
    engagement_set(email, expires)


@service_accounts_app.command("set-engagement")
def service_accounts_set_engagement(
    client_id: Annotated[str, typer.Option(help="The service account's client id")],
    expires: Annotated[str, typer.Option("--engagement-expires", help=ENGAGEMENT_HELP)],
) -> None:
    """Extend or end a service account's auditor engagement (a past time ends it now)."""
    engagement_set(client_id, expires)
