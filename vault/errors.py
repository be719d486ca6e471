"""Exception tree of the vault room."""


class VaultError(Exception):
    """Root of every error raised by the vault room."""
