"""Remote engine: an OPA server (or anything speaking OPA's Data API) via opa-python-client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from opa_client import OpaClient

from policies.engines.port import Evaluation
from policies.errors import EvaluationError, EvaluationTimeoutError


class OpaEngine:
    """Evaluates ``data.<path>`` by POSTing ``{"input": ...}`` to ``<url>/v1/data/<path>``.

    ``revision`` names what the remote side runs (trustplane's bundle service hands OPA
    its active revision); ``timeout`` bounds each call, with no retries (fail closed).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 0.05,
        revision: str = "opa",
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("OPA URL must be http(s)://host[:port]")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self._client = OpaClient(
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            token=token,
            timeout=timeout,
            retries=0,
        )
        self._revision = revision

    @property
    def revision(self) -> str:
        return self._revision

    def ready(self) -> None:
        """Nothing to prepare here: the OPA server evaluates."""

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation:
        parts = query.split(".")
        if parts[0] != "data" or len(parts) < 2:
            raise EvaluationError("OPA queries must name a data path")
        package, rule = ".".join(parts[1:-1]), parts[-1]
        try:
            if package:
                body = self._client.query_rule(dict(input_document), package, rule)
            else:
                body = self._client.query_rule(dict(input_document), rule)
        except Exception as exc:  # requests/opa_client raise many kinds: all mean "no answer"
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                raise EvaluationTimeoutError("OPA query timed out") from exc
            raise EvaluationError(f"OPA query failed: {type(exc).__name__}") from exc
        if not isinstance(body, dict) or "result" not in body:
            return Evaluation(defined=False)
        return Evaluation(defined=True, value=body["result"])

    def close(self) -> None:
        self._client.close_connection()
