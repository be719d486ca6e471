"""The control catalog as data: framework requirement files and the unified controls."""

from pathlib import Path

CATALOG_DIR = Path(__file__).parent

__all__ = ["CATALOG_DIR"]
