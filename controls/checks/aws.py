"""Checks over the aws snapshot (pure functions; one concern each)."""

from __future__ import annotations

from collections.abc import Iterator

from controls.checks.registry import REGISTRY
from controls.findings import Result, failed, not_applicable, passed, verdict
from controls.snapshots.aws import AwsSnapshot

check = REGISTRY.register


@check("aws.s3.default_encryption", "aws", "S3 buckets encrypt objects by default")
def s3_default_encryption(snap: AwsSnapshot) -> Iterator[Result]:
    for bucket in snap.buckets:
        yield verdict(
            bucket.encryption is not None,
            f"s3://{bucket.name}",
            f"default encryption {bucket.encryption}",
            "no default encryption configured",
        )


@check("aws.s3.versioning", "aws", "S3 buckets keep object versions")
def s3_versioning(snap: AwsSnapshot) -> Iterator[Result]:
    for bucket in snap.buckets:
        yield verdict(
            bucket.versioning, f"s3://{bucket.name}", "versioning enabled", "versioning not enabled"
        )


@check("aws.s3.public_access_block", "aws", "S3 buckets block all public access")
def s3_public_access_block(snap: AwsSnapshot) -> Iterator[Result]:
    for bucket in snap.buckets:
        yield verdict(
            bucket.public_access_blocked,
            f"s3://{bucket.name}",
            "all four public access block settings on",
            "public access block missing or incomplete",
        )


@check("aws.s3.evidence_object_lock", "aws", "Evidence buckets use Object Lock compliance mode")
def s3_evidence_object_lock(snap: AwsSnapshot) -> Iterator[Result]:
    minimum = snap.policy.min_evidence_retention_days
    for bucket in snap.buckets:
        resource = f"s3://{bucket.name}"
        if bucket.tags.get(snap.policy.evidence_tag, "").lower() != "true":
            continue
        if not bucket.object_lock:
            yield failed(resource, "evidence bucket without Object Lock")
        elif bucket.object_lock_mode != "COMPLIANCE":
            yield failed(
                resource, f"default retention mode {bucket.object_lock_mode}, not COMPLIANCE"
            )
        elif (bucket.object_lock_days or 0) < minimum:
            yield failed(resource, f"default retention {bucket.object_lock_days} d < {minimum} d")
        else:
            yield passed(resource, f"Object Lock COMPLIANCE for {bucket.object_lock_days} d")


@check("aws.kms.rotation", "aws", "Customer-managed KMS keys rotate automatically")
def kms_rotation(snap: AwsSnapshot) -> Iterator[Result]:
    for key in snap.keys:
        resource = f"kms:{key.region}:{key.key_id}"
        if not key.customer_managed or not key.enabled:
            yield not_applicable(resource, "AWS-managed or disabled key")
            continue
        yield verdict(key.rotation_enabled, resource, "rotation enabled", "rotation disabled")


@check("aws.cloudtrail.multi_region", "aws", "A multi-region CloudTrail trail is logging")
def cloudtrail_multi_region(snap: AwsSnapshot) -> Iterator[Result]:
    good = [t for t in snap.trails if t.multi_region and t.logging]
    if good:
        yield passed(f"cloudtrail:{good[0].name}", "multi-region trail logging")
    elif snap.trails:
        names = ", ".join(sorted(t.name for t in snap.trails))
        yield failed(f"cloudtrail:{names}", "no trail is both multi-region and logging")
    else:
        yield failed("cloudtrail", "no trail configured")


@check("aws.iam.password_policy", "aws", "IAM password policy meets PCI DSS 8.3.6")
def iam_password_policy(snap: AwsSnapshot) -> Iterator[Result]:
    policy = snap.password_policy
    if policy is None:
        yield failed("iam:password-policy", "no account password policy")
        return
    problems = []
    if policy.minimum_length < snap.policy.min_password_length:
        problems.append(
            f"minimum length {policy.minimum_length} < {snap.policy.min_password_length}"
        )
    if not policy.require_numbers:
        problems.append("numbers not required")
    if not (policy.require_uppercase or policy.require_lowercase):
        problems.append("letters not required")
    yield verdict(
        not problems, "iam:password-policy", "password policy strong enough", "; ".join(problems)
    )


@check("aws.iam.console_mfa", "aws", "IAM users with console access have MFA")
def iam_console_mfa(snap: AwsSnapshot) -> Iterator[Result]:
    for user in snap.users:
        resource = f"iam:user/{user.name}"
        if not user.console_access:
            yield not_applicable(resource, "no console password")
            continue
        yield verdict(
            user.mfa_devices > 0, resource, "MFA device enrolled", "console user without MFA"
        )


@check("aws.rds.encryption", "aws", "RDS instances encrypt storage")
def rds_encryption(snap: AwsSnapshot) -> Iterator[Result]:
    for db in snap.databases:
        yield verdict(
            db.encrypted, f"rds:{db.identifier}", "storage encrypted", "storage not encrypted"
        )


@check("aws.rds.backups", "aws", "RDS instances keep automated backups")
def rds_backups(snap: AwsSnapshot) -> Iterator[Result]:
    minimum = snap.policy.min_backup_retention_days
    for db in snap.databases:
        yield verdict(
            db.backup_retention_days >= minimum,
            f"rds:{db.identifier}",
            f"backups kept {db.backup_retention_days} d",
            f"backup retention {db.backup_retention_days} d < {minimum} d",
        )


@check("aws.rds.not_public", "aws", "RDS instances are not publicly accessible")
def rds_not_public(snap: AwsSnapshot) -> Iterator[Result]:
    for db in snap.databases:
        yield verdict(not db.public, f"rds:{db.identifier}", "not public", "publicly accessible")


@check("aws.ec2.admin_ports_closed", "aws", "No security group opens admin ports to the world")
def ec2_admin_ports_closed(snap: AwsSnapshot) -> Iterator[Result]:
    for group in snap.security_groups:
        open_ports = sorted(
            {
                port
                for rule in group.world_ingress
                for port in snap.policy.admin_ports
                if rule.exposes(port)
            }
        )
        yield verdict(
            not open_ports,
            f"ec2:{group.region}:{group.group_id}",
            "no admin port open to 0.0.0.0/0",
            "open to the internet on " + ", ".join(str(p) for p in open_ports),
        )


@check("aws.region.allowed", "aws", "Personal-data resources only in allowed regions (DPDP s.16)")
def region_allowed(snap: AwsSnapshot) -> Iterator[Result]:
    allowed = set(snap.policy.allowed_regions)
    located = [(f"s3://{b.name}", b.region, b.holds_personal_data) for b in snap.buckets]
    located += [(f"rds:{d.identifier}", d.region, d.holds_personal_data) for d in snap.databases]
    for resource, region, personal in located:
        if not personal:
            continue
        yield verdict(
            region in allowed,
            resource,
            f"personal data in allowed region {region}",
            f"personal data in {region}, outside {sorted(allowed)}",
        )
