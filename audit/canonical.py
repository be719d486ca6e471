"""The stored form of an event and its RFC 8785 canonical bytes (the Merkle leaf input)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from json import encoder as json_encoder
from typing import Any

import rfc8785

from audit.events import AuditEventIn


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and a ``Z`` (one spelling, so bytes are stable)."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def stored_event(event: AuditEventIn, *, seq: int, event_id: str, time: datetime) -> dict[str, Any]:
    """The JSON object that is stored, hashed and returned to verifiers."""
    return {
        "seq": seq,
        "id": event_id,
        "time": format_time(time),
        "type": event.type.value,
        "outcome": event.outcome.value,
        "actor": event.actor.model_dump(mode="json"),
        "origin": event.origin.model_dump(mode="json"),
        "target": event.target.model_dump(mode="json"),
        "details": event.details,
    }


MAX_SAFE_INTEGER = 2**53 - 1
# json.dumps(..., sort_keys=True, ...) builds this encoder on every call; it is stateless
_PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _plain_encoder() -> Callable[[Any], str]:
    """The C encoder behind ``_PLAIN_ENCODER``, built once instead of per call.

    ``JSONEncoder.encode`` builds a new C encoder and a circular-reference map on every
    call (about half of its cost for an audit event). Without that map a cyclic document
    recurses until ``RecursionError``, as redaction (which walks it first) already does.
    """
    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return _PLAIN_ENCODER.encode
    encoder = make(None, None, json_encoder.encode_basestring, None, ":", ",", True, False, True)

    def encode(document: Any) -> str:
        return "".join(encoder(document, 0))

    return encode


_encode_plain = _plain_encoder()


# Floats whose ``repr`` is already the ECMAScript Number::toString form JCS asks for.
# Both print the same shortest round-trip digits; with the decimal exponent n of those
# digits (x = 0.d1d2... x 10^n), ``repr`` writes them without an exponent for -4 < n <= 16,
# ECMAScript for -6 < n <= 21. Inside the first range the spellings agree except on
# integral values (``repr`` adds ".0": 2.0 vs 2). -4 < n <= 16 is 1e-4 <= |x| < 1e16.
PLAIN_FLOAT_MIN = 1e-4
PLAIN_FLOAT_LIMIT = 1e16


def is_plain_scalar(value: Any) -> bool:
    """``is_plain`` for a value that is neither an object nor an array."""
    if isinstance(value, str | bool) or value is None:
        return True
    if isinstance(value, int):
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if isinstance(value, float):  # NaN and infinities fail the range test; so does -0.0
        return PLAIN_FLOAT_MIN <= abs(value) < PLAIN_FLOAT_LIMIT and not value.is_integer()
    return False


def is_plain(value: Any) -> bool:
    """True when ``json.dumps`` already yields the RFC 8785 form of ``value``.

    That holds for strings (the escaping is the same), for integers in the I-JSON range, for
    floats that ``is_plain_scalar`` admits (JCS formats numbers the ECMAScript way), and with
    ASCII object keys (JCS sorts keys by UTF-16 code units, Python by code points; they
    differ only beyond the BMP).
    """
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and key.isascii() and is_plain(item) for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return all(is_plain(item) for item in value)
    return is_plain_scalar(value)


def canonical_bytes(document: Any, *, plain: bool | None = None) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme bytes of ``document``.

    ``plain=True`` skips the check when the caller knows the document is plain.
    """
    if plain if plain is not None else is_plain(document):
        try:
            return _encode_plain(document).encode("utf-8")
        except UnicodeEncodeError:
            pass  # lone surrogates: let rfc8785 refuse them
    return bytes(rfc8785.dumps(document))


def decode(canonical: bytes) -> dict[str, Any]:
    document = json.loads(canonical)
    if not isinstance(document, dict):
        raise ValueError("a stored event is a JSON object")
    return document
