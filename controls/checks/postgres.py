"""Checks over the postgres snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from controls.checks.registry import REGISTRY
from controls.findings import Result, verdict
from controls.snapshots.postgres import PostgresSnapshot

check = REGISTRY.register


@check("postgres.ssl", "postgres", "Server accepts TLS connections (ssl = on)")
def ssl_on(snap: PostgresSnapshot) -> Iterator[Result]:
    yield verdict(snap.ssl == "on", f"postgres:{snap.server}", "ssl = on", f"ssl = {snap.ssl}")


@check("postgres.password_encryption", "postgres", "Passwords hashed with SCRAM-SHA-256")
def password_encryption(snap: PostgresSnapshot) -> Iterator[Result]:
    yield verdict(
        snap.password_encryption == "scram-sha-256",
        f"postgres:{snap.server}",
        "password_encryption = scram-sha-256",
        f"password_encryption = {snap.password_encryption}",
    )


@check("postgres.log_connections", "postgres", "Connections are logged")
def log_connections(snap: PostgresSnapshot) -> Iterator[Result]:
    yield verdict(
        snap.log_connections == "on",
        f"postgres:{snap.server}",
        "log_connections = on",
        f"log_connections = {snap.log_connections}",
    )


@check("postgres.no_superuser_app_roles", "postgres", "Application roles are not superusers")
def no_superuser_app_roles(snap: PostgresSnapshot) -> Iterator[Result]:
    for role in snap.roles:
        if not role.can_login or role.name in snap.admin_roles:
            continue
        yield verdict(
            not role.superuser,
            f"postgres:{snap.server}/role/{role.name}",
            "login role without superuser",
            "application login role is superuser",
        )
