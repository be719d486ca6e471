"""The audit log's signing key in OpenBao transit (issue 14, item 2; ADR 0108), against the
real OpenBao dev server: tree heads and checkpoints are signed by transit's ed25519 key, and
``audit verify`` / ``verify-export`` check them with the public key OpenBao publishes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from audit import (
    AuditError,
    AuditIntegrityError,
    AuditUnavailableError,
    NoteVerifier,
    TransitNoteSigner,
    build_audit_log,
    export_lines,
    open_checkpoint,
    verify_export,
)
from audit.note import NoteSigner
from tests.audit.conftest import HMAC_KEY, ORIGIN, SIGNING_KEY, event
from tests.services import Server
from trustplane.cli import app
from trustplane.db import make_engine
from trustplane.errors import ConfigurationError
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings
from trustplane.wiring.audit import audit_engine, audit_signer, build_audit

BODY = f"{ORIGIN}\n3\n{'A' * 43}=\n"


@pytest.fixture
def bao(openbao: Server) -> hvac.Client:
    return hvac.Client(url=openbao.url, token=openbao.env["token"])


@pytest.fixture
def mount(bao: hvac.Client) -> str:
    path = f"transit-audit-{uuid.uuid4().hex[:8]}"
    bao.sys.enable_secrets_engine("transit", path=path)
    return path


def signer(bao: hvac.Client, mount: str, **kwargs: object) -> TransitNoteSigner:
    return TransitNoteSigner(ORIGIN, bao, "audit-log", mount_point=mount, **kwargs)  # type: ignore[arg-type]


def test_a_note_signed_in_openbao_verifies_with_the_key_openbao_publishes(
    bao: hvac.Client, mount: str
) -> None:
    transit = signer(bao, mount, create=True)
    published = bao.secrets.transit.read_key(name="audit-log", mount_point=mount)["data"]
    assert published["type"] == "ed25519"
    assert transit.key_version == 1
    note = transit.sign(BODY)
    assert open_checkpoint(note, transit.verifier, ORIGIN).tree_size == 3
    # a verifier key of a key this process holds does not open it
    with pytest.raises(AuditIntegrityError):
        open_checkpoint(note, NoteSigner(ORIGIN, SIGNING_KEY).verifier, ORIGIN)
    # the verifier key string round-trips (what `audit public-key` prints)
    assert NoteVerifier.parse(transit.verifier.encode()) == transit.verifier


def test_a_rotated_transit_key_does_not_change_the_pinned_signing_key(
    bao: hvac.Client, mount: str
) -> None:
    first = signer(bao, mount, create=True)
    bao.secrets.transit.rotate_key(name="audit-log", mount_point=mount)
    again = signer(bao, mount, key_version=1)
    assert again.verifier == first.verifier
    open_checkpoint(again.sign(BODY), first.verifier, ORIGIN)
    latest = signer(bao, mount)  # no version: the latest one (2), another verifier key
    assert latest.key_version == 2
    assert latest.verifier != first.verifier
    with pytest.raises(AuditIntegrityError):
        open_checkpoint(latest.sign(BODY), first.verifier, ORIGIN)


def test_a_missing_key_or_a_key_of_another_type_is_refused(bao: hvac.Client, mount: str) -> None:
    with pytest.raises(AuditError, match="does not exist"):
        signer(bao, mount)
    bao.secrets.transit.create_key(name="audit-log", key_type="aes256-gcm96", mount_point=mount)
    with pytest.raises(AuditError, match="not an ed25519 key"):
        signer(bao, mount, create=True)
    with pytest.raises(AuditError, match="no version 7"):
        TransitNoteSigner(ORIGIN, bao, "other", mount_point=mount, key_version=7, create=True)


def test_the_log_signs_every_head_in_openbao_and_verifies_with_its_key(
    engine: Engine, bao: hvac.Client, mount: str
) -> None:
    transit = signer(bao, mount, create=True)
    log = build_audit_log(
        engine, hmac_key=HMAC_KEY, signer=transit, origin=ORIGIN, checkpoint_every_events=5
    )
    try:
        for i in range(12):
            log.record(event(i))
        checkpoint = log.checkpoint()
        assert open_checkpoint(checkpoint.note, transit.verifier, ORIGIN).tree_size == 12
        head = log.store.head()
        assert head.signed_head is not None
        open_checkpoint(head.signed_head, transit.verifier, ORIGIN)  # the tail's signed head
        report = log.verify(workers=1)
        assert report.ok, report.problems
        lines = list(export_lines(log.store, checkpoint, 2, 9))
        assert verify_export(lines, transit.verifier, ORIGIN).ok
        assert not verify_export(lines, NoteSigner(ORIGIN, SIGNING_KEY).verifier, ORIGIN).ok
    finally:
        log.close()


def test_when_openbao_refuses_to_sign_nothing_is_stored(
    engine: Engine, bao: hvac.Client, mount: str, openbao: Server
) -> None:
    """Fail closed: a commit whose head cannot be signed is not a commit."""
    refused = hvac.Client(url=openbao.url, token=openbao.env["token"])
    transit = TransitNoteSigner(ORIGIN, refused, "audit-log", mount_point=mount, create=True)
    log = build_audit_log(engine, hmac_key=HMAC_KEY, signer=transit, origin=ORIGIN)
    try:
        log.record(event(0))
        refused.token = "not-a-token"  # e.g. the token expired or was revoked
        with pytest.raises(AuditUnavailableError):
            log.record(event(1))
        assert log.tree_size() == 1
        refused.token = openbao.env["token"]
        log.record(event(2))
        assert log.tree_size() == 2
        assert log.verify(workers=1).ok
    finally:
        log.close()


def test_a_signer_with_another_name_than_the_origin_is_refused(
    engine: Engine, bao: hvac.Client, mount: str
) -> None:
    with pytest.raises(ValueError, match="origin"):
        build_audit_log(
            engine,
            hmac_key=HMAC_KEY,
            signer=signer(bao, mount, create=True),
            origin="another.example/audit",
        )
    with pytest.raises(ValueError, match="exactly one"):
        build_audit_log(engine, hmac_key=HMAC_KEY, origin=ORIGIN)


@pytest.fixture
def openbao_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openbao: Server, mount: str
) -> Iterator[Settings]:
    data = tmp_path / "data"
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(data))
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", f"sqlite:///{tmp_path / 'tp.db'}")
    monkeypatch.delenv("TRUSTPLANE_MODE", raising=False)
    monkeypatch.setenv("TRUSTPLANE_AUDIT__SIGNING_BACKEND", "openbao")
    monkeypatch.setenv("TRUSTPLANE_AUDIT__SIGNING_OPENBAO_URL", openbao.url)
    monkeypatch.setenv("TRUSTPLANE_AUDIT__SIGNING_OPENBAO_TOKEN", openbao.env["token"])
    monkeypatch.setenv("TRUSTPLANE_AUDIT__SIGNING_TRANSIT_MOUNT", mount)
    settings = Settings()
    main = make_engine(settings.effective_database_url)
    upgrade(main)
    yield settings
    main.dispose()


def test_the_cli_checkpoints_and_verifies_with_the_openbao_key(
    openbao_env: Settings, bao: hvac.Client, mount: str
) -> None:
    runner = CliRunner()
    log = build_audit(openbao_env, make_engine(openbao_env.effective_database_url))
    try:
        for i in range(7):
            log.record(event(i))
    finally:
        log.close()
    assert not (openbao_env.keys_dir() / "audit-signing.pem").exists()  # no key file at all
    published = audit_signer(openbao_env).verifier.encode()
    key = runner.invoke(app, ["audit", "public-key"])
    assert key.exit_code == 0, key.output
    assert key.output.strip() == published
    done = runner.invoke(app, ["audit", "checkpoint"])
    assert done.exit_code == 0, done.output
    note = done.output
    body = open_checkpoint(note, NoteVerifier.parse(published), openbao_env.audit.origin)
    assert body.tree_size == 8  # the seven events and the checkpoint request
    verified = runner.invoke(app, ["audit", "verify", "--workers", "1"])
    assert verified.exit_code == 0, verified.output
    assert "audit log verifies" in verified.output
    # the same database checked with a file key instead: every signed head is foreign
    engine = audit_engine(openbao_env, make_engine(openbao_env.effective_database_url))
    other = build_audit_log(
        engine, hmac_key=HMAC_KEY, signing_key=SIGNING_KEY, origin=openbao_env.audit.origin
    )
    try:
        assert not other.verify(workers=1).ok
    finally:
        other.close()


def test_the_openbao_backend_without_an_address_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUSTPLANE_AUDIT__SIGNING_BACKEND", "openbao")
    monkeypatch.delenv("TRUSTPLANE_VAULT__VAULT_URL", raising=False)
    with pytest.raises(ConfigurationError, match="SIGNING_OPENBAO_URL"):
        audit_signer(Settings())
