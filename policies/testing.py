"""Run a bundle's Rego unit tests (``test_*`` rules) on regorus and measure line coverage."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field

import regorus

from policies.errors import BundleError
from policies.source import BundleFiles, is_test_module

COVERAGE_FLOOR = 90.0


@dataclass(frozen=True)
class RegoTestResult:
    package: str
    name: str
    passed: bool
    error: str | None = None

    @property
    def rule(self) -> str:
        return f"{self.package}.{self.name}"


@dataclass(frozen=True)
class FileCoverage:
    path: str
    covered: frozenset[int]
    not_covered: frozenset[int]

    @property
    def percent(self) -> float:
        total = len(self.covered) + len(self.not_covered)
        return 100.0 if total == 0 else 100.0 * len(self.covered) / total


@dataclass(frozen=True)
class RegoTestReport:
    results: list[RegoTestResult]
    coverage: list[FileCoverage] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> list[RegoTestResult]:
        return [r for r in self.results if not r.passed]

    @property
    def coverage_percent(self) -> float:
        covered = sum(len(f.covered) for f in self.coverage)
        total = covered + sum(len(f.not_covered) for f in self.coverage)
        return 100.0 if total == 0 else 100.0 * covered / total

    def ok(self, floor: float = COVERAGE_FLOOR) -> bool:
        return bool(self.results) and not self.failed and self.coverage_percent >= floor


def compile_engine(files: BundleFiles, *, include_tests: bool = True) -> regorus.Engine:
    """A regorus engine loaded with the bundle; Rego syntax errors become ``BundleError``.

    A failed engine is dropped here, before the error leaves: the error's traceback holds
    this frame, and an unsendable engine freed with it on another thread (a garbage
    collection there) would be leaked with an unraisable ``RuntimeError``."""
    engine = regorus.Engine()
    modules = files.modules if include_tests else files.policy_modules()
    try:
        for path, source in sorted(modules.items()):
            try:
                engine.add_policy(path, source)
            except RuntimeError as exc:
                raise BundleError(f"{path}: {engine_error_message(exc)}") from exc
        engine.add_data(files.data)
    except BaseException:
        del engine  # freed here, on its own thread: the error's frames no longer hold it
        raise
    return engine


def engine_error_message(exc: BaseException) -> str:
    return str(exc).strip().split("\n\nStack backtrace", 1)[0].strip()


_PACKAGE = re.compile(r"^package\s+([A-Za-z0-9_.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]*)\b", re.MULTILINE)


def find_test_rules(files: BundleFiles) -> list[tuple[str, str]]:
    """(``data.<package>``, rule) for every top-level ``test_*`` rule in the test modules."""
    found: set[tuple[str, str]] = set()
    for path, source in files.modules.items():
        if not is_test_module(path):
            continue
        package = _PACKAGE.search(source)
        if package is None:
            raise BundleError(f"{path}: no package declaration")
        for match in _TEST_RULE.finditer(source):
            found.add((f"data.{package.group(1)}", match.group(1)))
    return sorted(found)


def run_rego_tests(files: BundleFiles) -> RegoTestReport:
    """Evaluate every test rule; a rule passes when it evaluates to ``true``."""
    engine = compile_engine(files)
    engine.set_enable_coverage(True)
    results = [_run_one(engine, package, name) for package, name in find_test_rules(files)]
    coverage = _coverage(engine)
    reported = {entry.path for entry in coverage}
    for path, source in sorted(files.policy_modules().items()):
        if path not in reported:
            coverage.append(_never_touched(files, path, source))
    return RegoTestReport(results=results, coverage=coverage)


def _run_one(engine: regorus.Engine, package: str, name: str) -> RegoTestResult:
    try:
        value = engine.eval_rule(f"{package}.{name}")
    except RuntimeError as exc:
        message = engine_error_message(exc)
        if "undefined" in message.lower():
            return RegoTestResult(package, name, passed=False, error="undefined")
        return RegoTestResult(package, name, passed=False, error=message)
    if value is True:
        return RegoTestResult(package, name, passed=True)
    return RegoTestResult(package, name, passed=False, error="undefined" if value is None else None)


def _coverage(engine: regorus.Engine) -> list[FileCoverage]:
    report = json.loads(engine.get_coverage_report_as_json())
    return [
        FileCoverage(
            path=entry["path"],
            covered=frozenset(entry.get("covered", [])),
            not_covered=frozenset(entry.get("not_covered", [])),
        )
        for entry in report.get("files", [])
        if not is_test_module(entry["path"])
    ]


def _never_touched(files: BundleFiles, path: str, source: str) -> FileCoverage:
    """A module no test reached: find its coverable lines by evaluating its package once."""
    engine = compile_engine(files, include_tests=False)
    engine.set_enable_coverage(True)
    package = _PACKAGE.search(source)
    lines: set[int] = set()
    if package is not None:
        with contextlib.suppress(RuntimeError):  # what was reached before an error counts
            engine.eval_query_as_json(f"data.{package.group(1)}")
        for entry in _coverage(engine):
            if entry.path == path:
                lines = set(entry.covered | entry.not_covered)
    return FileCoverage(path=path, covered=frozenset(), not_covered=frozenset(lines or {1}))
