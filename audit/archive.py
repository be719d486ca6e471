"""Where archived segments and witness copies of checkpoints go.

``ArchiveStore`` is the port; the controls room's evidence store (local directory or S3
Object Lock) satisfies it in production; ``LocalDirArchiveStore`` is the embedded default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

from audit.errors import AuditError


@runtime_checkable
class ArchiveStore(Protocol):
    """Write-once objects by name (``segments/...``, ``checkpoints/...``)."""

    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...

    def names(self, prefix: str) -> list[str]:
        """Every object name under ``prefix`` (e.g. ``checkpoints/``), sorted."""
        ...


class LocalDirArchiveStore:
    """Objects as files under a directory, written atomically and never overwritten."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or ".." in parts:
            raise AuditError("archive object names are relative paths without '..'")
        return self.root.joinpath(*parts)

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            if path.read_bytes() == data:
                return
            raise AuditError(f"archive object {name} already exists with other content")
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)

    def get(self, name: str) -> bytes:
        path = self._path(name)
        if not path.exists():
            raise AuditError(f"archive object {name} is missing")
        return path.read_bytes()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def names(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/") or ".")
        if not base.is_dir():
            return []
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )
