"""The breach register: regime clocks as data (UTC stored, IST shown, across day boundaries),
drafts in English and Hindi, notifications through the outbox, problems that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from audit import SYSTEM_ACTOR, InMemoryAuditLog
from controls import load_catalog
from controls.checks import REGISTRY
from controls.collectors.platform import PlatformCollector
from privacy import Breach, BreachRegister, BreachStatus, FileOutbox, ist, load_duties
from privacy.breach import clocks
from privacy.breach_register import BREACH, EVENT
from tests import callers
from tests.privacy.test_http import TokenAuthenticator, auth
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings
from trustplane.wiring.privacy import BreachClockAdapter

DUTIES = load_duties()


def breach(aware: datetime, detected: datetime | None = None, **extra: Any) -> Breach:
    values: dict[str, Any] = {
        "id": "b",
        "title": "t",
        "severity": "P1",
        "status": BreachStatus.OPEN,
        "detected_at": detected or aware,
        "aware_at": aware,
        "affected_count": 10,
        "affected_ids": (),
        "categories": ("contact",),
        "systems": (),
        "regimes": ("gdpr", "dpdp", "cert-in", "pci"),
    }
    return Breach(**{**values, **extra})


def by_duty(found: list[Any]) -> dict[str, Any]:
    return {clock.duty.id: clock for clock in found}


def test_72_hour_clocks_cross_day_boundaries_in_utc_and_ist() -> None:
    # aware at 23:30 IST on 4 December = 18:00 UTC: three days later, same wall-clock times
    aware = datetime.fromisoformat("2026-12-04T23:30:00+05:30")
    found = by_duty(clocks(breach(aware), DUTIES, aware + timedelta(hours=1)))
    due = found["gdpr-33"].due_at
    assert due == datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    assert found["dpdp-7-2-board"].due_at == due
    assert found["cert-in"].due_at == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # 6 h: next UTC day
    assert found["gdpr-33"].state == "running"
    assert found["dpdp-7-1-board"].due_at is None  # without delay
    assert found["dpdp-7-1-board"].state == "due_now"
    # aware at 20:00 UTC (01:30 IST the next day): the IST date is a day ahead of UTC
    late = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    late_due = by_duty(clocks(breach(late), DUTIES, late))["gdpr-33"].due_at
    assert late_due is not None
    assert ist(late_due) == "2026-12-08 01:30 IST"
    assert late_due.isoformat() == "2026-12-07T20:00:00+00:00"


def test_clock_states_and_which_duties_apply() -> None:
    aware = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    past = by_duty(clocks(breach(aware), DUTIES, aware + timedelta(hours=73)))
    assert past["gdpr-33"].state == "overdue"
    assert past["cert-in"].state == "overdue"
    low = by_duty(clocks(breach(aware, severity="P3"), DUTIES, aware))
    assert "gdpr-34" not in low  # principals told directly only for high-risk (P0, P1)
    dpdp_only = by_duty(clocks(breach(aware, regimes=("dpdp",)), DUTIES, aware))
    assert set(dpdp_only) == {"dpdp-7-1-principals", "dpdp-7-1-board", "dpdp-7-2-board"}
    # CERT-In counts from noticing (detection), the others from awareness
    detected = aware - timedelta(hours=2)
    split = by_duty(clocks(breach(aware, detected=detected), DUTIES, aware))
    assert split["cert-in"].due_at == detected + timedelta(hours=6)
    assert split["gdpr-33"].due_at == aware + timedelta(hours=72)


def test_a_new_regulator_is_a_data_change() -> None:
    extra = load_duties(
        '{"duties": [{"id": "rbi", "regime": "rbi", "law": "RBI cyber security framework",'
        ' "starts": "detection", "hours": 2, "recipient": "rbi", "template": "authority",'
        ' "severities": ["P0"]}]}'
    )
    aware = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    (clock,) = clocks(breach(aware, severity="P0", regimes=("rbi",)), extra, aware)
    assert clock.due_at == aware + timedelta(hours=2)


@pytest.fixture
def register(tmp_path: Path, engine: Engine) -> tuple[BreachRegister, Engine, list[datetime]]:
    """A register on each backend (the shared migrated ``engine``: SQLite and PostgreSQL)."""
    now = [datetime(2026, 12, 4, 10, 0, tzinfo=UTC)]
    return (
        BreachRegister(
            engine,
            InMemoryAuditLog(),
            FileOutbox(tmp_path / "outbox"),
            DUTIES,
            clock=lambda: now[0],
        ),
        engine,
        now,
    )


def test_overdue_until_notified_then_met_late(
    register: tuple[BreachRegister, Engine, list[datetime]],
) -> None:
    breaches, _, now = register
    created = breaches.create(
        title="Leaked export",
        severity="P1",
        detected_at=now[0] - timedelta(hours=1),
        aware_at=None,
        affected_count=3,
        categories=["contact"],
        regimes=["gdpr"],
        actor=SYSTEM_ACTOR,
    )
    assert breaches.overdue() == []
    now[0] += timedelta(hours=80)
    assert [(b.id, c.duty.id) for b, c in breaches.overdue()] == [(created.id, "gdpr-33")]
    breaches.notify(created.id, "gdpr-33", ["dpa@example.eu"], actor=SYSTEM_ACTOR)
    state = by_duty(breaches.clocks(breaches.get(created.id)))["gdpr-33"].state
    assert state == "met_late"
    assert breaches.overdue() == []
    closed = breaches.update(created.id, status="closed", actor=SYSTEM_ACTOR)
    assert closed.status is BreachStatus.CLOSED


# --- through the real app --------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Container]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("breach"))
    container = build_container(settings)
    upgrade(container.engine)
    container = replace(container, authenticator=TokenAuthenticator())
    with TestClient(create_app(settings, container), client=callers.ADMIN_NETWORK_CLIENT) as c:
        yield c, container


def new_breach(**extra: Any) -> dict[str, Any]:
    body = {
        "title": "Support export emailed to a wrong address",
        "severity": "P1",
        "detected_at": "2026-12-04T23:30:00+05:30",
        "affected_count": 120,
        "affected_ids": ["C0000042"],
        "categories": ["contact", "financial"],
        "systems": ["core_banking"],
        "regimes": ["dpdp", "gdpr", "cert-in"],
    }
    return {**body, **extra}


def counts(container: Container) -> tuple[int, int]:
    with container.engine.connect() as connection:
        return (
            int(connection.execute(select(func.count()).select_from(BREACH)).scalar_one()),
            int(connection.execute(select(func.count()).select_from(EVENT)).scalar_one()),
        )


def test_create_read_draft_and_notify(served: tuple[TestClient, Container]) -> None:
    client, container = served
    created = client.post("/v1/breaches", json=new_breach(), headers=auth("dpo"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["aware_at"].startswith("2026-12-04T18:00:00")  # stored in UTC
    assert body["aware_ist"] == "2026-12-04 23:30 IST"
    clocks_out = {c["duty"]: c for c in body["clocks"]}
    assert clocks_out["gdpr-33"]["due_ist"] == "2026-12-07 23:30 IST"
    assert body["identifiers_known"] == 1
    assert "C0000042" not in created.text  # identifiers are kept, never echoed
    breach_id = body["id"]
    hindi = client.get(
        f"/v1/breaches/{breach_id}/drafts/dpdp-7-1-principals",
        params={"lang": "hi"},
        headers=auth("auditor"),
    )
    assert hindi.status_code == 200, hindi.text
    assert "व्यक्तिगत डेटा" in hindi.text
    assert "2026-12-04 23:30 IST" in hindi.text
    board = client.get(f"/v1/breaches/{breach_id}/drafts/dpdp-7-2-board", headers=auth("dpo"))
    assert "Data principals affected: 120" in board.text
    sent = client.post(
        f"/v1/breaches/{breach_id}/notify",
        json={"duty": "dpdp-7-2-board", "to": ["board@dpb.example.in"]},
        headers=auth("dpo"),
    )
    assert sent.status_code == 200, sent.text
    assert {c["duty"]: c for c in sent.json()["clocks"]}["dpdp-7-2-board"]["state"] in {
        "met",
        "met_late",
    }
    outbox = container.settings.data_dir / "outbox"
    mails = [message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
    assert any(m["To"] == "board@dpb.example.in" for m in mails)
    noted = client.post(
        f"/v1/breaches/{breach_id}/timeline",
        json={"note": "access revoked, mailbox purged"},
        headers=auth("dpo"),
    )
    assert [e["kind"] for e in noted.json()["timeline"]] == ["created", "notified", "note"]
    assert all(isinstance(e["audit_seq"], int) for e in noted.json()["timeline"])
    listed = client.get("/v1/breaches", params={"open": "true"}, headers=auth("security"))
    assert breach_id in {b["id"] for b in listed.json()}


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        (new_breach(categories=[]), "invalid-breach"),
        (new_breach(regimes=["atlantis"]), "invalid-breach"),
        (new_breach(detected_at="2099-01-01T00:00:00Z"), "invalid-breach"),
        (new_breach(detected_at="2026-12-04T10:00:00"), "invalid-breach"),  # no time zone
        (new_breach(affected_count=0), "invalid-breach"),  # fewer than the ids given
        (new_breach(severity="P9"), "validation"),
    ],
)
def test_bad_breaches_are_problems_and_change_nothing(
    served: tuple[TestClient, Container], body: dict[str, Any], slug: str
) -> None:
    client, container = served
    before = counts(container)
    response = client.post("/v1/breaches", json=body, headers=auth("dpo"))
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/" + slug)
    assert counts(container) == before


def test_only_the_dpo_manages_breaches(served: tuple[TestClient, Container]) -> None:
    client, _ = served
    for role in ("auditor", "security", "service"):
        assert client.post("/v1/breaches", json=new_breach(), headers=auth(role)).status_code == 403
    assert client.get("/v1/breaches", headers=auth("service")).status_code == 403
    missing = client.get(f"/v1/breaches/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=auth("dpo"))
    assert missing.status_code == 404


def test_an_open_breach_past_a_clock_fails_the_control(
    register: tuple[BreachRegister, Engine, list[datetime]],
) -> None:
    breaches, _, now = register
    created = breaches.create(
        title="Card data in a debug log",
        severity="P0",
        detected_at=now[0],
        aware_at=None,
        affected_count=40,
        categories=["card"],
        regimes=["cert-in", "pci"],
        actor=SYSTEM_ACTOR,
    )
    collector = PlatformCollector(
        breaches=BreachClockAdapter(breaches), clock=lambda: now[0] + timedelta(hours=7)
    )

    def statuses() -> dict[str, str]:
        return {
            f.resource.rsplit("/", 1)[1]: f.status.value
            for f in REGISTRY.run("platform", collector.collect().snapshot)
            if f.check_id == "platform.breach_clocks"
        }

    assert statuses() == {"cert-in": "fail", "pci-12-10-1": "pass"}  # 6 h gone, 24 h running
    breaches.notify(created.id, "cert-in", ["incident@cert-in.org.in"], actor=SYSTEM_ACTOR)
    assert statuses() == {"cert-in": "pass", "pci-12-10-1": "pass"}  # notified (on time)
    controls = load_catalog().controls.values()
    assert [c.id for c in controls if "platform.breach_clocks" in c.checks] == ["TP-IR-02"]
