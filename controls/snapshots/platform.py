"""What the platform self-checks saw through the ports other rooms implement."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class AuditChainReport(_Frozen):
    verified: bool
    tree_size: int
    last_checkpoint_at: datetime | None
    detail: str = ""


class KeyInfo(_Frozen):
    name: str
    provider: str
    last_rotated_at: datetime | None  # None: the provider cannot tell (fails the check)
    cryptoperiod_days: int


class DecisionLogReport(_Frozen):
    shipped: int
    dropped: int


class DsrInfo(_Frozen):
    id: str
    due_at: datetime
    closed_at: datetime | None = None


class BreachClockInfo(_Frozen):
    """One notification clock of a personal data breach (privacy's breach register)."""

    breach_id: str
    duty: str
    due_at: datetime
    done_at: datetime | None = None
    open: bool = True


class BundleTestReport(_Frozen):
    revision: str
    passed: int
    failed: int


class PlatformSnapshot(_Frozen):
    """A part is ``None`` when the room behind its port is not wired in."""

    observed_at: datetime
    checkpoint_max_age_seconds: int = 3600
    audit: AuditChainReport | None = None
    keys: tuple[KeyInfo, ...] | None = None
    decision_log: DecisionLogReport | None = None
    dsrs: tuple[DsrInfo, ...] | None = None
    bundle: BundleTestReport | None = None
    breach_clocks: tuple[BreachClockInfo, ...] | None = None
