from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from trustplane.settings import Mode, Settings, production_problems


def test_env_prefix_and_nested_sections(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUSTPLANE_IDENTITY__TOKEN_TTL_SECONDS", "600")
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", "postgresql+psycopg://tp:pw@db:5432/tp")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.identity.token_ttl_seconds == 600
    assert settings.effective_database_url.startswith("postgresql+psycopg://")


def test_default_database_is_sqlite_file_in_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'trustplane.db').resolve()}"


def test_production_refuses_sqlite_and_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTPLANE_MODE", "prod")
    monkeypatch.setenv("TRUSTPLANE_AUDIT__HMAC_KEY", "changeme")
    with pytest.raises(ValidationError) as info:
        Settings()
    message = str(info.value)
    assert "SQLite is dev-only" in message
    assert "HMAC_KEY is missing or a placeholder" in message


def test_production_accepts_explicit_configuration(tmp_path: Path) -> None:
    settings = Settings(
        mode=Mode.PROD,
        database_url="postgresql+psycopg://tp@db/tp",
        audit={"hmac_key": "a" * 64, "signing_key_path": tmp_path / "audit.key"},
        identity={"signing_key_path": tmp_path / "jwt.key"},
        vault={"provider": "vault"},
    )
    assert production_problems(settings) == []
    assert settings.cookie_secure is True


def test_dev_cookies_are_not_secure_unless_configured() -> None:
    assert Settings().cookie_secure is False
    assert Settings(web={"cookie_secure": True}).cookie_secure is True


def test_redacted_hides_secrets_and_url_password() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://tp:hunter2@db/tp",
        audit={"hmac_key": "super-secret-hmac-key"},
        policy={"opa_token": "opa-token-value"},
    )
    shown = str(settings.redacted())
    assert "hunter2" not in shown
    assert "super-secret-hmac-key" not in shown
    assert "opa-token-value" not in shown
    assert "tp:**********@db/tp" in shown


def test_invalid_log_level_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(log_level="chatty")
