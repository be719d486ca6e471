"""What the postgres collector saw: server settings and roles."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Role(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    superuser: bool
    can_login: bool


class PostgresSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    server: str  # host:port/database, never credentials
    ssl: str
    password_encryption: str
    log_connections: str
    roles: tuple[Role, ...]
    admin_roles: tuple[str, ...] = ("postgres",)
