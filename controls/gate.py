"""CI gate (seed §5.2.3): run the offline collectors, name the failing controls with the
requirement ids they break, decide the exit code: 0 no failing control at/above the
severity, 1 at least one, 2 the gate could not run a scanner (nothing was checked, so
"controls failed" would be a lie and "passed" a worse one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from controls.checks.registry import REGISTRY, CheckRegistry
from controls.collectors.base import Collector
from controls.findings import Finding, FindingStatus
from controls.model import Catalog, Control, Severity


@dataclass(frozen=True)
class GateViolation:
    control: Control
    findings: tuple[Finding, ...]
    requirements: dict[str, tuple[str, ...]]  # framework id -> requirement ids it breaks


@dataclass(frozen=True)
class GateReport:
    framework: str | None
    fail_on: Severity
    findings: tuple[Finding, ...]
    violations: tuple[GateViolation, ...]
    collector_errors: tuple[tuple[str, str], ...] = ()  # (collector, cause)

    @property
    def blocking(self) -> tuple[GateViolation, ...]:
        return tuple(v for v in self.violations if v.control.severity.at_least(self.fail_on))

    @property
    def exit_code(self) -> int:
        if self.collector_errors:
            return 2
        return 1 if self.blocking else 0


def run_gate(
    catalog: Catalog,
    collectors: Sequence[Collector],
    *,
    framework: str | None = None,
    fail_on: Severity = Severity.HIGH,
    registry: CheckRegistry = REGISTRY,
) -> GateReport:
    """A collector that crashes gives ``error`` findings naming the cause, and exit code 2."""
    if framework is not None:
        catalog.framework(framework)  # UnknownFrameworkError: a usage error
    findings: list[Finding] = []
    collector_errors: list[tuple[str, str]] = []
    for collector in collectors:
        try:
            snapshot = collector.collect().snapshot
        except Exception as exc:
            cause = str(exc) or type(exc).__name__
            collector_errors.append((collector.name, cause))
            findings += registry.errors_for(collector.name, f"collector error: {cause}")
            continue
        findings += registry.run(collector.name, snapshot)
    bad = [f for f in findings if f.status in (FindingStatus.FAIL, FindingStatus.ERROR)]
    violations = []
    for control in sorted(catalog.controls.values(), key=lambda c: (-c.severity.rank, c.id)):
        if framework is not None and not control.mappings.get(framework):
            continue
        breaking = tuple(f for f in bad if f.check_id in control.checks)
        if breaking:
            mappings = (
                {framework: control.mappings[framework]} if framework else dict(control.mappings)
            )
            violations.append(GateViolation(control, breaking, mappings))
    return GateReport(
        framework=framework,
        fail_on=fail_on,
        findings=tuple(findings),
        violations=tuple(violations),
        collector_errors=tuple(collector_errors),
    )
