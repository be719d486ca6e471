"""What the aws collector saw: S3, KMS, CloudTrail, IAM, RDS and EC2 security groups."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PERSONAL_DATA_CLASSES = frozenset({"3", "4", "confidential", "restricted"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Tagged(_Frozen):
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def holds_personal_data(self) -> bool:
        classification = self.tags.get("data-classification", "").lower()
        return (
            self.tags.get("personal-data", "").lower() == "true"
            or classification in PERSONAL_DATA_CLASSES
        )


class S3Bucket(Tagged):
    name: str
    region: str
    encryption: str | None = None  # SSE algorithm of the default encryption, if any
    versioning: bool = False
    public_access_blocked: bool = False  # all four public-access-block settings on
    object_lock: bool = False
    object_lock_mode: str | None = None
    object_lock_days: int | None = None


class KmsKey(_Frozen):
    key_id: str
    region: str
    customer_managed: bool
    enabled: bool
    rotation_enabled: bool


class Trail(_Frozen):
    name: str
    home_region: str
    multi_region: bool
    logging: bool


class PasswordPolicy(_Frozen):
    minimum_length: int = 0
    require_numbers: bool = False
    require_symbols: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False


class IamUser(_Frozen):
    name: str
    console_access: bool
    mfa_devices: int


class RdsInstance(Tagged):
    identifier: str
    region: str
    encrypted: bool
    backup_retention_days: int
    public: bool


class IngressRule(_Frozen):
    protocol: str  # "-1" means every protocol and port
    from_port: int | None = None
    to_port: int | None = None
    cidr: str

    def exposes(self, port: int) -> bool:
        if self.protocol == "-1":
            return True
        if self.from_port is None or self.to_port is None:
            return False
        return self.from_port <= port <= self.to_port


class SecurityGroup(_Frozen):
    group_id: str
    name: str
    region: str
    world_ingress: tuple[IngressRule, ...] = ()  # rules open to 0.0.0.0/0 or ::/0


class AwsPolicy(_Frozen):
    """The settings the account is judged against (kept with the evidence)."""

    allowed_regions: tuple[str, ...] = ("ap-south-1", "ap-south-2")
    # administration, database, cache and search ports (never open to the internet)
    admin_ports: tuple[int, ...] = (
        22, 3389, 5432, 3306, 1433, 1521, 27017, 27018, 27019, 6379, 26379, 9200, 9300,
        5601, 11211, 9042, 5984, 2379, 8086, 7687, 8123, 9092, 2181, 5672,
    )  # fmt: skip
    evidence_tag: str = "trustplane:evidence"
    min_evidence_retention_days: int = 365
    min_backup_retention_days: int = 7
    min_password_length: int = 12


class AwsSnapshot(_Frozen):
    regions: tuple[str, ...]
    policy: AwsPolicy = Field(default_factory=AwsPolicy)
    buckets: tuple[S3Bucket, ...] = ()
    keys: tuple[KmsKey, ...] = ()
    trails: tuple[Trail, ...] = ()
    password_policy: PasswordPolicy | None = None
    users: tuple[IamUser, ...] = ()
    databases: tuple[RdsInstance, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
