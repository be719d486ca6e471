"""Composition of each room from settings: one module per room."""
