"""trustplane command line (typer). Exit codes: 0 ok, 1 failure, 2 usage error.

The root app only mounts the command groups, one module each (``trustplane/cli/*.py``).
"""

from __future__ import annotations

import os

import typer

from trustplane.cli import (
    audit,
    breaches,
    consents,
    controls,
    grievances,
    privacy,
    reports,
    ropa,
    serve,
)
from trustplane.cli.config import config_app
from trustplane.cli.db import db_app
from trustplane.cli.help import hide_flag_types
from trustplane.cli.identity import service_accounts_app, users_app
from trustplane.cli.keys import keys_app
from trustplane.cli.policy import policy_app
from trustplane.private_files import private_umask

hide_flag_types()

app = typer.Typer(
    help="trustplane: FinSolve's compliance and security control plane.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(policy_app, name="policy")
app.add_typer(users_app, name="users")
app.add_typer(service_accounts_app, name="service-accounts")
app.add_typer(keys_app, name="keys")
controls.register(app)
audit.register(app)
reports.register(app)
privacy.register(app)
consents.register(app)
breaches.register(app)
ropa.register(app)
grievances.register(app)
serve.register(app)


@app.callback()
def main(ctx: typer.Context) -> None:
    """trustplane: FinSolve's compliance and security control plane."""
    previous = private_umask()  # databases, WAL files, archives, evidence, exports: owner only
    ctx.call_on_close(lambda: os.umask(previous))  # in-process callers get theirs back
