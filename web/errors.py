"""Exception tree of the web room."""


class WebError(Exception):
    """Root of every error raised by the web room."""
