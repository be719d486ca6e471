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
from trustplane.wiring import build_authenticator, build_identity


def test_key_files_are_created_0600_and_reused(tmp_path: Path, engine: Engine) -> None:
    settings = Settings(data_dir=tmp_path)
    first = build_identity(settings, engine, InMemoryAuditLog())
    for name in ("identity-signing.pem", "identity-totp.key"):
        mode = stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode)
        assert mode == 0o600
    second = build_authenticator(settings, engine, InMemoryAuditLog())
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
