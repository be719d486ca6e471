from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policies import (
    COVERAGE_FLOOR,
    DEFAULT_BUNDLE_DIR,
    BundleError,
    load_bundle_dir,
    run_rego_tests,
)
from policies.testing import find_test_rules


def copy_bundle(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(DEFAULT_BUNDLE_DIR, target)
    return target


def test_shipped_bundle_passes_with_coverage_above_floor() -> None:
    report = run_rego_tests(load_bundle_dir())
    assert len(report.results) >= 70
    assert report.failed == []
    assert report.coverage_percent >= COVERAGE_FLOOR
    assert report.ok()
    paths = {entry.path for entry in report.coverage}
    assert "finsolve/authz.rego" in paths
    assert not any(path.endswith("_test.rego") for path in paths)


def test_every_access_model_rule_has_allow_and_deny_tests() -> None:
    names = {name for _, name in find_test_rules(load_bundle_dir())}
    assert any("default_deny" in n for n in names)
    for fragment in (
        "customer",
        "support",
        "payments",
        "analytics",
        "notification",
        "wealth",
        "engineer",
        "admin",
        "dpo",
        "auditor",
        "break_glass",
        "localisation",
        "consent",
    ):
        assert any(fragment in n for n in names), fragment


def test_failing_rule_is_reported(tmp_path: Path) -> None:
    bundle = copy_bundle(tmp_path)
    (bundle / "finsolve" / "broken_test.rego").write_text(
        "package finsolve.broken_test\n\nimport rego.v1\n\n"
        "import data.finsolve.authz\n\n"
        "test_customer_reads_anything if authz.decision.allow with input as {}\n"
    )
    report = run_rego_tests(load_bundle_dir(bundle))
    assert [r.rule for r in report.failed] == [
        "data.finsolve.broken_test.test_customer_reads_anything"
    ]
    assert report.failed[0].error == "undefined"
    assert not report.ok()


def test_uncovered_rules_lower_coverage(tmp_path: Path) -> None:
    bundle = copy_bundle(tmp_path)
    lines = "\n".join(f"unused_{i} if input.x == {i}" for i in range(200))
    (bundle / "finsolve" / "unused.rego").write_text(
        f"package finsolve.unused\n\nimport rego.v1\n\n{lines}\n"
    )
    report = run_rego_tests(load_bundle_dir(bundle))
    assert report.failed == []
    assert report.coverage_percent < COVERAGE_FLOOR
    assert not report.ok()


def test_syntax_error_is_a_bundle_error(tmp_path: Path) -> None:
    bundle = copy_bundle(tmp_path)
    (bundle / "finsolve" / "bad.rego").write_text("package finsolve.bad\n\nallow if {\n")
    with pytest.raises(BundleError) as info:
        run_rego_tests(load_bundle_dir(bundle))
    assert "Stack backtrace" not in str(info.value)


def test_missing_or_bad_directory(tmp_path: Path) -> None:
    with pytest.raises(BundleError):
        load_bundle_dir(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError):
        load_bundle_dir(tmp_path / "empty")
    bundle = copy_bundle(tmp_path)
    (bundle / "data.json").write_text("[1, 2]")
    with pytest.raises(BundleError):
        load_bundle_dir(bundle)
    (bundle / "data.json").write_text("{oops")
    with pytest.raises(BundleError):
        load_bundle_dir(bundle)


def test_revision_is_a_content_hash(tmp_path: Path) -> None:
    original = load_bundle_dir()
    bundle = copy_bundle(tmp_path)
    assert load_bundle_dir(bundle).revision == original.revision
    assert len(original.revision) == 64
    data = (
        (bundle / "data.json").read_text().replace('"ap-south-2"', '"ap-south-2", "eu-west-1"', 1)
    )
    (bundle / "data.json").write_text(data)
    assert load_bundle_dir(bundle).revision != original.revision
    assert original.roots == ["finsolve", "system", "trustplane"]
