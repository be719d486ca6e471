"""Typed models the collectors fill and the checks judge (no I/O here)."""
