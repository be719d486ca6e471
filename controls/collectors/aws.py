"""aws collector: reads S3, KMS, CloudTrail, IAM, RDS and EC2 through boto3 (read-only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from controls.collectors.base import Collected, collected_from
from controls.snapshots.aws import (
    AwsPolicy,
    AwsSnapshot,
    IamUser,
    IngressRule,
    KmsKey,
    PasswordPolicy,
    RdsInstance,
    S3Bucket,
    SecurityGroup,
    Trail,
)

WORLD = ("0.0.0.0/0", "::/0")


class AwsCollector:
    """One account, the configured regions. ``endpoint_url`` points boto3 at moto in tests."""

    name = "aws"

    def __init__(
        self,
        regions: Sequence[str] = ("ap-south-1",),
        *,
        policy: AwsPolicy | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
    ) -> None:
        self._regions = tuple(regions)
        self._policy = policy or AwsPolicy()
        self._endpoint_url = endpoint_url
        self._session = session or boto3.Session()
        self._config = Config(retries={"max_attempts": 3, "mode": "standard"})

    def _client(self, service: str, region: str) -> Any:
        factory: Any = self._session.client  # one generic factory over the typed overloads
        return factory(
            service, region_name=region, endpoint_url=self._endpoint_url, config=self._config
        )

    def collect(self) -> Collected:
        home = self._regions[0]
        snapshot = AwsSnapshot(
            regions=self._regions,
            policy=self._policy,
            buckets=tuple(self._buckets(home)),
            keys=tuple(k for region in self._regions for k in self._keys(region)),
            trails=tuple(self._trails(home)),
            password_policy=self._password_policy(home),
            users=tuple(self._users(home)),
            databases=tuple(d for region in self._regions for d in self._databases(region)),
            security_groups=tuple(g for region in self._regions for g in self._groups(region)),
        )
        return collected_from(f"aws:{','.join(self._regions)}", snapshot)

    # --- S3 -----------------------------------------------------------------------------

    def _buckets(self, home: str) -> Iterator[S3Bucket]:
        s3 = self._client("s3", home)
        for entry in s3.list_buckets().get("Buckets", []):
            name = entry["Name"]
            region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
            lock_enabled, lock_mode, lock_days = _object_lock(s3, name)
            yield S3Bucket(
                name=name,
                region=region,
                tags=_tags(_optional(s3.get_bucket_tagging, "TagSet", Bucket=name)),
                encryption=_encryption(s3, name),
                versioning=s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled",
                public_access_blocked=_public_access_blocked(s3, name),
                object_lock=lock_enabled,
                object_lock_mode=lock_mode,
                object_lock_days=lock_days,
            )

    # --- KMS ----------------------------------------------------------------------------

    def _keys(self, region: str) -> Iterator[KmsKey]:
        kms = self._client("kms", region)
        for page in kms.get_paginator("list_keys").paginate():
            for entry in page.get("Keys", []):
                meta = kms.describe_key(KeyId=entry["KeyId"])["KeyMetadata"]
                customer = meta.get("KeyManager") == "CUSTOMER"
                symmetric = meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
                enabled = meta.get("KeyState") == "Enabled"
                rotation = False
                if customer and symmetric and enabled:
                    status = kms.get_key_rotation_status(KeyId=entry["KeyId"])
                    rotation = bool(status.get("KeyRotationEnabled"))
                yield KmsKey(
                    key_id=entry["KeyId"],
                    region=region,
                    customer_managed=customer and symmetric,
                    enabled=enabled,
                    rotation_enabled=rotation,
                )

    # --- CloudTrail ---------------------------------------------------------------------

    def _trails(self, home: str) -> Iterator[Trail]:
        cloudtrail = self._client("cloudtrail", home)
        for trail in cloudtrail.describe_trails(includeShadowTrails=False).get("trailList", []):
            status = cloudtrail.get_trail_status(Name=trail["TrailARN"])
            yield Trail(
                name=trail["Name"],
                home_region=trail.get("HomeRegion", home),
                multi_region=bool(trail.get("IsMultiRegionTrail")),
                logging=bool(status.get("IsLogging")),
            )

    # --- IAM ----------------------------------------------------------------------------

    def _password_policy(self, home: str) -> PasswordPolicy | None:
        iam = self._client("iam", home)
        try:
            policy = iam.get_account_password_policy()["PasswordPolicy"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return None
            raise
        return PasswordPolicy(
            minimum_length=int(policy.get("MinimumPasswordLength", 0)),
            require_numbers=bool(policy.get("RequireNumbers")),
            require_symbols=bool(policy.get("RequireSymbols")),
            require_uppercase=bool(policy.get("RequireUppercaseCharacters")),
            require_lowercase=bool(policy.get("RequireLowercaseCharacters")),
        )

    def _users(self, home: str) -> Iterator[IamUser]:
        iam = self._client("iam", home)
        for page in iam.get_paginator("list_users").paginate():
            for user in page.get("Users", []):
                name = user["UserName"]
                console = _has_login_profile(iam, name)
                devices = iam.list_mfa_devices(UserName=name).get("MFADevices", [])
                yield IamUser(name=name, console_access=console, mfa_devices=len(devices))

    # --- RDS ----------------------------------------------------------------------------

    def _databases(self, region: str) -> Iterator[RdsInstance]:
        rds = self._client("rds", region)
        for page in rds.get_paginator("describe_db_instances").paginate():
            for db in page.get("DBInstances", []):
                yield RdsInstance(
                    identifier=db["DBInstanceIdentifier"],
                    region=region,
                    encrypted=bool(db.get("StorageEncrypted")),
                    backup_retention_days=int(db.get("BackupRetentionPeriod", 0)),
                    public=bool(db.get("PubliclyAccessible")),
                    tags=_tags(db.get("TagList", [])),
                )

    # --- EC2 ----------------------------------------------------------------------------

    def _groups(self, region: str) -> Iterator[SecurityGroup]:
        ec2 = self._client("ec2", region)
        for page in ec2.get_paginator("describe_security_groups").paginate():
            for group in page.get("SecurityGroups", []):
                yield SecurityGroup(
                    group_id=group["GroupId"],
                    name=group.get("GroupName", ""),
                    region=region,
                    world_ingress=tuple(_world_rules(group.get("IpPermissions", []))),
                )


def _optional(call: Any, key: str, **kwargs: Any) -> Any:
    """``call(**kwargs)[key]``, or an empty list when the configuration does not exist."""
    try:
        return call(**kwargs).get(key, [])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code.startswith("NoSuch") or code.endswith("NotFoundError") or "NotFound" in code:
            return []
        raise


def _tags(tag_list: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tag_list}


def _encryption(s3: Any, bucket: str) -> str | None:
    rules = _optional(
        lambda **kw: s3.get_bucket_encryption(**kw).get("ServerSideEncryptionConfiguration", {}),
        "Rules",
        Bucket=bucket,
    )
    for rule in rules:
        algorithm = rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        if algorithm:
            return str(algorithm)
    return None


def _public_access_blocked(s3: Any, bucket: str) -> bool:
    try:
        config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError:
        return False
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return all(bool(config.get(key)) for key in keys)


def _object_lock(s3: Any, bucket: str) -> tuple[bool, str | None, int | None]:
    try:
        config = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError:
        return False, None, None
    enabled = config.get("ObjectLockEnabled") == "Enabled"
    retention = config.get("Rule", {}).get("DefaultRetention", {})
    days = retention.get("Days")
    if days is None and retention.get("Years") is not None:
        days = int(retention["Years"]) * 365
    return enabled, retention.get("Mode"), int(days) if days is not None else None


def _has_login_profile(iam: Any, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return False
        raise
    return True


def _world_rules(permissions: list[dict[str, Any]]) -> Iterator[IngressRule]:
    for permission in permissions:
        cidrs = [r.get("CidrIp") for r in permission.get("IpRanges", [])]
        cidrs += [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
        for cidr in cidrs:
            if cidr in WORLD:
                yield IngressRule(
                    protocol=str(permission.get("IpProtocol", "-1")),
                    from_port=permission.get("FromPort"),
                    to_port=permission.get("ToPort"),
                    cidr=str(cidr),
                )
