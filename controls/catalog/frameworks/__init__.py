"""Framework requirement files (package so setuptools ships the YAML)."""
