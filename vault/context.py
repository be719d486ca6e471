"""Where a field value lives: the associated data every ciphertext is bound to."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from vault.errors import InvalidFieldValueError

_AAD_PREFIX = b"tp-fle-v1\x00"
_MAX_PART = 1024


def _part(value: str) -> bytes:
    encoded = value.encode("utf-8")
    if len(encoded) > _MAX_PART:
        raise InvalidFieldValueError("context part too long")
    return len(encoded).to_bytes(2, "big") + encoded


@dataclass(frozen=True)
class FieldContext:
    """Tenant, resource type, field name, owner id and classification of one value.

    ``aad`` is the canonical, length-prefixed encoding used as AES-GCM associated data; a
    ciphertext moved to another field, owner, tenant or classification does not decrypt.
    """

    resource_type: str
    field: str
    owner_id: str = ""
    classification: int = 3
    tenant: str = "default"
    aad: bytes = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.resource_type or not self.field:
            raise InvalidFieldValueError("context needs resource_type and field")
        if not 1 <= self.classification <= 4:
            raise InvalidFieldValueError("classification must be 1..4")
        aad = (
            _AAD_PREFIX
            + _part(self.tenant)
            + _part(self.resource_type)
            + _part(self.field)
            + _part(self.owner_id)
            + bytes([self.classification])
        )
        object.__setattr__(self, "aad", aad)

    def as_dict(self) -> dict[str, str]:
        """The context as a KMS-style encryption context (all values strings)."""
        return {
            "tenant": self.tenant,
            "resource_type": self.resource_type,
            "field": self.field,
            "owner_id": self.owner_id,
            "classification": str(self.classification),
        }
