"""Exception tree of the policies room."""


class PolicyError(Exception):
    """Root of every error raised by the policies room."""
