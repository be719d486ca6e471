"""Evidence metadata and the ``EvidenceStore`` port."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from controls.errors import EvidenceNotFoundError

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class EvidenceMeta(BaseModel):
    """What is known about a stored item; the first put of a content wins."""

    model_config = ConfigDict(frozen=True)

    sha256: str = Field(pattern=SHA256_PATTERN)
    collector: str
    scope: str
    collected_at: datetime
    media_type: str = "application/json"
    size: int = Field(ge=0)

    @classmethod
    def of(
        cls,
        content: bytes,
        *,
        collector: str,
        scope: str,
        collected_at: datetime,
        media_type: str = "application/json",
    ) -> EvidenceMeta:
        """The metadata of ``content`` as a store records it at its first put."""
        return cls(
            sha256=sha256_hex(content),
            collector=collector,
            scope=scope,
            collected_at=collected_at,
            media_type=media_type,
            size=len(content),
        )


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_address(sha256: str) -> str:
    """Refuse anything but a lowercase SHA-256 hex digest (it becomes a path or key)."""
    if not re.fullmatch(SHA256_PATTERN, sha256):
        raise EvidenceNotFoundError("not a SHA-256 address")
    return sha256


@runtime_checkable
class EvidenceStore(Protocol):
    def put(
        self,
        content: bytes,
        *,
        collector: str,
        scope: str,
        collected_at: datetime,
        media_type: str = "application/json",
    ) -> EvidenceMeta:
        """Store ``content`` under its SHA-256 unless already there (then return that item)."""
        ...

    def get(self, sha256: str) -> bytes:
        """The content, re-hashed: ``EvidenceIntegrityError`` if it no longer matches."""
        ...

    def meta(self, sha256: str) -> EvidenceMeta: ...

    def exists(self, sha256: str) -> bool: ...
