"""vault room (public API)."""

from vault.errors import VaultError

__all__ = ["VaultError"]
