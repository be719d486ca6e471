"""``trustplane users create`` / ``service-accounts create`` on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from trustplane.cli import app
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade

runner = CliRunner()


@pytest.fixture
def migrated(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", db_url)
    monkeypatch.delenv("TRUSTPLANE_MODE", raising=False)
    for name, value in (("TIME_COST", "1"), ("MEMORY_KIB", "8"), ("PARALLELISM", "1")):
        monkeypatch.setenv(f"TRUSTPLANE_IDENTITY__ARGON2_{name}", value)
        monkeypatch.setenv(f"TRUSTPLANE_IDENTITY__CLIENT_SECRET_ARGON2_{name}", value)
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


def test_users_create_prints_credentials_once(migrated: str) -> None:
    args = ["users", "create", "--email", "ana@finsolve.example", "--role", "auditor,dpo"]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2
    assert "engagement" in missing.output
    bad_date = runner.invoke(app, [*args, "--engagement-expires", "31/01/2099"])
    assert bad_date.exit_code == 2
    result = runner.invoke(app, [*args, "--engagement-expires", "2099-01-31"])
    assert result.exit_code == 0, result.output
    assert "engagement expires: 2099-02-01T00:00:00Z" in result.output
    assert "one-time password:" in result.output
    assert "otpauth://totp/" in result.output
    as_json = runner.invoke(
        app, ["users", "create", "--email", "raj@finsolve.example", "--role", "dpo", "--json"]
    )
    created = json.loads(as_json.stdout)
    assert created["roles"] == ["dpo"]
    assert created["engagement_expires_at"] is None
    assert created["totp_uri"].startswith("otpauth://totp/")
    engine = make_engine(migrated)
    with engine.connect() as connection:
        stored = " ".join(
            str(v) for row in connection.execute(text("SELECT * FROM identity_users")) for v in row
        )
    engine.dispose()
    assert created["password"] not in stored


def test_service_accounts_create_json_is_exactly_id_and_secret(migrated: str) -> None:
    result = runner.invoke(
        app,
        [
            "service-accounts",
            "create",
            "--name",
            "payments",
            "--roles",
            "service,svc:payments",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)  # logs go to stderr; stdout is the contract
    assert set(created) == {"client_id", "client_secret"}
    plain = runner.invoke(
        app, ["service-accounts", "create", "--name", "wealth", "--roles", "svc:wealth"]
    )
    assert "client_secret: tps_" in plain.output


def test_json_output_stays_pure_when_a_warning_is_logged(migrated: str, tmp_path: Path) -> None:
    """A data dir the command tightens logs a warning: to stderr, never into the JSON."""
    (tmp_path / "trustplane.db").touch()
    (tmp_path / "trustplane.db").chmod(0o644)  # group/world readable: tightened, with a warning
    result = runner.invoke(
        app, ["service-accounts", "create", "--name", "ledger", "--roles", "service", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"client_id", "client_secret"}
    assert "tightened" in result.stderr
    assert (tmp_path / "trustplane.db").stat().st_mode & 0o777 == 0o600


def test_errors_have_clear_messages_and_exit_codes(migrated: str) -> None:
    args = ["users", "create", "--email", "dup@finsolve.example", "--role", "dpo"]
    assert runner.invoke(app, args).exit_code == 0
    duplicate = runner.invoke(app, args)
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    unknown = runner.invoke(
        app, ["users", "create", "--email", "x@finsolve.example", "--role", "god"]
    )
    assert unknown.exit_code == 2
    assert "unknown role" in unknown.output


def test_unmigrated_database_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TRUSTPLANE_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRUSTPLANE_MODE", raising=False)
    result = runner.invoke(app, ["service-accounts", "create", "--name", "a", "--roles", "service"])
    assert result.exit_code == 1
    assert "trustplane db upgrade" in result.output


@pytest.mark.parametrize(
    "argv", [["users"], ["users", "create"], ["service-accounts"], ["service-accounts", "create"]]
)
def test_help(argv: list[str]) -> None:
    result = runner.invoke(app, [*argv, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_demo_seed_creates_admin_and_service_once(migrated: str) -> None:
    from trustplane.container import build_container
    from trustplane.settings import Settings

    container = build_container(Settings())
    try:
        first = [line for seeder in container.demo_seeders for line in seeder()]
        second = [line for seeder in container.demo_seeders for line in seeder()]
    finally:
        container.close()
    assert any("one-time password" in line for line in first)
    assert any("client_secret: tps_" in line for line in first)
    assert all("tps_" not in line and "password:" not in line for line in second)


def test_auditor_service_account_with_engagement(migrated: str) -> None:
    args = ["service-accounts", "create", "--name", "grc-tool", "--roles", "auditor"]
    assert runner.invoke(app, args).exit_code == 2
    result = runner.invoke(app, [*args, "--engagement-expires", "2099-06-30T12:00:00Z", "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"client_id", "client_secret"}
    engine = make_engine(migrated)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT engagement_expires_at FROM identity_service_accounts")
        ).scalar_one()
    engine.dispose()
    assert str(stored).startswith("2099-06-30 12:00:00")


def test_set_engagement_commands(migrated: str) -> None:
    expires = "--engagement-expires"
    created = runner.invoke(
        app,
        [
            "service-accounts",
            "create",
            "--name",
            "grc",
            "--roles",
            "auditor",
            "--json",
            expires,
            "2099-01-31",
        ],
    )
    client_id = json.loads(created.stdout)["client_id"]
    set_account = ["service-accounts", "set-engagement", "--client-id", client_id]
    extended = runner.invoke(app, [*set_account, expires, "2099-12-31T00:00:00Z"])
    assert extended.exit_code == 0, extended.output
    assert "2099-12-31T00:00:00Z" in extended.output
    new_user = ["users", "create", "--email", "aud@bigfour.example", "--role", "auditor"]
    runner.invoke(app, [*new_user, expires, "2099-01-31"])
    set_user = ["users", "set-engagement", "--email"]
    ended = runner.invoke(app, [*set_user, "aud@bigfour.example", expires, "2020-01-01"])
    assert ended.exit_code == 0, ended.output
    missing = runner.invoke(app, [*set_user, "nobody@bigfour.example", expires, "2099-01-01"])
    assert missing.exit_code == 1
    assert "no such user" in missing.output
    engine = make_engine(migrated)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT engagement_expires_at FROM identity_users")
        ).scalar_one()
    engine.dispose()
    assert str(stored).startswith("2020-01-02 00:00:00")


def test_users_change_password_prompts_and_applies_the_policy(migrated: str) -> None:
    created = json.loads(
        runner.invoke(
            app, ["users", "create", "--email", "mo@finsolve.example", "--role", "dpo", "--json"]
        ).stdout
    )
    args = ["users", "change-password", "--email", "mo@finsolve.example"]
    new = "a long enough new password"
    wrong = runner.invoke(app, args, input=f"not it\n{new}\n{new}\n")
    assert wrong.exit_code == 2
    assert "current password is not right" in wrong.output
    short = runner.invoke(app, args, input=f"{created['password']}\nshort\nshort\n")
    assert short.exit_code == 2
    assert "at least 12" in short.output
    done = runner.invoke(app, args, input=f"{created['password']}\n{new}\n{new}\n")
    assert done.exit_code == 0, done.output
    assert "password changed" in done.output
    assert new not in done.output
    assert created["password"] not in done.output
    engine = make_engine(migrated)
    with engine.connect() as connection:
        flag = connection.execute(
            text("SELECT must_change_password FROM identity_users WHERE email = :e"),
            {"e": "mo@finsolve.example"},
        ).scalar()
    engine.dispose()
    assert not flag
