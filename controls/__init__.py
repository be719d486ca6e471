"""controls room (public API)."""

from controls.errors import ControlsError

__all__ = ["ControlsError"]
