"""privacy room (public API): data map, data subject requests, connectors, packages."""

from privacy.bindings import DsrBindings
from privacy.breach import (
    IST,
    SEVERITIES,
    Breach,
    BreachStatus,
    Clock,
    Duty,
    TimelineEntry,
    ist,
    load_duties,
)
from privacy.breach_register import BreachRegister
from privacy.connectors.base import (
    Connector,
    EncryptedValue,
    ErasedField,
    ErasureReport,
    Export,
    Principal,
)
from privacy.connectors.sql import SqlConnector
from privacy.consent import (
    CHANNELS,
    ConsentAction,
    ConsentEvent,
    ConsentState,
    Purpose,
)
from privacy.consent_ledger import ConsentLedger, ConsentListener
from privacy.consent_webhooks import Subscriber, WebhookAnnouncer
from privacy.datamap_loader import LoadedDataMap, parse_datamap
from privacy.datamap_model import (
    Category,
    DataMap,
    ErasureAction,
    Processing,
    SystemSpec,
    TableSpec,
    Transfer,
)
from privacy.datamap_systems import DataMapSystems
from privacy.errors import (
    BreachNotFoundError,
    ConnectorError,
    ConsentNotGivenError,
    DataMapError,
    DataMapMissingError,
    DsrNotFoundError,
    DuplicateRequestError,
    GrievanceNotFoundError,
    IllegalTransitionError,
    InvalidBreachError,
    InvalidConsentError,
    InvalidDsrError,
    InvalidGrievanceError,
    NoticeNotFoundError,
    PackageLinkError,
    PrivacyError,
    VerificationError,
)
from privacy.grievances import GRIEVANCE_DAYS, Grievance, GrievanceDesk, Nomination
from privacy.model import CLOSED, OPEN, DsrRequest, DsrState, DsrType, Step
from privacy.notices import LANGUAGES, Notice, NoticeRegistry, NoticeVersion
from privacy.outbox import FileOutbox, Outbox, SmtpOutbox
from privacy.package import build_package, render_certificate
from privacy.ports import ConnectorFactory, Decrypter, PackageStore, SubjectShredder
from privacy.repository import DsrRepository, StoredDataMap
from privacy.ropa import Activity, Measure, build_ropa, ropa_csv, ropa_html
from privacy.sealing import IdentifierSealer, VaultSealer
from privacy.service import DsrService, ExecutionResult, PrivacyConfig
from privacy.sla import Regime, add_months, can_extend, days_left, due_at
from privacy.stores import DirectoryPackageStore, KindConnectors

__all__ = [
    "CHANNELS",
    "CLOSED",
    "GRIEVANCE_DAYS",
    "IST",
    "LANGUAGES",
    "OPEN",
    "SEVERITIES",
    "Activity",
    "Breach",
    "BreachNotFoundError",
    "BreachRegister",
    "BreachStatus",
    "Category",
    "Clock",
    "Connector",
    "ConnectorError",
    "ConnectorFactory",
    "ConsentAction",
    "ConsentEvent",
    "ConsentLedger",
    "ConsentListener",
    "ConsentNotGivenError",
    "ConsentState",
    "DataMap",
    "DataMapError",
    "DataMapMissingError",
    "DataMapSystems",
    "Decrypter",
    "DirectoryPackageStore",
    "DsrBindings",
    "DsrNotFoundError",
    "DsrRepository",
    "DsrRequest",
    "DsrService",
    "DsrState",
    "DsrType",
    "DuplicateRequestError",
    "Duty",
    "EncryptedValue",
    "ErasedField",
    "ErasureAction",
    "ErasureReport",
    "ExecutionResult",
    "Export",
    "FileOutbox",
    "Grievance",
    "GrievanceDesk",
    "GrievanceNotFoundError",
    "IdentifierSealer",
    "IllegalTransitionError",
    "InvalidBreachError",
    "InvalidConsentError",
    "InvalidDsrError",
    "InvalidGrievanceError",
    "KindConnectors",
    "LoadedDataMap",
    "Measure",
    "Nomination",
    "Notice",
    "NoticeNotFoundError",
    "NoticeRegistry",
    "NoticeVersion",
    "Outbox",
    "PackageLinkError",
    "PackageStore",
    "Principal",
    "PrivacyConfig",
    "PrivacyError",
    "Processing",
    "Purpose",
    "Regime",
    "SmtpOutbox",
    "SqlConnector",
    "Step",
    "StoredDataMap",
    "SubjectShredder",
    "Subscriber",
    "SystemSpec",
    "TableSpec",
    "TimelineEntry",
    "Transfer",
    "VaultSealer",
    "VerificationError",
    "WebhookAnnouncer",
    "add_months",
    "build_package",
    "build_ropa",
    "can_extend",
    "days_left",
    "due_at",
    "ist",
    "load_duties",
    "parse_datamap",
    "render_certificate",
    "ropa_csv",
    "ropa_html",
]
