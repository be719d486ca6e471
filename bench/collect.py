"""Collection benchmark: checkov over a generated Terraform tree, the aws collector over moto,
the full run in parallel vs one collector after another, and posture over many findings.

    .venv/bin/python bench/collect.py [--resources 500] [--buckets 200] [--groups 50]
                                      [--databases 20] [--findings 10000]

Starts its own moto server on loopback. The machine's cores are shared (checkov, moto and
this process compete), so the figures are a floor; the parallel/sequential ratio is measured
in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402

from audit import InMemoryAuditLog  # noqa: E402
from controls import (  # noqa: E402
    REGISTRY,
    AwsCollector,
    CollectionRunner,
    Collector,
    ControlsRepository,
    Finding,
    FindingStatus,
    IacCollector,
    InMemoryEvidenceStore,
    ManualCollector,
    PlatformCollector,
    StoredFinding,
    load_catalog,
)
from controls.posture import all_control_postures, framework_posture  # noqa: E402
from tests.services import reset_moto, start_moto  # noqa: E402
from trustplane.db import make_engine  # noqa: E402
from trustplane.migrations.runner import upgrade  # noqa: E402

TEMPLATES = [
    'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "fs-bench-{i}"\n}}\n',
    'resource "aws_db_instance" "d{i}" {{\n  identifier = "db-{i}"\n  engine = "postgres"\n'
    '  instance_class = "db.t3.micro"\n  storage_encrypted = {flag}\n'
    "  publicly_accessible = false\n  backup_retention_period = 7\n}}\n",
    'resource "aws_security_group" "g{i}" {{\n  name = "g{i}"\n  description = "bench"\n'
    '  ingress {{\n    description = "ssh"\n    from_port = 22\n    to_port = 22\n'
    '    protocol = "tcp"\n    cidr_blocks = ["{cidr}"]\n  }}\n}}\n',
    'resource "aws_kms_key" "k{i}" {{\n  description = "k{i}"\n'
    "  enable_key_rotation = {flag}\n}}\n",
]


def generate_terraform(directory: Path, resources: int) -> None:
    per_file = 25
    for start in range(0, resources, per_file):
        blocks = []
        for i in range(start, min(start + per_file, resources)):
            template = TEMPLATES[i % len(TEMPLATES)]
            flag = "true" if i % 3 else "false"
            cidr = "0.0.0.0/0" if i % 5 == 0 else "10.0.0.0/8"
            blocks.append(template.format(i=i, flag=flag, cidr=cidr))
        (directory / f"main_{start // per_file:03d}.tf").write_text("\n".join(blocks))


def client(service: str, url: str) -> Any:
    factory: Any = boto3.client
    return factory(
        service,
        region_name="ap-south-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def seed_moto(url: str, buckets: int, groups: int, databases: int) -> None:
    s3, ec2, rds = client("s3", url), client("ec2", url), client("rds", url)
    for i in range(buckets):
        name = f"fs-bench-{i:04d}"
        s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"}
        )
        if i % 2:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for i in range(groups):
        group = ec2.create_security_group(GroupName=f"g{i}", Description="bench", VpcId=vpc)
        cidr = "0.0.0.0/0" if i % 5 == 0 else "10.0.0.0/8"
        ec2.authorize_security_group_ingress(
            GroupId=group["GroupId"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}
            ],
        )
    for i in range(databases):
        rds.create_db_instance(
            DBInstanceIdentifier=f"db-{i}",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="bench",
            MasterUserPassword="Bench-pass-1234",
            AllocatedStorage=20,
            StorageEncrypted=bool(i % 2),
        )


def timed(label: str, action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    print(f"{label:<58} {elapsed:8.2f} s")
    return elapsed, result


class EmptyAttestations:
    def attestations(self) -> list[Any]:
        return []


def full_runs(collectors: list[Collector], workdir: Path) -> tuple[float, float]:
    engine = make_engine(f"sqlite:///{workdir / 'bench.db'}")
    upgrade(engine)
    repository = ControlsRepository(engine)
    runner = CollectionRunner(
        collectors, repository, InMemoryEvidenceStore(), InMemoryAuditLog(), timeout_seconds=600
    )
    parallel, _ = timed("full run, collectors in parallel", runner.run)

    def one_after_another() -> None:
        for collector in collectors:
            runner.run([collector.name])

    sequential, _ = timed("full run, one collector after another", one_after_another)
    engine.dispose()
    return parallel, sequential


def posture_benchmark(findings: int) -> list[float]:
    catalog = load_catalog()
    checks = REGISTRY.ids()
    now = datetime.now(UTC)
    statuses = list(FindingStatus)
    stored = [
        StoredFinding(
            finding=Finding(
                check_id=checks[i % len(checks)],
                collector=checks[i % len(checks)].split(".")[0],
                status=statuses[i % 7 % len(statuses)],
                resource=f"resource-{i}",
                reason="bench",
            ),
            observed_at=now - timedelta(minutes=i % 90),
            evidence_sha256="0" * 64,
            run_id="bench",
        )
        for i in range(findings)
    ]
    samples = []
    for _ in range(7):
        started = time.perf_counter()
        controls = all_control_postures(catalog, stored, now)
        for framework in catalog.frameworks.values():
            framework_posture(catalog, framework, controls)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--buckets", type=int, default=200)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--databases", type=int, default=20)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--checkov", type=Path, default=REPO / ".tools/checkov/bin/checkov")
    args = parser.parse_args()
    print("controls collection benchmark (2 shared cores; checkov, moto and Python compete)")
    with tempfile.TemporaryDirectory(prefix="tp-bench-collect-") as tmp:
        workdir = Path(tmp)
        tree = workdir / "terraform"
        tree.mkdir()
        generate_terraform(tree, args.resources)
        iac = IacCollector(tree, args.checkov)
        _, collected = timed(f"checkov over {args.resources} Terraform resources", iac.collect)
        iac_findings = REGISTRY.run("iac", collected.snapshot)
        print(f"{'  iac findings':<58} {len(iac_findings):8d}")

        moto = start_moto()
        try:
            reset_moto(moto.url)
            _, _ = timed(
                f"seed moto ({args.buckets} buckets, {args.groups} SGs, {args.databases} RDS)",
                lambda: seed_moto(moto.url, args.buckets, args.groups, args.databases),
            )
            aws = AwsCollector(
                ["ap-south-1"],
                endpoint_url=moto.url,
                session=boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing"),
            )
            _, collected = timed("aws collector over moto", aws.collect)
            aws_findings = REGISTRY.run("aws", collected.snapshot)
            print(f"{'  aws findings':<58} {len(aws_findings):8d}")
            collectors: list[Collector] = [
                iac,
                aws,
                PlatformCollector(),
                ManualCollector(EmptyAttestations()),
            ]
            parallel, sequential = full_runs(collectors, workdir)
            print(f"{'  sequential / parallel (speed-up)':<58} {sequential / parallel:8.2f} x")
        finally:
            moto.stop()
    samples = posture_benchmark(args.findings)
    print(
        f"{f'posture over {args.findings} findings (all controls + 4 frameworks)':<58} "
        f"{statistics.median(samples):8.1f} ms median, {max(samples):.1f} ms max of 7"
    )


if __name__ == "__main__":
    main()
