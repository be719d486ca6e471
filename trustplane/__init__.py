"""trustplane: composition root (settings, wiring, CLI, app factory, storage)."""

__version__ = "0.1.0"
