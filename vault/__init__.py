"""vault room: field-level encryption and key management (public API)."""

from vault.authz import (
    ALLOW,
    Accessor,
    AllowAllAuthorizer,
    Authorizer,
    FieldDecision,
    Transform,
    transform_for,
)
from vault.blind import BlindIndexer
from vault.cache import DataKeyCache
from vault.cipher import MAX_BATCH, DecryptOutcome, EncryptOutcome, FieldCipher
from vault.context import FieldContext
from vault.dsr_binding import DSR_PURPOSE, DsrBoundAuthorizer, DsrRegistry
from vault.errors import (
    BatchTooLargeError,
    CiphertextError,
    ContextMismatchError,
    DecryptDeniedError,
    InvalidFieldValueError,
    KeyDestroyedError,
    KeyStoreError,
    MalformedCiphertextError,
    NoSubjectKeysError,
    NotBase64Error,
    ProviderError,
    RewrapIncompleteError,
    SubjectShreddedError,
    TamperedCiphertextError,
    TruncatedCiphertextError,
    UnknownDataKeyError,
    UnknownKeyError,
    UnknownKeyVersionError,
    UnsupportedFormatError,
    UnsupportedOperationError,
    VaultError,
)
from vault.keyfile import load_or_create_key
from vault.keys import InventoryEntry, KeyManager, RewrapReport
from vault.masking import MASK_FORMATS, REDACTED, Pseudonymizer, mask
from vault.normalize import FieldKind, kind_of, normalize
from vault.providers.local import LocalKeyProvider
from vault.providers.port import DataKey, KeyContext, KeyInfo, KeyProvider, WrappedKey
from vault.services import VaultServices
from vault.stores.datakeys import DataKeyRecord, DataKeyStore, InMemoryDataKeyStore, Tombstone
from vault.values import FieldValue

__all__ = [
    "ALLOW",
    "DSR_PURPOSE",
    "MASK_FORMATS",
    "MAX_BATCH",
    "REDACTED",
    "Accessor",
    "AllowAllAuthorizer",
    "Authorizer",
    "BatchTooLargeError",
    "BlindIndexer",
    "CiphertextError",
    "ContextMismatchError",
    "DataKey",
    "DataKeyCache",
    "DataKeyRecord",
    "DataKeyStore",
    "DecryptDeniedError",
    "DecryptOutcome",
    "DsrBoundAuthorizer",
    "DsrRegistry",
    "EncryptOutcome",
    "FieldCipher",
    "FieldContext",
    "FieldDecision",
    "FieldKind",
    "FieldValue",
    "InMemoryDataKeyStore",
    "InvalidFieldValueError",
    "InventoryEntry",
    "KeyContext",
    "KeyDestroyedError",
    "KeyInfo",
    "KeyManager",
    "KeyProvider",
    "KeyStoreError",
    "LocalKeyProvider",
    "MalformedCiphertextError",
    "NoSubjectKeysError",
    "NotBase64Error",
    "ProviderError",
    "Pseudonymizer",
    "RewrapIncompleteError",
    "RewrapReport",
    "SubjectShreddedError",
    "TamperedCiphertextError",
    "Tombstone",
    "Transform",
    "TruncatedCiphertextError",
    "UnknownDataKeyError",
    "UnknownKeyError",
    "UnknownKeyVersionError",
    "UnsupportedFormatError",
    "UnsupportedOperationError",
    "VaultError",
    "VaultServices",
    "WrappedKey",
    "kind_of",
    "load_or_create_key",
    "mask",
    "normalize",
    "transform_for",
]
