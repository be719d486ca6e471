"""Exception tree of the reports room."""


class ReportsError(Exception):
    """Root of every error raised by the reports room."""
