"""``http`` connector: a domain service reached by a signed webhook (``privacy.webhook``).

POST ``{"action", "request_id", "principal", "changes"}``; the service answers export with
``{"tables": {name: [rows]}}``, erase with ``{"erased": [{table, field, action, rows,
reason?, until?}]}``, correct with ``{"rows": n}``. Any non-2xx or malformed answer is a
``ConnectorError``: the step fails and stays retryable.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Mapping
from typing import Any

import httpx

from privacy.connectors.base import (
    ErasedField,
    ErasureReport,
    Export,
    Principal,
    Pseudonymize,
)
from privacy.datamap_model import ErasureAction, SystemSpec
from privacy.errors import ConnectorError
from privacy.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


class HttpConnector:
    kind = "http"

    def __init__(
        self, system: SystemSpec, *, client: httpx.Client | None = None, timeout: float = 30.0
    ) -> None:
        self.name = system.name
        self.system = system
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client this connector created (a handed-in one is its owner's)."""
        if self._owns_client:
            self._client.close()

    def _secret(self) -> bytes:
        name = self.system.secret_env or ""
        value = os.environ.get(name)
        if not value:
            raise ConnectorError(f"system {self.name}: environment variable {name} is not set")
        return value.encode()

    def _call(self, action: str, principal: Principal, **extra: Any) -> dict[str, Any]:
        body = json.dumps(
            {
                "action": action,
                "nonce": secrets.token_hex(16),  # two identical calls in one second differ
                "principal": {
                    "kind": principal.kind,
                    "value": principal.value,
                    "subject_ids": list(principal.subject_ids),
                },
                **extra,
            },
            sort_keys=True,
        ).encode()
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(self._secret(), stamp, body),
        }
        assert self.system.url is not None
        try:
            response = self._client.post(self.system.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ConnectorError(f"system {self.name} unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise ConnectorError(f"system {self.name} answered {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise ConnectorError(f"system {self.name} answered no JSON") from None
        if not isinstance(answer, dict):
            raise ConnectorError(f"system {self.name} answered an unexpected shape")
        return answer

    def export(self, principal: Principal) -> Export:
        answer = self._call("export", principal)
        tables = answer.get("tables")
        if not isinstance(tables, dict) or not all(isinstance(v, list) for v in tables.values()):
            raise ConnectorError(f"system {self.name}: export answer has no tables")
        return Export(tables={str(k): list(v) for k, v in tables.items()})

    def correct(self, principal: Principal, changes: Mapping[str, Mapping[str, Any]]) -> int:
        answer = self._call("correct", principal, changes={k: dict(v) for k, v in changes.items()})
        rows = answer.get("rows")
        if not isinstance(rows, int):
            raise ConnectorError(f"system {self.name}: correct answer has no row count")
        return rows

    def erase(self, principal: Principal, pseudonymize: Pseudonymize) -> ErasureReport:
        rule = self.system.on_erasure
        answer = self._call("erase", principal, on_erasure=rule.action.value)
        erased = answer.get("erased")
        if not isinstance(erased, list):
            raise ConnectorError(f"system {self.name}: erase answer has no erased list")
        report = ErasureReport()
        try:
            for item in erased:
                report.fields.append(
                    ErasedField(
                        self.name,
                        str(item["table"]),
                        str(item["field"]),
                        ErasureAction(item["action"]),
                        int(item["rows"]),
                        item.get("reason"),
                        item.get("until"),
                    )
                )
        except (KeyError, TypeError, ValueError):
            raise ConnectorError(f"system {self.name}: malformed erase answer") from None
        return report
