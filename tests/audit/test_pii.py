"""Personal-data patterns (audit.pii) and the server log's last line of redaction."""

from __future__ import annotations

import pytest

from audit import contains_personal_data, scrub_text
from audit.pii import luhn_valid
from trustplane.logsetup import redact_processor


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("card 4111111111111111 ok", "pan"),
        ("card 4111 1111 1111 1111", "pan"),
        ("card 5500-0000-0000-0004", "pan"),
        ("aadhaar 234567890124", "aadhaar"),
        ("aadhaar 3456 7890 1238", "aadhaar"),
        ("call 9876543210", "mobile"),
        ("call +91 91234 56789", "mobile"),
        ("call 09876543210", "mobile"),
        ("mail asha.kumar@example.in", "email"),
        ("id 12345678901234567890 overflow", "number"),
    ],
)
def test_each_pattern_is_found_and_replaced(text: str, kind: str) -> None:
    seen: list[str] = []
    scrubbed = scrub_text(text, lambda k, _v: seen.append(k) or "<x>")  # type: ignore[func-returns-value]
    assert seen == [kind]
    assert "<x>" in scrubbed
    assert not contains_personal_data(scrubbed)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25T10:00:00Z",
        "c-9",
        "4111111111111112",  # fails Luhn, too short for the 20-digit rule
        "revision 3f2a9c",
        "latency 12.5 ms",
        "classification 3",
    ],
)
def test_structural_text_is_kept(text: str) -> None:
    assert scrub_text(text, lambda _k, _v: "<x>") == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_server_log_lines_lose_aadhaar_and_long_numbers_under_any_key() -> None:
    event = {
        "event": "request_failed",
        "detail": "bad value 12345678901234567890 for 3456 7890 1238",
        "exception": "Traceback ... ValueError: 234567890124 / asha@example.in",
        "extra": {"deep": ["+91 91234 56789"]},
    }
    out = redact_processor(None, "error", dict(event))
    text = repr(out)
    for value in ("12345678901234567890", "3456 7890 1238", "234567890124", "91234 56789"):
        assert value not in text
    assert "asha@example.in" not in text
    assert out["event"] == "request_failed"
