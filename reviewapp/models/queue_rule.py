"""Queue rules: conditions on a trace (and its evaluations) that add matching traces to a queue by themselves,
and the record of what each rule added."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewapp.models.base import Base, UTCDateTime, json_type, utcnow, uuid7
from reviewapp.models.project import User

BigIntPK = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys


class QueueRule(Base):
    __tablename__ = "queue_rules"
    __table_args__ = (Index("ix_queue_rules_project_paused", "project_id", "paused"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_queues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    # Every condition must hold: [{"field": "cost", "op": "gte", "value": 0.5}, ...] (services/rule_conditions.py).
    conditions: Mapped[list[dict]] = mapped_column(json_type(), default=list)
    # The share of matching traces added, decided per trace from a hash of (rule id, trace id).
    sample_percent: Mapped[float] = mapped_column(Float, default=100.0)
    # At most this many additions per UTC day; None: no cap.
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")


class QueueRuleAddition(Base):
    """A trace a rule added to its queue, and when: at most once per rule (the unique key decides races)."""

    __tablename__ = "queue_rule_additions"
    __table_args__ = (
        UniqueConstraint("rule_id", "trace_id"),
        Index("ix_queue_rule_additions_rule_added", "rule_id", "added_at"),  # the daily cap, the rule's list
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queue_rules.id", ondelete="CASCADE"))
    trace_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("review_queue_items.id", ondelete="SET NULL"))
    # "ingest" (as the trace arrived) or "backfill" (over stored traces).
    source: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
