"""The composition root builds identity from settings: key files 0600, stable kid, schema."""

from __future__ import annotations

import stat
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from audit import InMemoryAuditLog
from identity import IdentityService
from trustplane.settings import Settings
from trustplane.tables import metadata
from trustplane.wiring.identity import build_identity


def test_client_secrets_use_their_own_argon2_profile(tmp_path: Path, engine: Engine) -> None:
    from sqlalchemy import text

    from audit import SYSTEM_ACTOR

    settings = Settings.model_validate(
        {
            "data_dir": tmp_path,
            "identity": {
                "argon2_time_cost": 1,
                "argon2_memory_kib": 8,
                "argon2_parallelism": 1,
                "client_secret_argon2_time_cost": 2,
                "client_secret_argon2_memory_kib": 16,
                "client_secret_argon2_parallelism": 1,
            },
        }
    )
    service = build_identity(settings, engine, InMemoryAuditLog())
    account = service.create_service_account("svc-profile", ["service"], SYSTEM_ACTOR)
    service.create_user("p@finsolve.example", ["dpo"], SYSTEM_ACTOR)
    with engine.connect() as connection:
        (secret_hash,) = connection.execute(
            text("SELECT secret_hash FROM identity_service_accounts")
        ).one()
        (password_hash,) = connection.execute(
            text("SELECT password_hash FROM identity_users")
        ).one()
    assert "$m=16,t=2,p=1$" in secret_hash
    assert "$m=8,t=1,p=1$" in password_hash
    assert service.issue_token(account.client_id, account.client_secret).access_token


def test_key_files_are_created_0600_and_reused(tmp_path: Path, engine: Engine) -> None:
    settings = Settings(data_dir=tmp_path)
    first = build_identity(settings, engine, InMemoryAuditLog())
    for name in ("identity-signing.pem", "identity-totp.key"):
        mode = stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode)
        assert mode == 0o600
    second = build_identity(settings, engine, InMemoryAuditLog())
    assert isinstance(second, IdentityService)
    assert second.jwks() == first.jwks()


def test_oidc_issuers_from_settings(tmp_path: Path, engine: Engine) -> None:
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path,
            "identity": {
                "oidc_issuers": [
                    {
                        "issuer": "https://login.finsolve.example",
                        "jwks_url": "https://login.finsolve.example/jwks",
                        "audience": "trustplane",
                        "caller_kind": "service",
                    }
                ],
                "argon2_time_cost": 1,
                "argon2_memory_kib": 8,
                "argon2_parallelism": 1,
            },
        }
    )
    service = build_identity(settings, engine, InMemoryAuditLog())
    assert service._external


def test_migrated_schema_matches_the_identity_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata) if "identity" in str(d)]
    assert differences == []
