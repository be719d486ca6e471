"""DSR and breach performance (issue 18 item 2): volumes, SLA met, overdue, breach notices.

Unit tests over in-memory records (the privacy room's adapter is tested on a real database
in tests/trustplane/test_reports_privacy.py).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reports import PrivacySummary, Window, assess_privacy, render_privacy_performance
from reports.framework.render import render_pdf
from reports.privacy_performance import request_outcome

START = datetime(2026, 11, 23, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(days=7))
NOW = START + timedelta(days=8)


@dataclass(frozen=True)
class Request:
    kind: str
    received_at: datetime
    due_at: datetime
    closed_at: datetime | None = None
    regime: str = "dpdp"


@dataclass(frozen=True)
class Notice:
    duty: str
    state: str
    recipient: str = "Data Protection Board"
    due_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class Breach:
    id: str
    detected_at: datetime
    notifications: tuple[Notice, ...]
    severity: str = "P1"
    status: str = "open"
    affected_count: int = 10


@dataclass
class Records:
    requests: list[Request]
    breaches: list[Breach]

    def requests_received(self, start: datetime, end: datetime) -> list[Request]:
        return [r for r in self.requests if start <= r.received_at < end]

    def breaches_detected(self, start: datetime, end: datetime) -> list[Breach]:
        return [b for b in self.breaches if start <= b.detected_at < end]


def day(n: int, hours: int = 9) -> datetime:
    return START + timedelta(days=n, hours=hours)


def records() -> Records:
    return Records(
        requests=[
            Request("access", day(0), day(0) + timedelta(days=30), closed_at=day(2)),  # met
            Request("access", day(0), day(0) + timedelta(days=30), closed_at=day(6)),  # met
            Request("erasure", day(1), day(2), closed_at=day(4)),  # closed late
            Request("erasure", day(3), day(5)),  # open past due at NOW
            Request("correction", day(6), day(6) + timedelta(days=30)),  # open, not yet due
            Request("access", START - timedelta(hours=1), day(20)),  # before the window
        ],
        breaches=[
            Breach("b-in-time", day(1), (Notice("dpdp_board", "met"), Notice("cert_in", "met"))),
            Breach("b-late", day(2), (Notice("dpdp_board", "met_late"), Notice("x", "met"))),
            Breach("b-pending", day(5), (Notice("dpdp_board", "running"),)),
            Breach("b-before", START - timedelta(days=1), (Notice("dpdp_board", "overdue"),)),
        ],
    )


def test_each_request_is_judged_met_late_overdue_or_open() -> None:
    due = day(3)
    assert request_outcome(Request("access", day(0), due, closed_at=due), NOW) == "met"
    late = Request("access", day(0), due, closed_at=due + timedelta(seconds=1))
    assert request_outcome(late, NOW) == "late"
    assert request_outcome(Request("access", day(0), due), due) == "open"
    assert request_outcome(Request("access", day(0), due), due + timedelta(seconds=1)) == "overdue"


def test_volumes_sla_and_overdue_count_the_window_only() -> None:
    performance = assess_privacy(records(), WINDOW, NOW)
    total = performance.total
    assert (total.received, total.met, total.late, total.overdue, total.open) == (5, 2, 1, 1, 1)
    kinds = {row.label: row for row in performance.by_kind}
    assert sorted(kinds) == ["access", "correction", "erasure"]
    assert kinds["access"].median_days_to_close == 4.0  # 2 and 6 days
    assert kinds["erasure"].median_days_to_close == 3.0
    assert kinds["correction"].median_days_to_close is None
    assert [row.label for row in performance.by_day] == [
        (START + timedelta(days=n)).date().isoformat() for n in range(7)
    ]  # every day of the window, those without a request too
    assert [row.received for row in performance.by_day] == [2, 1, 0, 1, 0, 0, 1]
    outcomes = {row.breach.id: row.outcome for row in performance.breaches}
    assert outcomes == {"b-in-time": "in time", "b-late": "late", "b-pending": "pending"}
    assert performance.summary() == PrivacySummary(
        dsr_total=5,
        dsr_within_sla=2,
        dsr_overdue=2,
        breaches_total=3,
        breaches_notified_in_time=1,
    )


def test_a_period_without_requests_or_breaches_has_no_privacy_section() -> None:
    empty = assess_privacy(records(), Window(day(30), day(37)), NOW)
    assert empty.summary() is None
    html = render_privacy_performance(empty)
    assert "No data subject request was received in the period." in html
    assert "No breach was detected in the period." in html
    assert "<img" not in html  # no chart of nothing


def test_the_report_has_its_chart_tables_and_late_breach() -> None:
    html = render_privacy_performance(assess_privacy(records(), WINDOW, NOW))
    for heading in (
        "DSR and breach performance",
        "Data subject requests by type",
        "Requests received per day",
        "Breaches and their notifications",
    ):
        assert f">{heading}</h" in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert "late: dpdp_board" in html
    assert "b-before" not in html
    assert "<td>2026-11-26</td><td>1</td><td>0</td><td>0</td><td>1</td><td>0</td>" in html


def test_the_pdf_carries_the_headings(tmp_path: Path) -> None:
    path = tmp_path / "privacy.pdf"
    path.write_bytes(render_pdf(render_privacy_performance(assess_privacy(records(), WINDOW, NOW))))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in ("DSR and breach performance", "Requests received per day", "Breaches"):
        assert heading in text
    assert re.search(r"page 1 of \d+", text)
