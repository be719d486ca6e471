"""The vault room's services as one bundle (what the composition root builds and hands out)."""

from __future__ import annotations

from dataclasses import dataclass

from vault.blind import BlindIndexer
from vault.cipher import FieldCipher
from vault.keys import KeyManager
from vault.masking import Pseudonymizer


@dataclass(frozen=True)
class VaultServices:
    cipher: FieldCipher
    keys: KeyManager
    blind_index: BlindIndexer
    pseudonymizer: Pseudonymizer
    tenant: str = "default"
