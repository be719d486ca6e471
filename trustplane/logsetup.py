"""structlog configuration: JSON outside a TTY, request context, and redaction.

The redaction processor is the last line of defence: whatever a caller logs, values under
sensitive keys and values that look like secrets or PII never reach the output.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from audit import scrub_text

REDACTED = "[REDACTED]"

SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|authorization|cookie|api[_-]?key|private|credential|"
    r"totp|otp|csrf|session|email|phone|mobile|pan|aadhaar|account[_-]?number|card|cvv|"
    r"^name$|full[_-]?name|address|dob|birth",
    re.IGNORECASE,
)
# Things that look like secrets or PII wherever they appear in a string.
SENSITIVE_VALUE_PATTERNS = (
    re.compile(
        r"(?i)\b(pass(word|wd)?|secret|client_secret|token|api[_-]?key|totp|otp)"
        r"(\s*[=:]\s*)[^\s&,;\"']+"
    ),
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),  # email
    re.compile(r"\b[A-Z]{5}[0-9]{4}[A-Z]\b"),  # Indian PAN
    re.compile(r"\b(?:\d[ -]?){13,19}\b"),  # card / account numbers
    re.compile(r"(?<!\d)(?:\+?91[ -]?)?[6-9]\d{9}(?!\d)"),  # Indian mobile numbers
)
SAFE_KEYS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "request_id",
        "method",
        "path",
        "route",
        "status",
        "duration_ms",
        "caller_id",
        "caller_kind",
        "error_type",
        "exc_info",
    }
)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        # the audit room's personal-data patterns first (PAN with Luhn, Aadhaar with or
        # without spaces, Indian mobile, email, 20+ digit runs), then secret-looking text
        value = scrub_text(value, lambda _kind, _found: REDACTED)
        for pattern in SENSITIVE_VALUE_PATTERNS:
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, Mapping):
        return {k: (REDACTED if _sensitive(k) else redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


def _sensitive(key: object) -> bool:
    return isinstance(key, str) and key not in SAFE_KEYS and bool(SENSITIVE_KEY.search(key))


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: hide sensitive keys' values and secret-looking substrings."""
    for key in list(event_dict):
        if _sensitive(key):
            event_dict[key] = REDACTED
        elif key != "exception":
            event_dict[key] = redact_value(event_dict[key])
    if "exception" in event_dict:
        event_dict["exception"] = redact_value(event_dict["exception"])
    return event_dict


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at write time.

    Binding the stream at configuration time breaks when it is later replaced and closed
    (typer's CliRunner, pytest capture): every log line would then raise on a closed file.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", json_output: bool | None = None) -> None:
    """Configure structlog and route stdlib logging (uvicorn, alembic) through it."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                redact_processor,
                renderer,
            ],
            foreign_pre_chain=shared[:-1],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs each request
    for chatty in ("httpx", "httpcore", "botocore", "urllib3"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(level)))
