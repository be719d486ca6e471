"""Patterns of personal data that must never reach a log in clear: payment card numbers
(PAN, checked with Luhn), Aadhaar numbers, Indian mobile numbers and email addresses.

``scrub_text`` replaces each match through a callable: the audit log replaces it by the
keyed HMAC (``POST /v1/audit/hash`` finds it again), the server log by a fixed marker. It is
the last line of defence; the decision log's allow-list (``policies.log_fields``) is the
first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# 13-19 digits, optionally grouped by single spaces or dashes (Luhn decides)
_PAN = r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])"
# 12 digits (first 2-9), optionally 4-4-4 with spaces or dashes
_AADHAAR = r"(?<![\d])[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}(?![\d])"
# +91 / 91 / 0 prefix optional, then 10 digits starting 6-9 (optionally 5-5 grouped)
_MOBILE = r"(?<![\d])(?:(?:\+|00)?91[ -]?|0)?[6-9]\d{4}[ -]?\d{5}(?![\d])"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# any run of 20 or more digits (an account or card-like number beyond the PAN lengths)
_LONG = r"(?<![\d])\d{20,}(?![\d])"

PATTERN = re.compile(
    f"(?P<email>{_EMAIL})|(?P<number>{_LONG})|(?P<pan>{_PAN})|(?P<aadhaar>{_AADHAAR})"
    f"|(?P<mobile>{_MOBILE})"
)
_QUICK = re.compile(r"\d{4}|@")  # strings without either cannot match: skipped cheaply


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _kind(match: re.Match[str]) -> str | None:
    kind = match.lastgroup
    if kind == "pan":
        digits = re.sub(r"[ -]", "", match.group())
        if luhn_valid(digits):
            return "pan"
        # not a card: maybe an Aadhaar or a mobile number inside it
        return None
    return kind


def scrub_text(text: str, replace: Callable[[str, str], str]) -> str:
    """``text`` with each personal-data match replaced by ``replace(kind, match)``."""
    if not _QUICK.search(text):
        return text

    def substitute(match: re.Match[str]) -> str:
        kind = _kind(match)
        if kind is not None:
            return replace(kind, match.group())
        inner = match.group()
        # a digit run that is not a valid card may still hold an Aadhaar or a mobile number
        return re.sub(
            f"(?P<aadhaar>{_AADHAAR})|(?P<mobile>{_MOBILE})",
            lambda m: replace(m.lastgroup or "number", m.group()),
            inner,
        )

    return PATTERN.sub(substitute, text)


def contains_personal_data(text: str) -> bool:
    found: list[str] = []

    def note(kind: str, value: str) -> str:
        found.append(kind)
        return value

    scrub_text(text, note)
    return bool(found)


def scrub_strings(value: Any, replace: Callable[[str, str], str]) -> Any:
    """A copy of a JSON-like ``value`` with ``scrub_text`` applied to every string (keys too)."""
    if isinstance(value, str):
        return scrub_text(value, replace)
    if isinstance(value, dict):
        return {
            scrub_text(k, replace) if isinstance(k, str) else k: scrub_strings(v, replace)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_strings(item, replace) for item in value]
    return value
