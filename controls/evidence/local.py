"""Local directory evidence store (the default): ``<root>/<aa>/<sha256>`` + ``.json`` sidecar.

Items are written to a temporary file and hard-linked into place, which fails if the name
exists: nothing is ever overwritten. Files are made read-only.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from controls.errors import EvidenceError, EvidenceIntegrityError, EvidenceNotFoundError
from controls.evidence.model import EvidenceMeta, check_address, sha256_hex


class LocalEvidenceStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._directory = os.fspath(root)

    def _path(self, sha256: str) -> Path:
        check_address(sha256)
        return self._root / sha256[:2] / sha256

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
        path = self._path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_once(path.with_suffix(".json"), meta.model_dump_json().encode())
        _create_once(path, content)
        return self.meta(sha256)

    def _file(self, sha256: str) -> str:
        """``_path`` as a string: a bundle reads thousands of items, and pathlib's parsing
        of each joined part cost about as much as reading a small item."""
        check_address(sha256)
        return os.path.join(self._directory, sha256[:2], sha256)

    def get(self, sha256: str) -> bytes:
        file = self._file(sha256)
        try:
            with open(file, "rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            raise EvidenceNotFoundError(f"no evidence {sha256}") from None
        if sha256_hex(content) != sha256:
            raise EvidenceIntegrityError(f"evidence {sha256} does not match its hash")
        return content

    def meta(self, sha256: str) -> EvidenceMeta:
        try:
            raw = self._path(sha256).with_suffix(".json").read_bytes()
        except FileNotFoundError:
            raise EvidenceNotFoundError(f"no evidence {sha256}") from None
        return EvidenceMeta.model_validate_json(raw)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()


def _create_once(path: Path, content: bytes) -> bool:
    """Write ``content`` at ``path`` unless it exists; True when this call created it."""
    if path.exists():
        return False
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o400)  # read-only, and the owner's alone
        try:
            os.link(temporary, path)  # atomic, and refuses to replace an existing name
        except FileExistsError:
            return False
        except OSError as exc:
            raise EvidenceError(f"cannot store evidence: {type(exc).__name__}") from exc
        return True
    finally:
        os.unlink(temporary)
