"""Exception tree of the identity room."""


class IdentityError(Exception):
    """Root of every error raised by the identity room."""
