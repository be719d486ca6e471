"""Exception tree of the controls room."""


class ControlsError(Exception):
    """Root of every error raised by the controls room."""
