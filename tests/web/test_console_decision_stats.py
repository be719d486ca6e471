"""The decisions page's figures as a pure function over decision event documents."""

from __future__ import annotations

from web.console.decision_stats import summarize


def event(day: str, service: str, allow: bool, subject: str, *reasons: str) -> dict[str, object]:
    return {
        "time": f"{day}T10:00:00Z",
        "origin": {"service": service},
        "actor": {"id": subject},
        "outcome": "success" if allow else "failure",
        "details": {"allow": allow, "reasons": list(reasons)},
    }


def test_rates_by_day_and_service_and_the_top_denials() -> None:
    stats = summarize(
        [
            event("2026-12-01", "payments", True, "svc:payments"),
            event("2026-12-01", "payments", False, "u-7", "no rule allows", "mfa too old"),
            event("2026-12-01", "payments", False, "u-7", "no rule allows"),
            event("2026-12-02", "analytics", False, "svc:analytics", "consent missing"),
        ],
        scanned=10,
    )
    assert stats.decisions == 4
    assert stats.rows == [
        {"day": "2026-12-01", "service": "payments", "allowed": 1, "denied": 2,
         "deny_percent": 66.7},
        {"day": "2026-12-02", "service": "analytics", "allowed": 0, "denied": 1,
         "deny_percent": 100.0},
    ]  # fmt: skip
    assert stats.deny_reasons[0] == ("no rule allows", 2)
    assert stats.denied_subjects[0] == ("u-7", 2)


def test_documents_missing_members_count_as_unknown_not_errors() -> None:
    stats = summarize([{"outcome": "failure"}, {"details": "junk", "origin": 3}])
    assert stats.decisions == 2
    assert stats.rows[0]["service"] == "unknown"
    assert stats.denied_subjects == [("unknown", 2)]
