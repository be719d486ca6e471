"""Exception root of the composition root (settings, wiring, storage)."""


class TrustplaneError(Exception):
    """Root of every error raised by the composition root."""


class ConfigurationError(TrustplaneError):
    """The settings tree is invalid for the requested mode."""


class StorageError(TrustplaneError):
    """The database could not be reached or migrated."""
