"""Storage of the policies room: bundle revisions, the active pointer, agents' status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel


class PolicyRevisionRow(SQLModel, table=True):
    __tablename__ = "policy_revisions"

    revision: str = Field(sa_column=Column(String(64), primary_key=True))
    bundle: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str = Field(sa_column=Column(String(256), nullable=False))
    tests_passed: int = Field(sa_column=Column(Integer, nullable=False))
    coverage_permille: int = Field(sa_column=Column(Integer, nullable=False))


class PolicyActiveRow(SQLModel, table=True):
    """One row (id 1): the active revision and a generation bumped on every activation."""

    __tablename__ = "policy_active"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    revision: str = Field(
        sa_column=Column(String(64), ForeignKey("policy_revisions.revision"), nullable=False)
    )
    generation: int = Field(sa_column=Column(Integer, nullable=False))
    activated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    activated_by: str = Field(sa_column=Column(String(256), nullable=False))


class PolicyActivationRow(SQLModel, table=True):
    """History of activations (push, rollback, bootstrap)."""

    __tablename__ = "policy_activations"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    revision: str = Field(
        sa_column=Column(String(64), ForeignKey("policy_revisions.revision"), nullable=False)
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    activated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    activated_by: str = Field(sa_column=Column(String(256), nullable=False))


class PolicyAgentRow(SQLModel, table=True):
    """Latest status report of one OPA agent (``labels.id``)."""

    __tablename__ = "policy_agents"

    agent_id: str = Field(sa_column=Column(String(256), primary_key=True))
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    active_revision: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    status: str = Field(sa_column=Column(Text, nullable=False))


class DecisionTallyRow(SQLModel, table=True):
    """Decision counts per UTC day (ADR 0840): ``kind`` is ``allow`` or ``deny`` (label: the
    service), ``reason`` (a deny reason) or ``subject`` (a denied subject's HMAC)."""

    __tablename__ = "policy_decision_tally"

    day: str = Field(sa_column=Column(String(10), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), primary_key=True))
    key_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    label: str = Field(sa_column=Column(Text, nullable=False))
    count: int = Field(sa_column=Column(BigInteger, nullable=False))


class DecisionTallyMarkRow(SQLModel, table=True):
    """One row (id 1): the audit index up to which decision events are tallied."""

    __tablename__ = "policy_decision_tally_mark"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    upto: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReportedDecisionRow(SQLModel, table=True):
    """A decision id an OPA agent reported (its primary key makes the claim atomic across
    workers and replicas: two uploads of one new id record it once). Claims older than the
    retention are pruned (ADR 0214): the index on ``reported_at`` finds them."""

    __tablename__ = "policy_reported_decisions"
    __table_args__ = (Index("ix_policy_reported_decisions_reported_at", "reported_at"),)

    decision_id: str = Field(sa_column=Column(String(128), primary_key=True))
    reported_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
