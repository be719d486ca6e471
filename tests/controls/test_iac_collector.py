"""iac collector running the real checkov, offline, over fixtures written by the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from controls.checks import REGISTRY
from controls.collectors.iac import IacCollector, parse_checkov
from controls.errors import CollectorError
from tests.controls.conftest import FIXTURES


def _failing(findings: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(f.check_id, f.resource) for f in findings if f.status.value == "fail"}


def test_violating_fixture_gives_exact_failures(checkov_bin: Path) -> None:
    collected = IacCollector(FIXTURES / "iac_violating", checkov_bin).collect()
    findings = REGISTRY.run("iac", collected.snapshot)
    assert _failing(findings) == {
        ("iac.s3_kms_encryption", "main.tf:2:aws_s3_bucket.customer_exports"),
        ("iac.s3_public_access_block", "main.tf:2:aws_s3_bucket.customer_exports"),
        ("iac.s3_versioning", "main.tf:2:aws_s3_bucket.customer_exports"),
        ("iac.rds_encryption", "main.tf:6:aws_db_instance.ledger"),
        ("iac.rds_not_public", "main.tf:6:aws_db_instance.ledger"),
        ("iac.sg_admin_ports", "main.tf:14:aws_security_group.bastion"),
        ("iac.container_least_privilege", "Dockerfile:1:/Dockerfile."),
    }
    assert b"CKV_AWS_16" in collected.artifact
    assert collected.snapshot.checkov_version  # type: ignore[attr-defined]


def test_clean_fixture_has_no_failures(checkov_bin: Path) -> None:
    collected = IacCollector(FIXTURES / "iac_clean", checkov_bin).collect()
    findings = REGISTRY.run("iac", collected.snapshot)
    assert _failing(findings) == set()
    passing = {f.check_id for f in findings if f.status.value == "pass"}
    assert {"iac.rds_encryption", "iac.sg_admin_ports", "iac.kms_rotation"} <= passing


def test_missing_directory_and_binary_are_collector_errors(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match="not a directory"):
        IacCollector(tmp_path / "nope", tmp_path / "checkov").collect()
    with pytest.raises(CollectorError, match="checkov not found"):
        IacCollector(tmp_path, tmp_path / "checkov").collect()


def test_parse_checkov_accepts_a_list_and_refuses_garbage(tmp_path: Path) -> None:
    report = (
        b'[{"check_type": "terraform", "results": {"failed_checks": [{"check_id": "CKV_AWS_16",'
        b' "resource": "aws_db_instance.x", "file_path": "/a.tf", "file_line_range": [3, 9]}]},'
        b' "summary": {"checkov_version": "3", "parsing_errors": 0}}]'
    )
    snapshot = parse_checkov(report, tmp_path)
    assert [(r.check_id, r.file_path, r.line, r.passed) for r in snapshot.results] == [
        ("CKV_AWS_16", "a.tf", 3, False)
    ]
    assert parse_checkov(b"", tmp_path).results == ()
    with pytest.raises(CollectorError):
        parse_checkov(b"not json", tmp_path)
