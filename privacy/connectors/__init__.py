"""Connectors: one adapter per data-map kind (sql, s3, http; manual is a task)."""
