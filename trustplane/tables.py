"""Every room's table module, imported so one metadata describes the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# Import each room's tables here as the room adds them (noqa: F401 keeps the import).
import audit.tables  # noqa: F401
import controls.tables  # noqa: F401
import identity.tables  # noqa: F401
import policies.tables  # noqa: F401
import privacy.tables  # noqa: F401
import reports.tables  # noqa: F401
import vault.tables  # noqa: F401

metadata: MetaData = SQLModel.metadata
