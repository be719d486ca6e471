"""S3 archive store: segments and witness checkpoints as Object Lock (compliance) objects.

Keys are ``<prefix><name>``; the bucket must have Object Lock enabled (as the evidence
bucket has). An existing key is never written again with other content.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from audit.errors import AuditError


class S3ArchiveStore:
    def __init__(
        self, client: Any, bucket: str, *, prefix: str = "audit/", retention_days: int = 366
    ) -> None:
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix
        self._retention = timedelta(days=retention_days)

    def _key(self, name: str) -> str:
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise AuditError("archive object names are relative paths without '..'")
        return self._prefix + name

    def put(self, name: str, data: bytes) -> None:
        key = self._key(name)
        existing = self._read(key)
        if existing is not None:
            if existing == data:
                return
            raise AuditError(f"archive object {name} already exists with other content")
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=datetime.now(UTC) + self._retention,
            )
        except Exception as exc:  # botocore raises many kinds; all mean "not archived"
            raise AuditError(f"archive object {name} could not be written") from exc

    def get(self, name: str) -> bytes:
        data = self._read(self._key(name))
        if data is None:
            raise AuditError(f"archive object {name} is missing")
        return data

    def delete(self, name: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=self._key(name))
        except Exception as exc:
            raise AuditError(f"archive object {name} could not be deleted") from exc

    def names(self, prefix: str) -> list[str]:
        found: list[str] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=self._key(prefix.rstrip("/") + "/")
            )
            for page in pages:
                found += [item["Key"][len(self._prefix) :] for item in page.get("Contents", [])]
        except Exception as exc:
            raise AuditError("archive store unavailable") from exc
        return sorted(found)

    def _read(self, key: str) -> bytes | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise AuditError("archive store unavailable") from exc
        body: bytes = response["Body"].read()
        return body
