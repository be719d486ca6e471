"""``s3`` connector: the principal's objects under a prefix (boto3).

The data map's prefix names an identifier kind (``customers/{email}/``) or the subject id
found in the other systems (``customers/{subject_id}/``). Export lists the objects and
includes small UTF-8 ones; erasure deletes every version (or keeps them under ``retain``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from privacy.connectors.base import ErasedField, ErasureReport, Export, Principal, Pseudonymize
from privacy.datamap_model import ErasureAction, SystemSpec
from privacy.errors import ConnectorError

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
INLINE_LIMIT = 256 * 1024


class S3Connector:
    kind = "s3"

    def __init__(self, system: SystemSpec, client: Any | None = None) -> None:
        if system.s3 is None:
            raise ConnectorError(f"system {system.name} has no s3 section")
        self.name = system.name
        self.system = system
        self.spec = system.s3
        self._client = client
        self._owns_client = client is None

    def close(self) -> None:
        """Close the boto3 client this connector created (its HTTP connection pool)."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            factory: Any = boto3.client
            self._client = factory(
                "s3", endpoint_url=self.spec.endpoint_url, region_name=self.spec.region
            )
        return self._client

    def prefixes(self, principal: Principal) -> list[str]:
        names = set(PLACEHOLDER.findall(self.spec.prefix))
        if names == {"subject_id"}:
            return [self.spec.prefix.replace("{subject_id}", s) for s in principal.subject_ids]
        if names == {principal.kind}:
            if "/" in principal.value:
                raise ConnectorError("identifier cannot contain '/' in an object prefix")
            return [self.spec.prefix.replace("{" + principal.kind + "}", principal.value)]
        return []

    def _objects(self, prefix: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.spec.bucket, Prefix=prefix):
            found.extend(page.get("Contents", []))
        return found

    def export(self, principal: Principal) -> Export:
        rows: list[dict[str, Any]] = []
        try:
            for prefix in self.prefixes(principal):
                for item in self._objects(prefix):
                    rows.append(self._row(item))
        except ConnectorError:
            raise
        except Exception as exc:  # botocore raises many kinds; all mean "this system failed"
            raise ConnectorError(f"system {self.name}: {type(exc).__name__}") from None
        category = self.spec.category.value
        return Export(
            tables={"objects": rows},
            categories={"objects": {"content": category}},
        )

    def _row(self, item: Mapping[str, Any]) -> dict[str, Any]:
        key = str(item["Key"])
        body = self.client.get_object(Bucket=self.spec.bucket, Key=key)["Body"].read()
        row: dict[str, Any] = {
            "key": key,
            "size": int(item["Size"]),
            "last_modified": item["LastModified"].isoformat(),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        if len(body) <= INLINE_LIMIT:
            try:
                row["content"] = body.decode("utf-8")
            except UnicodeDecodeError:
                row["content"] = None
        return row

    def correct(self, principal: Principal, changes: Mapping[str, Mapping[str, Any]]) -> int:
        raise ConnectorError(f"system {self.name}: objects are corrected by their owning service")

    def erase(self, principal: Principal, pseudonymize: Pseudonymize) -> ErasureReport:
        rule = self.system.on_erasure
        report = ErasureReport()
        try:
            for prefix in self.prefixes(principal):
                count = len(self._objects(prefix))
                if rule.action is ErasureAction.RETAIN:
                    action = ErasureAction.RETAIN
                elif rule.action is ErasureAction.DELETE:
                    self._delete_all_versions(prefix)
                    action = ErasureAction.DELETE
                else:
                    raise ConnectorError(
                        f"system {self.name}: objects can be deleted or retained, not "
                        f"{rule.action.value}"
                    )
                report.fields.append(
                    ErasedField(
                        self.name, self.spec.bucket, prefix, action, count, rule.reason, rule.until
                    )
                )
        except ConnectorError:
            raise
        except Exception as exc:
            raise ConnectorError(f"system {self.name}: {type(exc).__name__}") from None
        return report

    def _delete_all_versions(self, prefix: str) -> None:
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.spec.bucket, Prefix=prefix):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            for begin in range(0, len(doomed), 1000):
                self.client.delete_objects(
                    Bucket=self.spec.bucket, Delete={"Objects": doomed[begin : begin + 1000]}
                )
