"""privacy room (public API)."""

from privacy.errors import PrivacyError

__all__ = ["PrivacyError"]
