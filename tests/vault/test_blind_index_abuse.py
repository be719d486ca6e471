"""The blind index is not a fast oracle (issue 15, item 10): a per-caller budget of values,
counted in /metrics, an audit alert on unusual volume, and per-kind normalisation so equal
values index equally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.web.realapp import PROBLEM, RealApp, build_real_app
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade


def _real(tmp_path: Path, **web: Any) -> RealApp:
    engine = make_engine(f"sqlite:///{tmp_path / 'trustplane.db'}")
    upgrade(engine)
    return build_real_app(tmp_path, engine, web=web)


def _fields(field: str, *values: str) -> dict[str, Any]:
    context = {"resource_type": "customer_profile", "field": field, "owner_id": "c-1"}
    return {"fields": [{"value": value, "context": context} for value in values]}


def _indexes(client: TestClient, bearer: dict[str, str], field: str, *values: str) -> list[Any]:
    response = client.post("/v1/fields/blind-index", json=_fields(field, *values), headers=bearer)
    assert response.status_code == 200, response.text
    indexes: list[Any] = response.json()["indexes"]
    return indexes


def test_equal_values_index_equally(tmp_path: Path) -> None:
    real = _real(tmp_path)
    with real.client() as client:
        bearer = real.bearer(client, real.service)
        aadhaar = _indexes(
            client, bearer, "aadhaar", "2345 6789 0123", "234567890123", "2345-6789-0123"
        )
        assert len(set(aadhaar)) == 1
        assert aadhaar[0] is not None
        phone = _indexes(client, bearer, "phone", "+91 98765 43210", "9876543210", "09876543210")
        assert len(set(phone)) == 1
        assert phone[0] is not None
        email = _indexes(client, bearer, "email", "Asha.Rao@Example.COM", "asha.rao@example.com ")
        assert len(set(email)) == 1
        assert email[0] is not None
        bad = client.post(
            "/v1/fields/blind-index", json=_fields("aadhaar", "1234 5678 9012"), headers=bearer
        ).json()
        assert bad["indexes"] == [None]
        assert "Aadhaar" in bad["errors"][0]["detail"]


def test_a_caller_cannot_hash_guesses_fast(tmp_path: Path) -> None:
    real = _real(tmp_path, blind_index_per_second=0.001, blind_index_burst=20)
    with real.client() as client:
        bearer = real.bearer(client, real.service)
        guesses = [f"98765{n:05d}" for n in range(10)]
        assert len(_indexes(client, bearer, "phone", *guesses)) == 10
        assert len(_indexes(client, bearer, "phone", *guesses)) == 10
        refused = client.post(
            "/v1/fields/blind-index", json=_fields("phone", guesses[0]), headers=bearer
        )
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert int(refused.headers["retry-after"]) >= 1
        metrics = client.get("/metrics").text
    assert 'trustplane_blind_index_values_total{outcome="indexed"} 20.0' in metrics
    assert 'trustplane_blind_index_values_total{outcome="refused"} 1.0' in metrics


def test_unusual_volume_is_recorded_as_an_alert_event(tmp_path: Path) -> None:
    real = _real(tmp_path, blind_index_alert_per_minute=15)
    with real.client() as client:
        bearer = real.bearer(client, real.service)
        for _ in range(4):
            _indexes(client, bearer, "email", *[f"u{i}@example.com" for i in range(5)])
        admin = real.admin_login(client)
        events = client.get("/v1/audit/events?type=key_operation", headers=admin).json()
    alerts = [
        e["event"]
        for e in events["events"]
        if e["event"]["details"].get("alert") == "unusual_blind_index_volume"
    ]
    assert len(alerts) == 1  # once per caller and minute, not once per request
    assert alerts[0]["details"]["values_last_minute"] == 15
    assert alerts[0]["actor"]["id"] == real.service.client_id
    assert alerts[0]["outcome"] == "failure"
