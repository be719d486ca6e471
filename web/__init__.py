"""web room (public API)."""

from web.errors import WebError

__all__ = ["WebError"]
