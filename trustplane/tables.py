"""Every room's table module, imported so one metadata describes the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# Import each room's tables here as the room adds them (noqa: F401 keeps the import).
import controls.tables  # noqa: F401

metadata: MetaData = SQLModel.metadata
