"""What the composition root calls to build the audit log from plain values."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from audit.archive import ArchiveStore
from audit.log import AuditLog, Clock, utc_now
from audit.note import NoteSigner
from audit.ports import CheckpointSigner
from audit.redaction import Redactor
from audit.store import AuditStore

DEFAULT_SENSITIVE_KEYS = (
    "password",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "totp",
    "code",
    "email",
    "phone",
    "pan",
    "account_number",
    "card_number",
    "aadhaar",
    "name",
    "address",
    "ip",
    "principal_id",  # a data principal named in a privacy event (consent ledger)
)


def build_audit_log(
    engine: Engine,
    *,
    hmac_key: bytes,
    signing_key: Ed25519PrivateKey | None = None,
    origin: str,
    signer: CheckpointSigner | None = None,
    sensitive_keys: Iterable[str] = DEFAULT_SENSITIVE_KEYS,
    checkpoint_every_events: int = 1000,
    checkpoint_every_seconds: float = 60.0,
    record_timeout_seconds: float = 30.0,
    witness: ArchiveStore | None = None,
    clock: Clock = utc_now,
    on_alert: Callable[[str], None] | None = None,
) -> AuditLog:
    """An ``AuditLog`` over a migrated engine (SQLite or PostgreSQL).

    ``origin`` names the log in checkpoints and is the signed-note key name;
    ``sensitive_keys`` should include the fields the policy room's mask rules name.
    ``witness`` (optional) receives a copy of every checkpoint.
    The log signs with ``signer`` (e.g. ``TransitNoteSigner``: the key stays in OpenBao)
    or else with ``signing_key`` (a key this process holds); exactly one of them.
    Call ``close()`` on shutdown to stop the writer thread.
    """
    if (signer is None) == (signing_key is None):
        raise ValueError("the audit log needs exactly one of signing_key and signer")
    if signer is None:
        assert signing_key is not None
        signer = NoteSigner(origin, signing_key)
    elif signer.name != origin:
        raise ValueError("the signer's key name must be the log's origin")
    return AuditLog(
        AuditStore(engine),
        Redactor(hmac_key, sensitive_keys),
        signer,
        checkpoint_every_events=checkpoint_every_events,
        checkpoint_every_seconds=checkpoint_every_seconds,
        record_timeout_seconds=record_timeout_seconds,
        witness=witness,
        clock=clock,
        on_alert=on_alert,
    )
