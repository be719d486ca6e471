"""Allow/deny rates by day and service, top deny reasons and denied subjects, computed from
the decision events among the newest entries of the audit log (a bounded scan: the page's
cost does not grow with the log; the page says how many decisions it read)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit import AuditLog, EventFilter, EventType

SCAN_EVENTS = 5_000
TOP = 10


@dataclass
class DecisionStats:
    decisions: int = 0
    scanned_events: int = 0
    # (day, service) -> [allowed, denied]
    by_day_service: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    deny_reasons: list[tuple[str, int]] = field(default_factory=list)
    denied_subjects: list[tuple[str, int]] = field(default_factory=list)

    @property
    def rows(self) -> list[dict[str, Any]]:
        out = []
        for (day, service), (allowed, denied) in sorted(self.by_day_service.items()):
            total = allowed + denied
            out.append(
                {
                    "day": day,
                    "service": service,
                    "allowed": allowed,
                    "denied": denied,
                    "deny_percent": round(100.0 * denied / total, 1) if total else 0.0,
                }
            )
        return out


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) and value else default


def summarize(documents: Iterable[Mapping[str, Any]], scanned: int = 0) -> DecisionStats:
    """Pure: the stats of decision event documents (missing members count as unknown)."""
    stats = DecisionStats(scanned_events=scanned)
    reasons: Counter[str] = Counter()
    subjects: Counter[str] = Counter()
    for document in documents:
        details = document.get("details")
        details = details if isinstance(details, Mapping) else {}
        origin = document.get("origin")
        actor = document.get("actor")
        allow = details.get("allow")
        if not isinstance(allow, bool):
            allow = document.get("outcome") == "success"
        day = _text(document.get("time"), "unknown")[:10]
        service = _text(origin.get("service") if isinstance(origin, Mapping) else None, "unknown")
        counts = stats.by_day_service.setdefault((day, service), [0, 0])
        counts[0 if allow else 1] += 1
        stats.decisions += 1
        if not allow:
            for reason in details.get("reasons") or []:
                reasons[str(reason)] += 1
            subject = actor.get("id") if isinstance(actor, Mapping) else None
            subjects[_text(subject, "unknown")] += 1
    stats.deny_reasons = reasons.most_common(TOP)
    stats.denied_subjects = subjects.most_common(TOP)
    return stats


def recent_decisions(log: AuditLog, scan: int = SCAN_EVENTS) -> DecisionStats:
    start = max(-1, log.tree_size() - scan - 1)
    where = EventFilter(type=EventType.DECISION.value)
    documents: list[dict[str, Any]] = []
    after = start
    while True:
        page = log.events(where, after=after, limit=1000)
        documents.extend(event.document for event in page.events)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return summarize(documents, scanned=min(scan, log.tree_size()))
