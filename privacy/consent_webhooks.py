"""Withdrawals announced to subscribed domain services by signed webhooks.

Same signing as the ``http`` connector (``privacy.webhook``: HMAC-SHA256 over
``"{timestamp}.{body}"``, the secret read from the environment variable the subscription
names). The body names the principal's account id, the purpose, the time and the ledger
event (id and audit index), plus a nonce; a receiver verifies it with
``privacy.webhook.WebhookVerifier``. Delivery follows the ledger write and is best effort:
a subscriber that fails is logged (name and event id only) and can resynchronise from
``GET /v1/consents?principal=`` (ADR 0602).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
import structlog

from privacy.consent import ConsentAction, ConsentEvent
from privacy.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = structlog.get_logger("privacy.consent_webhooks")
WITHDRAWN = "consent.withdrawn"


@dataclass(frozen=True)
class Subscriber:
    name: str
    url: str
    secret_env: str


def withdrawal_body(event: ConsentEvent) -> bytes:
    return json.dumps(
        {
            "event": WITHDRAWN,
            "nonce": secrets.token_hex(16),
            "principal_id": event.principal_id,
            "purpose": event.purpose,
            "at": event.at.isoformat(),
            "ledger_event_id": event.id,
            "audit_seq": event.audit_seq,
        },
        sort_keys=True,
    ).encode()


class WebhookAnnouncer:
    """A ``ConsentListener`` posting each withdrawal to every subscriber."""

    def __init__(
        self,
        subscribers: Sequence[Subscriber],
        *,
        client: httpx.Client | None = None,
        timeout: float = 3.0,
        environ: Callable[[str], str | None] = os.environ.get,
    ) -> None:
        self.subscribers = tuple(subscribers)
        self._client = client or httpx.Client(timeout=timeout)
        self._environ = environ
        self.failures = 0

    def consent_changed(self, event: ConsentEvent) -> None:
        if event.action is not ConsentAction.WITHDRAW:
            return
        for subscriber in self.subscribers:
            if not self._deliver(subscriber, withdrawal_body(event)):
                self.failures += 1
                log.warning(
                    "consent_webhook_failed", subscriber=subscriber.name, ledger_event_id=event.id
                )

    def _deliver(self, subscriber: Subscriber, body: bytes) -> bool:
        secret = self._environ(subscriber.secret_env)
        if not secret:
            return False
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(secret.encode(), stamp, body),
        }
        try:
            response = self._client.post(subscriber.url, content=body, headers=headers)
        except httpx.HTTPError:
            return False
        return response.status_code < 300
