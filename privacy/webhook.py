"""Signed webhooks between trustplane and a domain service (the ``http`` connector).

The signature is HMAC-SHA256 under the system's secret over ``"{timestamp}.{body}"``, sent
as ``X-Trustplane-Signature: sha256=<hex>`` with ``X-Trustplane-Timestamp`` (Unix seconds).
A receiver refuses a stale timestamp (outside ``tolerance``) and a signature it has seen
(replay); ``WebhookVerifier`` does both and is what a domain service embeds.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

SIGNATURE_HEADER = "X-Trustplane-Signature"
TIMESTAMP_HEADER = "X-Trustplane-Timestamp"
DEFAULT_TOLERANCE = 300


class WebhookSignatureError(Exception):
    """A webhook's signature is missing, wrong, stale or replayed."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookVerifier:
    def __init__(
        self,
        secret: bytes,
        *,
        tolerance: int = DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.time,
        remember: int = 100_000,
    ) -> None:
        self._secret = secret
        self._tolerance = tolerance
        self._clock = clock
        self._remember = remember
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, timestamp: str | None, signature: str | None, body: bytes) -> None:
        if not timestamp or not signature:
            raise WebhookSignatureError("missing signature headers")
        try:
            stamp = int(timestamp)
        except ValueError:
            raise WebhookSignatureError("malformed timestamp") from None
        now = self._clock()
        if abs(now - stamp) > self._tolerance:
            raise WebhookSignatureError("stale timestamp")
        if not hmac.compare_digest(sign(self._secret, stamp, body), signature):
            raise WebhookSignatureError("bad signature")
        with self._lock:
            if signature in self._seen:
                raise WebhookSignatureError("replayed request")
            self._seen[signature] = stamp
            horizon = now - self._tolerance
            while self._seen and (
                len(self._seen) > self._remember or next(iter(self._seen.values())) < horizon
            ):
                self._seen.popitem(last=False)
