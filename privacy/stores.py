"""Default adapters: packages in a directory, connectors chosen by the system's kind."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from privacy.connectors.base import Connector
from privacy.connectors.sql import SqlConnector
from privacy.datamap_model import SystemSpec
from privacy.errors import ConnectorError


class DirectoryPackageStore:
    """Zips in ``directory`` (0700), files 0600, named by request and hash, written
    atomically: the zip is built in memory, written to a temporary file, fsynced once,
    renamed into place and the directory fsynced (two fsyncs per package whatever its
    number of members)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, dsr_id: str, sha256: str) -> Path:
        return self.directory / f"{dsr_id}.{sha256}.zip"

    def put(self, dsr_id: str, content: bytes) -> None:
        """Store ``content`` under the request and its own SHA-256: two executions of one
        request at once never overwrite each other, the completed one reads its own."""
        digest = hashlib.sha256(content).hexdigest()
        temporary = self.directory / f".{dsr_id}.{uuid.uuid4().hex}.tmp"  # one per writer
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self._path(dsr_id, digest))
        _fsync_directory(self.directory)  # the rename itself survives a crash

    def get(self, dsr_id: str, sha256: str) -> bytes | None:
        for path in (self._path(dsr_id, sha256), self.directory / f"{dsr_id}.zip"):
            if path.exists():  # the second: a package stored before names carried the hash
                return path.read_bytes()
        return None


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class KindConnectors:
    """``ConnectorFactory``: one connector per system, cached by the system's definition."""

    def __init__(self) -> None:
        self._cache: dict[str, Connector] = {}
        # the service parses a data map once per version: the same SystemSpec object comes
        # back on every execution, found here without serializing it again
        self._seen: dict[int, tuple[SystemSpec, Connector]] = {}

    def __call__(self, system: SystemSpec) -> Connector:
        seen = self._seen.get(id(system))
        if seen is not None and seen[0] is system:
            return seen[1]
        key = system.model_dump_json()
        found = self._cache.get(key)
        if found is None:
            found = self._build(system)
            self._cache[key] = found
        self._seen[id(system)] = (system, found)
        return found

    def close(self) -> None:
        """Release every cached connector's pool or client (``Container.close``)."""
        cached, self._cache, self._seen = list(self._cache.values()), {}, {}
        for connector in cached:
            connector.close()

    def _build(self, system: SystemSpec) -> Connector:
        if system.kind == "sql":
            return SqlConnector(system)
        if system.kind == "s3":
            from privacy.connectors.s3 import S3Connector

            return S3Connector(system)
        if system.kind == "http":
            from privacy.connectors.http import HttpConnector

            return HttpConnector(system)
        raise ConnectorError(f"kind {system.kind!r} is handled as a manual task, not a connector")
