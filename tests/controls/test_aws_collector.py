"""aws collector against moto in server mode, with seeded good and bad resources."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from controls.checks import REGISTRY
from controls.collectors.aws import AwsCollector
from controls.findings import FindingStatus

pytestmark = pytest.mark.moto
REGION = "ap-south-1"


def _client(service: str, url: str, region: str = REGION) -> Any:
    factory: Any = boto3.client
    return factory(service, region_name=region, endpoint_url=url)


def _bucket(url: str, name: str, region: str = REGION, **kwargs: Any) -> Any:
    s3 = _client("s3", url, region)
    s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}, **kwargs
    )
    return s3


def seed_good_and_bad(url: str) -> None:
    good = _bucket(url, "fs-good", ObjectLockEnabledForBucket=True)
    good.put_bucket_encryption(
        Bucket="fs-good",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    good.put_bucket_versioning(Bucket="fs-good", VersioningConfiguration={"Status": "Enabled"})
    good.put_public_access_block(
        Bucket="fs-good",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    good.put_object_lock_configuration(
        Bucket="fs-good",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}},
        },
    )
    good.put_bucket_tagging(
        Bucket="fs-good",
        Tagging={
            "TagSet": [
                {"Key": "trustplane:evidence", "Value": "true"},
                {"Key": "data-classification", "Value": "3"},
            ]
        },
    )
    bad = _bucket(url, "fs-bad", region="eu-west-1")
    bad.put_bucket_tagging(
        Bucket="fs-bad",
        Tagging={
            "TagSet": [
                {"Key": "trustplane:evidence", "Value": "true"},
                {"Key": "personal-data", "Value": "true"},
            ]
        },
    )
    kms = _client("kms", url)
    rotated = kms.create_key(Description="good")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    kms.create_key(Description="bad")
    iam = _client("iam", url)
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=False)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Xy1!" * 4)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")
    iam.enable_mfa_device(
        UserName="alice",
        SerialNumber=device["VirtualMFADevice"]["SerialNumber"],
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Xy1!" * 4)
    iam.create_user(UserName="ci-bot")
    _client("s3", url).create_bucket(
        Bucket="fs-trail", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    trail = _client("cloudtrail", url)
    trail.create_trail(Name="org", S3BucketName="fs-trail", IsMultiRegionTrail=False)
    trail.start_logging(Name="org")
    rds = _client("rds", url)
    rds.create_db_instance(
        DBInstanceIdentifier="db-good",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin1",
        MasterUserPassword="Xy1!" * 4,
        AllocatedStorage=20,
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
        PubliclyAccessible=False,
        Tags=[{"Key": "data-classification", "Value": "confidential"}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="db-bad",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin1",
        MasterUserPassword="Xy1!" * 4,
        AllocatedStorage=20,
        StorageEncrypted=False,
        BackupRetentionPeriod=0,
        PubliclyAccessible=True,
    )
    ec2 = _client("ec2", url)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for name, port, cidr in (
        ("sg-ssh", 22, "0.0.0.0/0"),
        ("sg-pg", 5432, "::/0"),
        ("sg-https", 443, "0.0.0.0/0"),
        ("sg-internal", 22, "10.0.0.0/8"),
    ):
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ip_ranges = (
            {"Ipv6Ranges": [{"CidrIpv6": cidr}]}
            if ":" in cidr
            else {"IpRanges": [{"CidrIp": cidr}]}
        )
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **ip_ranges}],
        )


def _by_check(findings: list[Any]) -> dict[str, set[tuple[str, str]]]:
    table: dict[str, set[tuple[str, str]]] = {}
    for f in findings:
        table.setdefault(f.check_id, set()).add((f.resource, f.status.value))
    return table


def test_aws_collector_judges_seeded_good_and_bad_resources(moto_url: str) -> None:
    seed_good_and_bad(moto_url)
    collected = AwsCollector([REGION], endpoint_url=moto_url).collect()
    table = _by_check(REGISTRY.run("aws", collected.snapshot))
    buckets = {"s3://fs-good", "s3://fs-bad", "s3://fs-trail"}
    assert table["aws.s3.default_encryption"] == {
        ("s3://fs-good", "pass"),
        ("s3://fs-bad", "fail"),
        ("s3://fs-trail", "fail"),
    }
    assert table["aws.s3.versioning"] == {
        ("s3://fs-good", "pass"),
        ("s3://fs-bad", "fail"),
        ("s3://fs-trail", "fail"),
    }
    assert {r for r, _ in table["aws.s3.public_access_block"]} == buckets
    assert ("s3://fs-good", "pass") in table["aws.s3.public_access_block"]
    assert ("s3://fs-bad", "fail") in table["aws.s3.public_access_block"]
    assert table["aws.s3.evidence_object_lock"] == {
        ("s3://fs-good", "pass"),
        ("s3://fs-bad", "fail"),
    }
    assert table["aws.region.allowed"] == {
        ("s3://fs-good", "pass"),
        ("s3://fs-bad", "fail"),
        ("rds:db-good", "pass"),
    }
    assert sorted(s for _, s in table["aws.kms.rotation"]) == ["fail", "pass"]
    assert table["aws.cloudtrail.multi_region"] == {("cloudtrail:org", "fail")}
    assert table["aws.iam.password_policy"] == {("iam:password-policy", "fail")}
    assert table["aws.iam.console_mfa"] == {
        ("iam:user/alice", "pass"),
        ("iam:user/bob", "fail"),
        ("iam:user/ci-bot", "not_applicable"),
    }
    assert table["aws.rds.encryption"] == {("rds:db-good", "pass"), ("rds:db-bad", "fail")}
    assert table["aws.rds.backups"] == {("rds:db-good", "pass"), ("rds:db-bad", "fail")}
    assert table["aws.rds.not_public"] == {("rds:db-good", "pass"), ("rds:db-bad", "fail")}
    groups = {
        f.reason
        for f in REGISTRY.run("aws", collected.snapshot)
        if f.check_id == "aws.ec2.admin_ports_closed" and f.status is FindingStatus.FAIL
    }
    assert groups == {"open to the internet on 22", "open to the internet on 5432"}
    sg_statuses = sorted(s for _, s in table["aws.ec2.admin_ports_closed"])
    assert sg_statuses.count("fail") == 2  # sg-ssh, sg-pg; sg-https, sg-internal, default pass
    assert b"fs-good" in collected.artifact


def test_aws_collector_passes_a_clean_trail_and_policy(moto_url: str) -> None:
    _client("s3", moto_url).create_bucket(
        Bucket="fs-trail", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    trail = _client("cloudtrail", moto_url)
    trail.create_trail(Name="org", S3BucketName="fs-trail", IsMultiRegionTrail=True)
    trail.start_logging(Name="org")
    _client("iam", moto_url).update_account_password_policy(
        MinimumPasswordLength=14, RequireNumbers=True, RequireLowercaseCharacters=True
    )
    collected = AwsCollector([REGION], endpoint_url=moto_url).collect()
    table = _by_check(REGISTRY.run("aws", collected.snapshot))
    assert table["aws.cloudtrail.multi_region"] == {("cloudtrail:org", "pass")}
    assert table["aws.iam.password_policy"] == {("iam:password-policy", "pass")}
    assert table["aws.rds.encryption"] == {("aws", "not_applicable")}
