"""The principal's identifier at rest: sealed by the vault, bound to its request.

The register keeps what the connectors need (the identifier) encrypted under the vault's
field key, with the request id as the owner in the associated data: a sealed value copied
into another request's row does not open. Duplicates are found by the keyed hash beside it.
"""

from __future__ import annotations

from typing import Protocol

from vault import FieldCipher, FieldContext

RESOURCE_TYPE = "dsr_request"


class IdentifierSealer(Protocol):
    def seal(self, dsr_id: str, value: str) -> str: ...

    def unseal(self, dsr_id: str, sealed: str) -> str: ...


class VaultSealer:
    def __init__(self, cipher: FieldCipher, tenant: str = "default") -> None:
        self._cipher = cipher
        self._tenant = tenant

    def _context(self, dsr_id: str) -> FieldContext:
        return FieldContext(
            RESOURCE_TYPE, "identifier", owner_id=dsr_id, classification=3, tenant=self._tenant
        )

    def seal(self, dsr_id: str, value: str) -> str:
        return self._cipher.encrypt(value, self._context(dsr_id), subject_key=False)

    def unseal(self, dsr_id: str, sealed: str) -> str:
        value = self._cipher.open(sealed, self._context(dsr_id))
        return value if isinstance(value, str) else str(value)
