"""Credentials and PII sent through real requests to the real app never reach a log line.

The real identity service issues and checks them (argon2, TOTP, JWT), the real vault encrypts
PII, and logging runs at DEBUG with JSON output, so every library's log lines are captured too
(stdout, stderr and the stdlib logging records).
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from sqlalchemy.engine import Engine

from identity.totp import code_at
from tests.identity.conftest import totp_secret_of
from tests.web.realapp import build_real_app

PII = {
    "email": "priya.sharma@example.in",
    "pan": "ABCPS1234K",
    "phone": "+91 98765 43210",
    "card": "4111111111111111",
    "name": "Priya Venkataraman Sharma",
}


def test_credentials_and_pii_in_requests_leave_no_trace(
    tmp_path: Path,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    real = build_real_app(tmp_path, engine, log_level="DEBUG", log_json=True)
    secrets: list[str] = [real.admin.password, real.service.client_secret]
    with real.client() as client:
        totp = code_at(totp_secret_of(real.admin.totp_uri), datetime.now(UTC))
        wrong_totp = "000000" if totp != "000000" else "111111"
        secrets += [totp, wrong_totp]
        # a failed login (wrong one-time code), then a real one
        client.post(
            "/auth/login",
            json={"email": real.admin.email, "password": real.admin.password, "totp": wrong_totp},
        )
        login = client.post(
            "/auth/login",
            json={"email": real.admin.email, "password": real.admin.password, "totp": totp},
        )
        assert login.status_code == 200, login.text
        csrf = login.json()["csrf_token"]
        session = client.cookies["tp_session"]
        secrets += [csrf, session]
        # client secret in the form (client_secret_post) and in Basic, plus a wrong one
        form = {
            "grant_type": "client_credentials",
            "client_id": real.service.client_id,
            "client_secret": real.service.client_secret,
        }
        token = client.post("/oauth/token", data=form).json()["access_token"]
        secrets.append(token)
        pair = f"{real.service.client_id}:{real.service.client_secret}".encode()
        basic = base64.b64encode(pair).decode()
        secrets.append(basic)
        client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        client.post("/oauth/token", data={**form, "client_secret": "tps_wrong-secret-value-123"})
        secrets.append("tps_wrong-secret-value-123")
        bearer = {"Authorization": f"Bearer {token}"}
        # PII through the field-encryption API, in a query string and in a rejected body
        items = [
            {
                "value": value,
                "context": {"resource_type": "customer_profile", "field": name, "owner_id": "c-9"},
            }
            for name, value in PII.items()
        ]
        encrypted = client.post("/v1/fields/encrypt", headers=bearer, json={"fields": items})
        assert encrypted.status_code == 200, encrypted.text
        ciphertexts = encrypted.json()["ciphertexts"]
        client.post(
            "/v1/fields/decrypt",
            headers={**bearer, "X-CSRF-Token": csrf},
            json={
                "purpose": "payment_processing",
                "fields": [
                    {"ciphertext": text, "context": item["context"]}
                    for text, item in zip(ciphertexts, items, strict=True)
                ],
            },
        )
        client.post(
            "/v1/fields/decrypt",
            headers={"X-CSRF-Token": csrf},  # the admin session: allowed by the gate
            json={
                "purpose": "support",
                "fields": [
                    {"ciphertext": text, "context": item["context"]}
                    for text, item in zip(ciphertexts, items, strict=True)
                ],
            },
        )
        client.get("/v1/me", headers=bearer, params={"email": PII["email"], "token": token})
        client.post("/v1/authorize", headers=bearer, json={"subject": PII})
        # an admin creates accounts: the one-time password and TOTP URI go to the client only
        created = client.post(
            "/v1/users",
            headers={"X-CSRF-Token": csrf},
            json={"email": "new.hire@finsolve.example", "roles": ["dpo"]},
        )
        assert created.status_code == 201, created.text
        secrets += [created.json()["password"], created.json()["totp_uri"]]
        secrets.append("new.hire@finsolve.example")
        rotated = client.post(
            f"/v1/service-accounts/{real.service.client_id}/rotate-secret",
            headers={"X-CSRF-Token": csrf},
        )
        secrets.append(rotated.json()["client_secret"])
        # a careless log line of the kind a future change might add, under the app's config
        structlog.get_logger("careless").warning(
            "login debug",
            password=real.admin.password,
            totp=totp,
            client_secret=real.service.client_secret,
            email=PII["email"],
            note=f"form password={real.admin.password}&totp={totp}&access_token={token}",
        )
        logging.getLogger("careless.stdlib").warning(
            "client_secret=%s pan %s", real.service.client_secret, PII["pan"]
        )
    captured = capsys.readouterr()
    text = captured.out + captured.err + caplog.text
    assert '"route": "/oauth/token"' in text  # the request lines were captured
    assert '"route": "/v1/users"' in text
    values = [*secrets, *PII.values(), real.admin.email]
    leaked = [f"#{index} {value[:3]}..." for index, value in enumerate(values) if value in text]
    assert leaked == []  # (only a prefix is shown, so a failure does not print the secret)
