"""identity room (public API)."""

from identity.errors import IdentityError

__all__ = ["IdentityError"]
