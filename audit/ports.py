"""Ports of the audit room."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from audit.events import AuditEventIn, RecordedEvent
from audit.note import NoteVerifier


@runtime_checkable
class AuditRecorder(Protocol):
    """Everyone records into the audit log through this port.

    ``record`` returns only once the event is durable and raises
    ``AuditUnavailableError`` when it cannot be; the caller then fails closed.
    """

    def record(self, event: AuditEventIn) -> RecordedEvent: ...

    def record_many(self, events: Sequence[AuditEventIn]) -> list[RecordedEvent]: ...


class CheckpointSigner(Protocol):
    """Signs tree heads and checkpoints as C2SP signed notes with the log's Ed25519 key.

    Adapters: ``NoteSigner`` (a key file, 0600) and ``TransitNoteSigner`` (an OpenBao or
    Vault transit key that never leaves the server). ``sign`` raises
    ``AuditUnavailableError`` when the key's holder cannot sign now: the commit that needed
    the signature then fails, and nothing unsigned is stored.
    """

    @property
    def name(self) -> str:
        """The signed-note key name (the log's origin)."""
        ...

    @property
    def verifier(self) -> NoteVerifier:
        """The public key that verifies what this signer signs."""
        ...

    def sign(self, body: str) -> str:
        """``body`` (a note body: ends with a newline, no blank line) as a signed note."""
        ...
