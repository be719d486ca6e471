"""privacy room (public API): data map, data subject requests, connectors, packages."""

from privacy.bindings import DsrBindings
from privacy.connectors.base import (
    Connector,
    EncryptedValue,
    ErasedField,
    ErasureReport,
    Export,
    Principal,
)
from privacy.connectors.sql import SqlConnector
from privacy.datamap_loader import LoadedDataMap, parse_datamap
from privacy.datamap_model import Category, DataMap, ErasureAction, SystemSpec, TableSpec
from privacy.errors import (
    ConnectorError,
    DataMapError,
    DataMapMissingError,
    DsrNotFoundError,
    DuplicateRequestError,
    IllegalTransitionError,
    InvalidDsrError,
    PackageLinkError,
    PrivacyError,
    VerificationError,
)
from privacy.model import CLOSED, OPEN, DsrRequest, DsrState, DsrType, Step
from privacy.outbox import FileOutbox, Outbox, SmtpOutbox
from privacy.package import build_package, render_certificate
from privacy.ports import ConnectorFactory, Decrypter, PackageStore, SubjectShredder
from privacy.repository import DsrRepository, StoredDataMap
from privacy.sealing import IdentifierSealer, VaultSealer
from privacy.service import DsrService, ExecutionResult, PrivacyConfig
from privacy.sla import Regime, add_months, can_extend, days_left, due_at
from privacy.stores import DirectoryPackageStore, KindConnectors

__all__ = [
    "CLOSED",
    "OPEN",
    "Category",
    "Connector",
    "ConnectorError",
    "ConnectorFactory",
    "DataMap",
    "DataMapError",
    "DataMapMissingError",
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
    "EncryptedValue",
    "ErasedField",
    "ErasureAction",
    "ErasureReport",
    "ExecutionResult",
    "Export",
    "FileOutbox",
    "IdentifierSealer",
    "IllegalTransitionError",
    "InvalidDsrError",
    "KindConnectors",
    "LoadedDataMap",
    "Outbox",
    "PackageLinkError",
    "PackageStore",
    "Principal",
    "PrivacyConfig",
    "PrivacyError",
    "Regime",
    "SmtpOutbox",
    "SqlConnector",
    "Step",
    "StoredDataMap",
    "SubjectShredder",
    "SystemSpec",
    "TableSpec",
    "VaultSealer",
    "VerificationError",
    "add_months",
    "build_package",
    "can_extend",
    "days_left",
    "due_at",
    "parse_datamap",
    "render_certificate",
]
