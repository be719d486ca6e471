"""Checks over checkov's results: each of ours is evidenced by a set of checkov check ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from controls.checks.registry import REGISTRY
from controls.findings import Result, verdict
from controls.snapshots.iac import IacSnapshot

# The ports trustplane's own checkov checks cover (controls/checkov_checks/, kept in step).
SERVICE_PORTS = (
    5432, 3306, 1433, 1521, 27017, 27018, 27019, 6379, 26379, 9200, 9300, 5601,
    11211, 9042, 5984, 2379, 8086, 7687, 8123, 9092, 2181, 5672,
)  # fmt: skip

CHECKOV_MAP: dict[str, tuple[str, tuple[str, ...]]] = {
    "iac.s3_kms_encryption": ("S3 buckets encrypted with KMS by default", ("CKV_AWS_145",)),
    "iac.s3_public_access_block": ("S3 buckets have a public access block", ("CKV2_AWS_6",)),
    "iac.s3_versioning": ("S3 buckets have versioning", ("CKV_AWS_21",)),
    "iac.rds_encryption": ("RDS storage encrypted", ("CKV_AWS_16",)),
    "iac.rds_not_public": ("RDS not publicly accessible", ("CKV_AWS_17",)),
    "iac.rds_backups": ("RDS has a backup policy", ("CKV_AWS_133",)),
    "iac.sg_admin_ports": (
        "Security groups closed to 0.0.0.0/0 on admin ports",
        ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"),
    ),
    "iac.sg_service_ports": (
        "Security groups closed to 0.0.0.0/0 on database, cache and search ports",
        tuple(f"CKV_TP_{port}" for port in SERVICE_PORTS),
    ),
    "iac.region_allowed": (
        "AWS providers only in allowed regions (DPDP s.16)",
        ("CKV_TP_REGION",),
    ),
    "iac.kms_rotation": ("KMS keys rotate", ("CKV_AWS_7",)),
    "iac.cloudtrail_multi_region": ("CloudTrail enabled in all regions", ("CKV_AWS_67",)),
    "iac.container_least_privilege": (
        "Containers run unprivileged as non-root",
        ("CKV_K8S_16", "CKV_K8S_20", "CKV_DOCKER_3", "CKV_DOCKER_8"),
    ),
}


def _make_check(checkov_ids: tuple[str, ...]) -> Callable[[IacSnapshot], Iterator[Result]]:
    def judge(snap: IacSnapshot) -> Iterator[Result]:
        for result in snap.results:
            if result.check_id not in checkov_ids:
                continue
            yield verdict(
                result.passed,
                f"{result.file_path}:{result.line}:{result.resource}",
                f"{result.check_id} passed",
                f"{result.check_id} failed",
            )

    return judge


for _check_id, (_title, _checkov_ids) in CHECKOV_MAP.items():
    REGISTRY.register(_check_id, "iac", _title)(_make_check(_checkov_ids))
