"""Ports the privacy service reads and writes through (the composition root plugs them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from audit import Actor
from privacy.connectors.base import Connector
from privacy.datamap_model import SystemSpec
from vault import Accessor, DecryptOutcome, FieldContext


class Decrypter(Protocol):
    """The vault's authorized, audited decrypt (``vault.FieldCipher``)."""

    def decrypt_batch(
        self, items: Sequence[tuple[str, FieldContext]], accessor: Accessor
    ) -> list[DecryptOutcome]: ...


class SubjectShredder(Protocol):
    """Crypto-shredding of a data principal's keys in the vault."""

    def has_keys(self, subject_id: str) -> bool: ...

    def shred(self, subject_id: str, actor: Actor) -> int:
        """Destroy the subject's data keys; returns how many."""
        ...


class ConnectorFactory(Protocol):
    def __call__(self, system: SystemSpec) -> Connector: ...

    def close(self) -> None:
        """Release the connectors handed out (their pools and clients)."""
        ...


class PackageStore(Protocol):
    def put(self, dsr_id: str, content: bytes) -> None: ...

    def get(self, dsr_id: str, sha256: str) -> bytes | None:
        """The package of ``dsr_id`` whose content has ``sha256`` (None: not stored)."""
        ...
