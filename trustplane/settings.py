"""The one typed settings tree (env prefix ``TRUSTPLANE_``, nested sections with ``__``).

Examples::

    TRUSTPLANE_MODE=prod
    TRUSTPLANE_DATA_DIR=/var/lib/trustplane
    TRUSTPLANE_DATABASE_URL=postgresql+psycopg://tp@db/trustplane
    TRUSTPLANE_IDENTITY__TOKEN_TTL_SECONDS=600
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from audit import DEFAULT_SENSITIVE_KEYS

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "password", "placeholder", "dev", "test", "xxx"}
)


class Mode(StrEnum):
    DEV = "dev"
    PROD = "prod"


class OidcIssuer(BaseModel):
    """An external OpenID Connect issuer whose tokens are trusted."""

    issuer: str
    jwks_url: str
    audience: str
    roles_claim: str = "roles"
    caller_kind: Literal["user", "service"] = "user"
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA", "PS256"])


class IdentitySettings(BaseModel):
    issuer: str = "https://trustplane.local"
    audience: str = "trustplane"
    token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    signing_key_path: Path | None = None
    session_idle_seconds: int = Field(default=900, ge=60)
    session_absolute_seconds: int = Field(default=28_800, ge=300)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_seconds: int = Field(default=900, ge=1)
    totp_issuer: str = "trustplane"
    oidc_issuers: list[OidcIssuer] = Field(default_factory=list)
    oidc_jwks_cache_seconds: int = Field(default=300, ge=0, le=86_400)
    leeway_seconds: int = Field(default=10, ge=0, le=120)
    # a rotated client secret keeps working this long (0: the old secret dies at once)
    secret_rotation_grace_seconds: int = Field(default=0, ge=0, le=604_800)
    # AES-256-GCM key sealing TOTP seeds at rest (default: <data_dir>/keys/identity-totp.key)
    totp_key_path: Path | None = None
    # argon2id cost for passwords and client secrets (RFC 9106 second recommended option)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # client secrets are 256-bit random: OWASP's argon2id minimum profile suffices (ADR 0502)
    client_secret_argon2_time_cost: int = Field(default=2, ge=1)
    client_secret_argon2_memory_kib: int = Field(default=19_456, ge=8)
    client_secret_argon2_parallelism: int = Field(default=1, ge=1)


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    rate_limit_per_second: float = Field(default=200.0, gt=0)
    rate_limit_burst: int = Field(default=400, ge=1)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # Idle keep-alive connections are kept longer than clients and load balancers keep theirs
    # (AWS ALB 60 s, nginx 60-75 s), so a client never reuses one the server just closed.
    keep_alive_seconds: float = Field(default=75.0, gt=0, le=3600)
    backlog: int = Field(default=4096, ge=64)
    # Blind indexes per caller (values, not requests): a hash oracle must not be fast.
    blind_index_per_second: float = Field(default=200.0, gt=0)
    blind_index_burst: int = Field(default=2000, ge=1)
    blind_index_alert_per_minute: int = Field(default=6000, ge=1)
    cookie_secure: bool | None = None  # None: Secure everywhere but dev mode
    # Load balancers whose X-Forwarded-For/-Proto are believed (IPs or CIDRs). Empty: none, so
    # the client address the admin-network rule sees is the TCP peer and cannot be spoofed.
    trusted_proxies: list[str] = Field(default_factory=list)


class AuditSettings(BaseModel):
    signing_key_path: Path | None = None
    hmac_key: SecretStr | None = None
    origin: str = "trustplane.finsolve.example/audit"
    sensitive_keys: list[str] = Field(default_factory=lambda: list(DEFAULT_SENSITIVE_KEYS))
    checkpoint_every_events: int = Field(default=1000, ge=1)
    checkpoint_every_seconds: float = Field(default=60.0, gt=0)
    hot_retention_days: int = Field(default=90, ge=1)
    archive_retention_days: int = Field(default=366, ge=365)
    # SQLite only: the log lives in its own file, so a room that records inside its own
    # write transaction never waits on itself (ADR 0100); default <data_dir>/audit.db
    sqlite_path: Path | None = None
    hmac_key_path: Path | None = None  # used when hmac_key is unset (default <keys>/audit-hmac.key)
    record_timeout_seconds: float = Field(default=10.0, gt=0)
    # archived segments and witness copies of checkpoints (ADR 0100)
    archive_backend: Literal["local", "s3"] = "local"
    archive_dir: Path | None = None  # local backend; default <data_dir>/audit-archive
    archive_s3_bucket: str | None = None  # s3 backend; default controls.evidence_s3_bucket
    archive_s3_prefix: str = "audit/"
    witness_checkpoints: bool = True
    # where the tree-head signing key lives (ADR 0108): "file" (signing_key_path, 0600) or
    # "openbao" (a transit key of type ed25519 that never leaves OpenBao/Vault)
    signing_backend: Literal["file", "openbao"] = "file"
    signing_openbao_url: str | None = None  # default: vault.vault_url
    signing_openbao_token: SecretStr | None = None  # default: vault.vault_token
    signing_openbao_namespace: str | None = None
    signing_transit_mount: str = "transit"
    signing_transit_key: str = Field(default="trustplane-audit", pattern="^[A-Za-z0-9_.-]{1,64}$")
    signing_transit_key_version: int | None = Field(default=None, ge=1)  # None: latest at start
    signing_transit_create: bool = True  # create the ed25519 key on first run if missing


class PolicySettings(BaseModel):
    engine: str = "embedded"  # embedded (regorus) | opa (remote OPA via opa-python-client)
    bundle_dir: Path | None = None  # bundle activated on a fresh database (default: shipped)
    opa_url: str | None = None
    opa_token: SecretStr | None = None
    timeout_ms: float = Field(default=50.0, gt=0)
    route_gate: str = Field(default="engine", pattern="^(engine|roles)$")
    poll_seconds: float = Field(default=2.0, gt=0)  # replicas follow the active revision
    decision_log_queue: int = Field(default=10_000, ge=1)  # async mode only
    # durable: a decision is answered only once its audit event is durable (ADR 0208);
    # async: answered at once, events queued in memory (lost on a crash: README)
    decision_log_mode: str = Field(default="durable", pattern="^(durable|async)$")
    decision_log_wait_seconds: float = Field(default=5.0, gt=0)  # then 503 + Retry-After
    bundle_signing_key_path: Path | None = None  # PEM (RSA or EC P-256): signs /bundles
    bundle_signing_keyid: str = "trustplane"
    # the residency of the personal data (classification >= 3) of the data map's systems:
    # a decision naming such a system (resource.system) is judged with it (ADR 0212)
    data_residency: str | None = Field(default="IN", pattern="^[A-Z]{2}$")


class VaultSettings(BaseModel):
    """Field-level encryption (vault room); see docs/ciphertext-format.md and ADR 0300."""

    provider: str = Field(default="local", pattern="^(local|vault|aws-kms)$")
    keyring_path: Path | None = None  # local provider; default <data_dir>/keys/vault-keyring.json
    key_name: str = Field(default="fields", pattern="^[A-Za-z0-9_-]{1,64}$")
    tenant: str = "finsolve"
    subject_keys: bool = True  # per-data-principal data keys (crypto-shredding)
    cache_max_values: int = Field(default=10_000, ge=0)  # 0 disables the data-key cache
    cache_max_age_seconds: float = Field(default=300.0, ge=0)
    cache_max_entries: int = Field(default=10_000, ge=1)
    max_batch: int = Field(default=1000, ge=1, le=10_000)
    blind_index_key_path: Path | None = None  # default <data_dir>/keys/vault-blind-index.key
    blind_index_bits: int = Field(default=64, ge=32, le=256, multiple_of=8)
    pseudonym_key_path: Path | None = None  # default <data_dir>/keys/vault-pseudonym.key
    vault_url: str | None = None
    vault_token: SecretStr | None = None
    vault_role_id: str | None = None
    vault_secret_id: SecretStr | None = None
    vault_mount: str = "transit"
    vault_namespace: str | None = None
    kms_region: str | None = None
    kms_endpoint_url: str | None = None
    kms_alias_prefix: str = "trustplane-"


class ControlsSettings(BaseModel):
    """Evidence store, collectors and scheduler of the controls room.

    A collector is enabled when its target is configured (``iac_dir``, ``aws_enabled``,
    ``vault_url``, ``postgres_dsn``, ``tls_endpoints``); platform and manual always are.
    """

    evidence_backend: Literal["local", "s3"] = "local"
    evidence_dir: Path | None = None  # default: <data_dir>/evidence
    evidence_s3_bucket: str | None = None
    evidence_s3_prefix: str = "evidence/sha256/"
    evidence_retention_days: int = Field(default=366, ge=365)  # DPDP r.6(1)(e), PCI 10.5.1
    checkov_bin: str | None = None  # default: .tools/checkov/bin/checkov
    iac_dir: Path | None = None
    collector_timeout_seconds: float = Field(default=300.0, gt=0)
    aws_enabled: bool = False
    aws_endpoint_url: str | None = None
    aws_regions: list[str] = Field(default_factory=lambda: ["ap-south-1"])
    allowed_regions: list[str] = Field(default_factory=lambda: ["ap-south-1", "ap-south-2"])
    vault_url: str | None = None
    vault_token: SecretStr | None = None
    vault_transit_mount: str = "transit"
    cryptoperiod_days: int = Field(default=365, ge=1)
    postgres_dsn: SecretStr | None = None
    postgres_admin_roles: list[str] = Field(default_factory=lambda: ["postgres"])
    tls_endpoints: list[str] = Field(default_factory=list)
    tls_cafile: Path | None = None
    checkpoint_max_age_seconds: int = Field(default=3600, ge=60)
    scheduler_enabled: bool = False
    scheduler_tick_seconds: float = Field(default=60.0, gt=0)


class ReportsSettings(BaseModel):
    """Report and bundle artifacts under ``<data_dir>/reports``."""

    # an artifact is deleted this long after it was built (``trustplane report prune``);
    # a bundle an active auditor engagement covers stays until the engagement ends
    artifact_retention_days: int = Field(default=90, ge=1)
    # PDF from the reports' HTML: WeasyPrint (default), or Chromium's print through
    # Playwright (about ten times faster on large reports; needs chromium and playwright)
    pdf_renderer: Literal["weasyprint", "chromium"] = "weasyprint"
    chromium_path: Path = Path("/usr/bin/chromium")


class ConsentWebhook(BaseModel):
    """A domain service told of every withdrawal (signed like the http connector)."""

    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    url: str = Field(pattern=r"^https?://")
    secret_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,127}$")  # the HMAC secret's variable


class PrivacySettings(BaseModel):
    # DPDP response period the fiduciary publishes (DPDP Rules 2025 rule 14: at most 90 days)
    dsr_sla_days: int = Field(default=30, ge=1, le=90)
    default_regime: Literal["dpdp", "gdpr"] = "dpdp"
    code_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    code_attempts: int = Field(default=5, ge=1, le=10)
    package_link_days: int = Field(default=7, ge=1, le=30)
    outbox: Literal["file", "smtp"] = "file"
    outbox_dir: Path | None = None  # default <data_dir>/outbox
    packages_dir: Path | None = None  # default <data_dir>/dsr-packages
    mail_from: str = "privacy@finsolve.example"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    # public intake: requests per minute from one client address
    intake_per_minute: float = Field(default=5.0, gt=0)
    demo_customers: int = Field(default=2000, ge=10, le=200_000)
    # purposes that need the data principal's consent: name -> description (ADR 0602)
    consent_purposes: dict[str, str] = Field(
        default_factory=lambda: {
            "analytics": "pseudonymised analysis of product use",
            "marketing": "offers and news by email, SMS or in the app",
            "credit_bureau_sharing": "repayment record shared with credit information companies",
        }
    )
    # a change made on another replica reaches this one's decisions within this many seconds
    consent_refresh_seconds: float = Field(default=1.0, ge=0, le=60)
    # how stale the data map decisions read may be: a newer version is looked for at most
    # this often (0: on every decision naming a system; ADR 0212)
    datamap_refresh_seconds: float = Field(default=1.0, ge=0, le=60)
    notices_dir: Path | None = None  # default: the notices shipped in privacy/notices
    consent_webhooks: list[ConsentWebhook] = Field(default_factory=list)


class Settings(BaseSettings):
    """Effective configuration of one trustplane process."""

    model_config = SettingsConfigDict(
        env_prefix="TRUSTPLANE_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    mode: Mode = Mode.DEV
    data_dir: Path = Path(".trustplane-data")
    database_url: str | None = None
    log_level: str = "INFO"
    log_json: bool | None = None  # None: JSON unless stderr is a TTY
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    vault: VaultSettings = Field(default_factory=VaultSettings)
    controls: ControlsSettings = Field(default_factory=ControlsSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.mode is Mode.PROD:
            problems = production_problems(self)
            if problems:
                raise ValueError("production mode refuses to start: " + "; ".join(problems))
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'trustplane.db').resolve()}"

    @property
    def is_dev(self) -> bool:
        return self.mode is Mode.DEV

    @property
    def cookie_secure(self) -> bool:
        if self.web.cookie_secure is not None:
            return self.web.cookie_secure
        return not self.is_dev

    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def redacted(self) -> dict[str, Any]:
        """The effective configuration with every secret hidden (``config show``)."""
        dumped = self.model_dump(mode="json")
        dumped["effective_database_url"] = _hide_url_password(self.effective_database_url)
        if dumped.get("database_url"):
            dumped["database_url"] = _hide_url_password(str(dumped["database_url"]))
        return dumped


def _hide_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:**********@{host}"


def _is_placeholder(secret: SecretStr | None) -> bool:
    return secret is None or secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS


def production_problems(settings: Settings) -> list[str]:
    """Every reason the settings are unfit for production (empty when fit)."""
    problems: list[str] = []
    url = settings.database_url or ""
    if not url or url.startswith("sqlite"):
        problems.append("TRUSTPLANE_DATABASE_URL must point at PostgreSQL (SQLite is dev-only)")
    if _is_placeholder(settings.audit.hmac_key):
        problems.append("TRUSTPLANE_AUDIT__HMAC_KEY is missing or a placeholder")
    if settings.identity.signing_key_path is None:
        problems.append("TRUSTPLANE_IDENTITY__SIGNING_KEY_PATH must name a provisioned key file")
    if settings.audit.signing_backend == "file" and settings.audit.signing_key_path is None:
        problems.append("TRUSTPLANE_AUDIT__SIGNING_KEY_PATH must name a provisioned key file")
    if settings.audit.signing_backend == "openbao" and _is_placeholder(
        settings.audit.signing_openbao_token or settings.vault.vault_token
    ):
        problems.append("TRUSTPLANE_AUDIT__SIGNING_OPENBAO_TOKEN is missing or a placeholder")
    if settings.policy.engine == "opa" and _is_placeholder(settings.policy.opa_token):
        problems.append("TRUSTPLANE_POLICY__OPA_TOKEN is missing or a placeholder")
    if settings.vault.provider == "local":
        problems.append("TRUSTPLANE_VAULT__PROVIDER must be 'vault' or 'aws-kms' in production")
    return problems
