"""No password, token, client secret or PII sent through requests reaches a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.web.conftest import build_app
from trustplane.logsetup import REDACTED, redact_processor, redact_value

SECRETS = [
    "hunter2-Password!",
    "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJlLWJ5dGVz",
    "priya.sharma@example.in",
    "ABCDE1234F",
    "4111 1111 1111 1111",
    "+91 9876543210",
]


@pytest.mark.parametrize("value", SECRETS[1:])
def test_secret_looking_values_are_redacted_anywhere(value: str) -> None:
    event = redact_processor(None, "info", {"event": f"user said {value} today"})
    assert value not in str(event)


@pytest.mark.parametrize("key", ["password", "client_secret", "token", "api_key", "totp"])
def test_key_value_pairs_in_free_text_are_redacted(key: str) -> None:
    event = redact_processor(None, "info", {"event": f"form {key}=hunter2-Password!&next=1"})
    assert "hunter2" not in str(event)
    assert "next=1" in str(event)


@pytest.mark.parametrize(
    "key", ["password", "client_secret", "access_token", "Authorization", "email", "pan", "phone"]
)
def test_sensitive_keys_are_redacted(key: str) -> None:
    event = redact_processor(None, "info", {"event": "x", key: "plain-value-123"})
    assert event[key] == REDACTED


def test_nested_structures_are_redacted() -> None:
    value = redact_value({"form": {"password": "p", "note": "mail a@b.co"}, "list": ["ABCDE1234F"]})
    assert value == {"form": {"password": REDACTED, "note": f"mail {REDACTED}"}, "list": [REDACTED]}


@settings(max_examples=50)
@given(st.from_regex(r"[A-Z]{5}[0-9]{4}[A-Z]", fullmatch=True))
def test_any_pan_is_redacted(pan: str) -> None:
    assert pan not in str(redact_processor(None, "info", {"event": f"pan={pan};"}))


def test_requests_carrying_secrets_leave_no_trace_in_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = build_app(tmp_path, log_level="DEBUG", log_json=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        token = SECRETS[1]
        client.post(
            "/v1/probe/echo",
            headers={"Authorization": f"Bearer {token}", "X-Api-Key": "k-123456789"},
            json={"message": "password=hunter2-Password! email priya.sharma@example.in"},
        )
        client.post(
            "/v1/probe/echo",
            headers={"Authorization": "Bearer admin-token"},
            json={"message": " ".join(SECRETS)},
        )
        client.get("/v1/probe/boom", headers={"Authorization": "Bearer admin-token"})
        structlog.get_logger("probe").info(
            "login attempt", password=SECRETS[0], note=f"client_secret={SECRETS[1]}"
        )
    captured = capsys.readouterr()
    text = captured.out + captured.err + caplog.text
    assert '"event": "request"' in text  # the canonical lines were captured
    for secret in SECRETS:
        assert secret not in text
