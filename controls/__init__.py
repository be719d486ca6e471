"""controls room (public API): catalog, collectors, evidence store, runs, posture, CI gate."""

from controls.catalog_loader import load_catalog
from controls.checks import REGISTRY, CheckMeta, CheckRegistry
from controls.collectors.aws import AwsCollector
from controls.collectors.base import Collected, Collector, collected_from
from controls.collectors.iac import IacCollector
from controls.collectors.manual import AttestationSource, ManualCollector
from controls.collectors.platform import PlatformCollector
from controls.collectors.postgres import PostgresCollector
from controls.collectors.tls import TlsCollector
from controls.collectors.vault import VaultCollector
from controls.errors import (
    AttestationError,
    CatalogError,
    CollectorError,
    ControlsError,
    EvidenceError,
    EvidenceIntegrityError,
    EvidenceNotFoundError,
    GateUsageError,
    UnknownCheckError,
    UnknownCollectorError,
    UnknownControlError,
    UnknownFrameworkError,
)
from controls.evidence import (
    EvidenceMeta,
    EvidenceStore,
    InMemoryEvidenceStore,
    LocalEvidenceStore,
    S3EvidenceStore,
    store_and_record,
)
from controls.findings import Finding, FindingStatus
from controls.gate import GateReport, GateViolation, run_gate
from controls.model import Catalog, Control, Framework, Frequency, Requirement, Severity
from controls.platform_ports import (
    AuditChainStatus,
    BreachClockStatus,
    BundleTestStatus,
    DecisionLogStats,
    DsrSlaStatus,
    KeyInventory,
)
from controls.posture import (
    ControlPosture,
    ControlStatus,
    FrameworkPosture,
    RequirementPosture,
    framework_posture,
)
from controls.records import CollectionRecord, PostureSnapshot, RunRecord, StoredFinding
from controls.repository import ControlsRepository
from controls.runner import CollectionRunner, RunReport
from controls.sarif import to_sarif
from controls.scheduler import Scheduler
from controls.service import ControlsService
from controls.snapshots.aws import AwsPolicy
from controls.snapshots.manual import ATTESTATION_KINDS, AttestationInfo
from controls.snapshots.platform import (
    AuditChainReport,
    BreachClockInfo,
    BundleTestReport,
    DecisionLogReport,
    DsrInfo,
    KeyInfo,
)

__all__ = [
    "ATTESTATION_KINDS",
    "REGISTRY",
    "AttestationError",
    "AttestationInfo",
    "AttestationSource",
    "AuditChainReport",
    "AuditChainStatus",
    "AwsCollector",
    "AwsPolicy",
    "BreachClockInfo",
    "BreachClockStatus",
    "BundleTestReport",
    "BundleTestStatus",
    "Catalog",
    "CatalogError",
    "CheckMeta",
    "CheckRegistry",
    "Collected",
    "CollectionRecord",
    "CollectionRunner",
    "Collector",
    "CollectorError",
    "Control",
    "ControlPosture",
    "ControlStatus",
    "ControlsError",
    "ControlsRepository",
    "ControlsService",
    "DecisionLogReport",
    "DecisionLogStats",
    "DsrInfo",
    "DsrSlaStatus",
    "EvidenceError",
    "EvidenceIntegrityError",
    "EvidenceMeta",
    "EvidenceNotFoundError",
    "EvidenceStore",
    "Finding",
    "FindingStatus",
    "Framework",
    "FrameworkPosture",
    "Frequency",
    "GateReport",
    "GateUsageError",
    "GateViolation",
    "IacCollector",
    "InMemoryEvidenceStore",
    "KeyInfo",
    "KeyInventory",
    "LocalEvidenceStore",
    "ManualCollector",
    "PlatformCollector",
    "PostgresCollector",
    "PostureSnapshot",
    "Requirement",
    "RequirementPosture",
    "RunRecord",
    "RunReport",
    "S3EvidenceStore",
    "Scheduler",
    "Severity",
    "StoredFinding",
    "TlsCollector",
    "UnknownCheckError",
    "UnknownCollectorError",
    "UnknownControlError",
    "UnknownFrameworkError",
    "VaultCollector",
    "collected_from",
    "framework_posture",
    "load_catalog",
    "run_gate",
    "store_and_record",
    "to_sarif",
]
