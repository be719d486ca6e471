"""Exception tree of the privacy room."""


class PrivacyError(Exception):
    """Root of every error raised by the privacy room."""
