"""Evidence store: content-addressed (SHA-256), never overwritten, each item audited."""

from controls.evidence.local import LocalEvidenceStore
from controls.evidence.memory import InMemoryEvidenceStore
from controls.evidence.model import EvidenceMeta, EvidenceStore, sha256_hex
from controls.evidence.recording import store_and_record
from controls.evidence.s3 import S3EvidenceStore

__all__ = [
    "EvidenceMeta",
    "EvidenceStore",
    "InMemoryEvidenceStore",
    "LocalEvidenceStore",
    "S3EvidenceStore",
    "sha256_hex",
    "store_and_record",
]
