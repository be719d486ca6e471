"""policies room (public API)."""

from policies.errors import PolicyError

__all__ = ["PolicyError"]
