"""Composition of the audit room from settings: keys, the durable log, archive, retention.

Keys (ADR 0100, 0108): the checkpoint-signing key is ``audit.signing_key_path`` or
``<data_dir>/keys/audit-signing.pem``, or with ``audit.signing_backend = "openbao"`` a transit
ed25519 key that stays in OpenBao; the redaction HMAC key is ``audit.hmac_key`` (hex, or
else its UTF-8 bytes) or the file ``audit.hmac_key_path`` / ``<data_dir>/keys/audit-hmac.key``.
Key files are created at first run with mode 0600 and refused when others may read them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from alembic import command
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from audit import (
    ArchiveStore,
    AuditError,
    AuditLog,
    CheckpointSigner,
    LocalDirArchiveStore,
    NoteSigner,
    RetentionService,
    S3ArchiveStore,
    TransitNoteSigner,
    build_audit_log,
    load_or_create_hmac_key,
    load_or_create_signing_key,
    transit_client,
)
from trustplane.db import make_engine
from trustplane.errors import ConfigurationError
from trustplane.keyfiles import key_file_errors
from trustplane.migrations.runner import alembic_config, migration_lock
from trustplane.settings import Settings

MIN_HMAC_KEY_BYTES = 16


def hmac_key_from_setting(value: str) -> bytes:
    """Hex when the value is hex (as the generated key file holds), else its UTF-8 bytes."""
    text = value.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = text.encode()
    if len(key) < MIN_HMAC_KEY_BYTES:
        raise ConfigurationError(
            f"TRUSTPLANE_AUDIT__HMAC_KEY must hold at least {MIN_HMAC_KEY_BYTES} bytes"
        )
    return key


def audit_hmac_key(settings: Settings) -> bytes:
    section = settings.audit
    if section.hmac_key is not None:
        return hmac_key_from_setting(section.hmac_key.get_secret_value())
    path = section.hmac_key_path or settings.keys_dir() / "audit-hmac.key"
    with key_file_errors():
        return load_or_create_hmac_key(path)


def audit_signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = settings.audit.signing_key_path or settings.keys_dir() / "audit-signing.pem"
    with key_file_errors():
        return load_or_create_signing_key(path)


def audit_signer(settings: Settings) -> CheckpointSigner:
    """The tree-head signer ``audit.signing_backend`` names (ADR 0108): the key file, or a
    transit ed25519 key in OpenBao/Vault (URL and token default to the vault section's)."""
    section = settings.audit
    if section.signing_backend == "file":
        return NoteSigner(section.origin, audit_signing_key(settings))
    url = section.signing_openbao_url or settings.vault.vault_url
    token = section.signing_openbao_token or settings.vault.vault_token
    if not url or token is None:
        raise ConfigurationError(
            "the openbao signing backend needs TRUSTPLANE_AUDIT__SIGNING_OPENBAO_URL and "
            "TRUSTPLANE_AUDIT__SIGNING_OPENBAO_TOKEN (or the vault section's)"
        )
    client = transit_client(
        url, token=token.get_secret_value(), namespace=section.signing_openbao_namespace
    )
    try:
        return TransitNoteSigner(
            section.origin,
            client,
            section.signing_transit_key,
            mount_point=section.signing_transit_mount,
            key_version=section.signing_transit_key_version,
            create=section.signing_transit_create,
        )
    except AuditError as exc:
        raise ConfigurationError(f"audit signing key in OpenBao: {exc}") from exc


def build_archive(settings: Settings) -> ArchiveStore:
    """Where segments and witness checkpoints go: local dir, or the S3 evidence bucket."""
    section = settings.audit
    if section.archive_backend == "s3":
        bucket = section.archive_s3_bucket or settings.controls.evidence_s3_bucket
        if not bucket:
            raise ConfigurationError(
                "TRUSTPLANE_AUDIT__ARCHIVE_S3_BUCKET (or the evidence bucket) is required for s3"
            )
        factory: Any = boto3.client
        client = factory("s3", endpoint_url=settings.controls.aws_endpoint_url)
        return S3ArchiveStore(
            client,
            bucket,
            prefix=section.archive_s3_prefix,
            retention_days=section.archive_retention_days,
        )
    return LocalDirArchiveStore(section.archive_dir or settings.data_dir / "audit-archive")


def audit_engine(settings: Settings, engine: Engine) -> Engine:
    """PostgreSQL: the process's engine. SQLite: a file of its own, migrated here.

    SQLite has one writer per file; rooms record their audit event inside their own write
    transaction (so a failed record rolls the change back), which would wait on itself.
    """
    if engine.dialect.name != "sqlite":
        return engine
    path = settings.audit.sqlite_path or settings.data_dir / "audit.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    own = make_engine(f"sqlite:///{path.resolve()}")
    upgrade_audit_branch(own)
    return own


def upgrade_audit_branch(engine: Engine) -> None:
    """Apply the audit branch to the log's own file (skipped, silently, when current)."""

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(config).get_revision("audit@head")
    if head is not None and head.revision in _applied(engine):
        return
    try:
        with migration_lock(engine), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "audit@head")
    except Exception:  # another process may have migrated the file first
        if head is None or head.revision not in _applied(engine):
            raise


def _applied(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        rows = connection.execute(text("SELECT version_num FROM alembic_version"))
        return {str(row[0]) for row in rows}


def _real_time() -> datetime:
    return datetime.now(UTC)


def build_audit(
    settings: Settings, engine: Engine, clock: Callable[[], datetime] | None = None
) -> AuditLog:
    """The durable log (on SQLite in its own file, see ``audit_engine``); ``clock`` is the
    demo's seeding clock (``trustplane.demo.clock``), real time otherwise."""
    section = settings.audit
    return build_audit_log(
        audit_engine(settings, engine),
        hmac_key=audit_hmac_key(settings),
        signer=audit_signer(settings),
        origin=section.origin,
        sensitive_keys=section.sensitive_keys,
        checkpoint_every_events=section.checkpoint_every_events,
        checkpoint_every_seconds=section.checkpoint_every_seconds,
        record_timeout_seconds=section.record_timeout_seconds,
        witness=build_archive(settings) if section.witness_checkpoints else None,
        clock=clock or _real_time,
    )


def build_retention(settings: Settings, log: AuditLog) -> RetentionService:
    section = settings.audit
    return RetentionService(
        log,
        build_archive(settings),
        hot_days=section.hot_retention_days,
        archive_days=section.archive_retention_days,
    )


def audit_log_ready(log: AuditLog) -> Callable[[], None]:
    """Readiness of the log: its head row is readable."""

    def log_readable() -> None:
        log.store.head()

    return log_readable
