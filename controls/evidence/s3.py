"""S3 evidence store with Object Lock in compliance mode (retention from settings).

Keys are ``<prefix><sha256>``; the bucket must have Object Lock enabled. An existing key is
never written again (checked with HEAD first; with versioning, a stray write could only add a
version, and compliance retention means no version can be deleted before it expires).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from controls.errors import EvidenceError, EvidenceIntegrityError, EvidenceNotFoundError
from controls.evidence.model import EvidenceMeta, check_address, sha256_hex


class S3EvidenceStore:
    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        retention_days: int = 366,
        prefix: str = "evidence/sha256/",
    ) -> None:
        if retention_days < 1:
            raise ValueError("retention_days must be positive")
        self._s3 = client
        self._bucket = bucket
        self._retention = timedelta(days=retention_days)
        self._prefix = prefix

    def _key(self, sha256: str) -> str:
        return self._prefix + check_address(sha256)

    def put(
        self,
        content: bytes,
        *,
        collector: str,
        scope: str,
        collected_at: datetime,
        media_type: str = "application/json",
    ) -> EvidenceMeta:
        sha256 = sha256_hex(content)
        if self.exists(sha256):
            return self.meta(sha256)
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key(sha256),
                Body=content,
                ContentType=media_type,
                Metadata={
                    "collector": collector,
                    "scope": scope[:1024],
                    "collected-at": collected_at.isoformat(),
                },
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=collected_at + self._retention,
            )
        except ClientError as exc:
            raise EvidenceError(f"cannot store evidence: {_code(exc)}") from exc
        return self.meta(sha256)

    def get(self, sha256: str) -> bytes:
        try:
            answer = self._s3.get_object(Bucket=self._bucket, Key=self._key(sha256))
        except ClientError as exc:
            raise _translated(exc, sha256) from exc
        content = bytes(answer["Body"].read())
        if sha256_hex(content) != sha256:
            raise EvidenceIntegrityError(f"evidence {sha256} does not match its hash")
        return content

    def meta(self, sha256: str) -> EvidenceMeta:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=self._key(sha256))
        except ClientError as exc:
            raise _translated(exc, sha256) from exc
        metadata = head.get("Metadata", {})
        return EvidenceMeta(
            sha256=sha256,
            collector=metadata.get("collector", ""),
            scope=metadata.get("scope", ""),
            collected_at=datetime.fromisoformat(metadata["collected-at"]),
            media_type=head.get("ContentType", "application/octet-stream"),
            size=int(head.get("ContentLength", 0)),
        )

    def exists(self, sha256: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=self._key(sha256))
        except ClientError as exc:
            if _code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise EvidenceError(f"cannot read evidence: {_code(exc)}") from exc
        return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "unknown"))


def _translated(exc: ClientError, sha256: str) -> Exception:
    if _code(exc) in {"404", "NoSuchKey", "NotFound"}:
        return EvidenceNotFoundError(f"no evidence {sha256}")
    return EvidenceError(f"cannot read evidence: {_code(exc)}")
