"""In-memory evidence store for unit tests of other rooms (never used by the server)."""

from __future__ import annotations

import threading
from datetime import datetime

from controls.errors import EvidenceNotFoundError
from controls.evidence.model import EvidenceMeta, check_address


class InMemoryEvidenceStore:
    def __init__(self) -> None:
        self.items: dict[str, tuple[EvidenceMeta, bytes]] = {}
        self._lock = threading.Lock()

    def put(
        self,
        content: bytes,
        *,
        collector: str,
        scope: str,
        collected_at: datetime,
        media_type: str = "application/json",
    ) -> EvidenceMeta:
        meta = EvidenceMeta.of(
            content,
            collector=collector,
            scope=scope,
            collected_at=collected_at,
            media_type=media_type,
        )
        sha256 = meta.sha256
        with self._lock:
            return self.items.setdefault(sha256, (meta, content))[0]

    def get(self, sha256: str) -> bytes:
        return self._item(sha256)[1]

    def meta(self, sha256: str) -> EvidenceMeta:
        return self._item(sha256)[0]

    def exists(self, sha256: str) -> bool:
        return check_address(sha256) in self.items

    def _item(self, sha256: str) -> tuple[EvidenceMeta, bytes]:
        try:
            return self.items[check_address(sha256)]
        except KeyError:
            raise EvidenceNotFoundError(f"no evidence {sha256}") from None
