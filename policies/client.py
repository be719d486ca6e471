"""Client SDK for domain services: ask trustplane's decision point over HTTP, fail closed.

``Guard(base_url, client_id, client_secret)`` gets an OAuth 2.0 client-credentials token
(refreshed before it expires, and once more on a 401), then calls ``POST /v1/authorize`` and
``POST /v1/authorize/batch``. Any transport error, timeout, non-2xx answer or malformed body
is a deny with reason ``policy evaluation failed`` (never an exception, never an allow).

An optional short-TTL cache (``cache_ttl_seconds``, off by default) keeps only allows
without obligations: a deny, or an allow that carries a mask/audit obligation, is always
asked again. The FastAPI dependency ``require(action, resource_type)`` lives in
``web/guard.py`` (rooms do not import FastAPI, ADR 0204).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from policies.errors import PolicyError
from policies.models import POLICY_EVALUATION_FAILED, Decision
from policies.requests import access_request as build_request

TOKEN_PATH = "/oauth/token"
BATCH_LIMIT = 1000  # the server's MAX_BATCH
REFRESH_MARGIN_SECONDS = 30.0


class _UnavailableError(PolicyError):
    """Internal: the decision point gave no usable answer."""


def failed_decision(detail: str) -> Decision:
    return Decision(
        allow=False,
        reasons=[POLICY_EVALUATION_FAILED, detail],
        obligations=[],
        policy_revision="unknown",
        decision_id="",
        failed=True,
    )


def _decision_of(body: Any) -> Decision:
    if not isinstance(body, dict):
        raise _UnavailableError("malformed decision")
    allow, reasons, obligations = body.get("allow"), body.get("reasons"), body.get("obligations")
    if not isinstance(allow, bool) or not isinstance(reasons, list):
        raise _UnavailableError("malformed decision")
    if not isinstance(obligations, list) or not all(isinstance(o, dict) for o in obligations):
        raise _UnavailableError("malformed decision")
    return Decision(
        allow=allow,
        reasons=[str(reason) for reason in reasons],
        obligations=list(obligations),
        policy_revision=str(body.get("policy_revision", "unknown")),
        decision_id=str(body.get("decision_id", "")),
    )


class _AllowCache:
    """Allows without obligations, for ``ttl`` seconds, at most ``size`` entries (LRU)."""

    def __init__(self, ttl: float, size: int) -> None:
        self._ttl, self._size = ttl, size
        self._entries: OrderedDict[str, tuple[float, Decision]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(request: Mapping[str, Any]) -> str:
        return json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)

    def get(self, key: str) -> Decision | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if hit[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: str, decision: Decision) -> None:
        if not decision.allow or decision.obligations or decision.failed:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + self._ttl, decision)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


class Guard:
    """Authorization checks against trustplane for one domain service (thread-safe)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_seconds: float = 0.5,
        cache_ttl_seconds: float = 0.0,
        cache_size: int = 10_000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout_seconds, transport=transport
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self._cache = _AllowCache(cache_ttl_seconds, cache_size) if cache_ttl_seconds > 0 else None
        self.token_fetches = 0

    # -- public API -----------------------------------------------------------------------

    def authorize(
        self,
        subject: Mapping[str, Any],
        action: str | Mapping[str, Any],
        resource: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
    ) -> Decision:
        """One decision; a deny with ``policy evaluation failed`` when no answer came."""
        request = build_request(subject, action, resource, context)
        key = _AllowCache.key(request) if self._cache is not None else ""
        if self._cache is not None and (cached := self._cache.get(key)) is not None:
            return cached
        try:
            decision = _decision_of(self._post("/v1/authorize", request))
        except _UnavailableError as exc:
            return failed_decision(str(exc))
        if self._cache is not None:
            self._cache.put(key, decision)
        return decision

    def authorize_many(self, requests: Sequence[Mapping[str, Any]]) -> list[Decision]:
        """Decisions in order (sent in batches of 1,000); a failed item or call is a deny."""
        decisions: list[Decision] = []
        for start in range(0, len(requests), BATCH_LIMIT):
            decisions += self._authorize_batch(requests[start : start + BATCH_LIMIT])
        return decisions

    def _authorize_batch(self, requests: Sequence[Mapping[str, Any]]) -> list[Decision]:
        try:
            body = self._post("/v1/authorize/batch", {"requests": [dict(r) for r in requests]})
            answers = body.get("decisions") if isinstance(body, dict) else None
            if not isinstance(answers, list) or len(answers) != len(requests):
                raise _UnavailableError("malformed batch answer")
        except _UnavailableError as exc:
            return [failed_decision(str(exc)) for _ in requests]
        decisions: list[Decision] = []
        for answer in answers:
            try:
                if isinstance(answer, dict) and "error" in answer:
                    raise _UnavailableError(f"invalid request: {answer['error'].get('detail', '')}")
                decisions.append(_decision_of(answer))
            except (_UnavailableError, AttributeError) as exc:
                decisions.append(failed_decision(str(exc)))
        return decisions

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _post(self, path: str, body: Any) -> Any:
        for attempt in (1, 2):
            token = self._access_token(force=attempt == 2)
            try:
                response = self._http.post(
                    path, json=body, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TimeoutException as exc:
                raise _UnavailableError("decision point timed out") from exc
            except httpx.HTTPError as exc:
                raise _UnavailableError(
                    f"decision point unreachable: {type(exc).__name__}"
                ) from exc
            if response.status_code == 401 and attempt == 1:
                continue  # the token was revoked or expired early: fetch a new one once
            if response.status_code != 200:
                raise _UnavailableError(f"decision point answered {response.status_code}")
            try:
                return response.json()
            except ValueError as exc:
                raise _UnavailableError("decision point answered no JSON") from exc
        raise _UnavailableError("decision point refused the token")  # pragma: no cover

    def _access_token(self, *, force: bool = False) -> str:
        with self._token_lock:
            if not force and self._token and time.monotonic() < self._token_expires:
                return self._token
            try:
                response = self._http.post(
                    TOKEN_PATH,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self._client_id,
                        "client_secret": self._client_secret,
                    },
                )
            except httpx.HTTPError as exc:
                raise _UnavailableError(
                    f"token endpoint unreachable: {type(exc).__name__}"
                ) from exc
            if response.status_code != 200:
                raise _UnavailableError(f"token endpoint answered {response.status_code}")
            try:
                body = response.json()
                token = str(body["access_token"])
                lifetime = float(body.get("expires_in", 300))
            except (ValueError, KeyError, TypeError) as exc:
                raise _UnavailableError("token endpoint answered no token") from exc
            self.token_fetches += 1
            self._token = token
            self._token_expires = time.monotonic() + max(0.0, lifetime - REFRESH_MARGIN_SECONDS)
            return token
