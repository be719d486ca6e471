"""reports room (public API)."""

from reports.errors import ReportsError

__all__ = ["ReportsError"]
