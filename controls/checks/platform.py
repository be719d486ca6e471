"""Platform self-checks: the other rooms of trustplane, read through ports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from controls.checks.registry import REGISTRY
from controls.findings import Result, failed, not_applicable, passed, verdict
from controls.snapshots.platform import PlatformSnapshot

check = REGISTRY.register
NOT_WIRED = "port not wired in this deployment"


def _against_deadline(
    resource: str,
    done_at: datetime | None,
    due_at: datetime,
    observed_at: datetime,
    messages: tuple[str, str, str, str],
) -> Result:
    """One duty with a deadline: done in time / done late / open past due / open within it."""
    in_time, late, overdue, running = messages
    if done_at is not None:
        return verdict(done_at <= due_at, resource, in_time, late)
    if observed_at > due_at:
        return failed(resource, overdue)
    return passed(resource, running)


@check("platform.audit_chain", "platform", "The audit log's Merkle tree verifies")
def audit_chain(snap: PlatformSnapshot) -> Iterator[Result]:
    if snap.audit is None:
        yield not_applicable("platform:audit", NOT_WIRED)
        return
    yield verdict(
        snap.audit.verified,
        "platform:audit",
        f"{snap.audit.tree_size} events verify",
        f"audit log does not verify: {snap.audit.detail}",
    )


@check("platform.audit_checkpoint_fresh", "platform", "The latest signed checkpoint is fresh")
def audit_checkpoint_fresh(snap: PlatformSnapshot) -> Iterator[Result]:
    if snap.audit is None:
        yield not_applicable("platform:audit/checkpoint", NOT_WIRED)
        return
    last = snap.audit.last_checkpoint_at
    if last is None and snap.audit.tree_size == 0:
        yield not_applicable("platform:audit/checkpoint", "log is empty, nothing to checkpoint")
        return
    if last is None:
        yield failed("platform:audit/checkpoint", "no checkpoint signed yet")
        return
    age = int((snap.observed_at - last).total_seconds())
    yield verdict(
        age <= snap.checkpoint_max_age_seconds,
        "platform:audit/checkpoint",
        f"checkpoint {age} s old",
        f"checkpoint {age} s old > {snap.checkpoint_max_age_seconds} s",
    )


@check("platform.key_rotation", "platform", "Field-encryption keys rotated within cryptoperiod")
def key_rotation(snap: PlatformSnapshot) -> Iterator[Result]:
    if snap.keys is None:
        yield not_applicable("platform:keys", NOT_WIRED)
        return
    for key in snap.keys:
        resource = f"platform:keys/{key.provider}/{key.name}"
        if key.last_rotated_at is None:
            yield failed(resource, "rotation date unknown")
            continue
        age = snap.observed_at - key.last_rotated_at
        yield verdict(
            age <= timedelta(days=key.cryptoperiod_days),
            resource,
            f"rotated {age.days} d ago",
            f"rotated {age.days} d ago > {key.cryptoperiod_days} d",
        )


@check("platform.decision_log_drops", "platform", "No decision-log entry was dropped")
def decision_log_drops(snap: PlatformSnapshot) -> Iterator[Result]:
    if snap.decision_log is None:
        yield not_applicable("platform:decision-log", NOT_WIRED)
        return
    stats = snap.decision_log
    yield verdict(
        stats.dropped == 0,
        "platform:decision-log",
        f"{stats.shipped} shipped, none dropped",
        f"{stats.dropped} dropped of {stats.shipped + stats.dropped}",
    )


@check("platform.dsr_sla", "platform", "Data subject requests closed within their SLA")
def dsr_sla(snap: PlatformSnapshot) -> Iterator[Result]:
    if snap.dsrs is None:
        yield not_applicable("platform:dsr", NOT_WIRED)
        return
    for request in snap.dsrs:
        yield _against_deadline(
            f"platform:dsr/{request.id}",
            request.closed_at,
            request.due_at,
            snap.observed_at,
            ("closed in time", "closed late", "open past its due date", "open, within SLA"),
        )


@check("platform.breach_clocks", "platform", "Open breaches notified within each regime's clock")
def breach_clocks(snap: PlatformSnapshot) -> Iterator[Result]:
    if snap.breach_clocks is None:
        yield not_applicable("platform:breach", NOT_WIRED)
        return
    for clock in snap.breach_clocks:
        if clock.done_at is None and not clock.open:
            continue
        yield _against_deadline(
            f"platform:breach/{clock.breach_id}/{clock.duty}",
            clock.done_at,
            clock.due_at,
            snap.observed_at,
            (
                "notified in time",
                "notified late",
                "open breach past its notification clock",
                "open, clock running",
            ),
        )


@check("platform.bundle_tests", "platform", "The active policy bundle's tests pass")
def bundle_tests(snap: PlatformSnapshot) -> Iterator[Result]:
    if snap.bundle is None:
        yield not_applicable("platform:bundle", NOT_WIRED)
        return
    report = snap.bundle
    resource = f"platform:bundle/{report.revision}"
    if report.passed + report.failed == 0:
        yield failed(resource, "bundle has no tests")
        return
    yield verdict(
        report.failed == 0,
        resource,
        f"{report.passed} tests pass",
        f"{report.failed} of {report.passed + report.failed} tests fail",
    )
