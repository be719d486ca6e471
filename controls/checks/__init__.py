"""Every check, registered on import (prowler-style pure functions over snapshots)."""

from controls.checks import aws, iac, manual, platform, postgres, tls, vault  # noqa: F401
from controls.checks.registry import REGISTRY, CheckMeta, CheckRegistry

__all__ = ["REGISTRY", "CheckMeta", "CheckRegistry"]
