"""Judgments: one reviewer's scores and comment for one trace in one queue with several reviewers per trace. The
item's last judgment settles it: a final review (models.review) written from agreeing judgments, or a decision."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewapp.models.base import Base, UTCDateTime, utcnow, uuid7
from reviewapp.models.project import User
from reviewapp.models.queue import ReviewQueue
from reviewapp.models.review import ScoreValues


class Judgment(Base):
    __tablename__ = "judgments"
    __table_args__ = (
        # One judgment per reviewer per item: nobody judges the same trace twice in a queue.
        UniqueConstraint("item_id", "reviewer_id"),
        Index("ix_judgments_project_trace", "project_id", "trace_id"),
        Index("ix_judgments_queue_created", "queue_id", "created_at"),
        Index("ix_judgments_project_reviewer", "project_id", "reviewer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_queues.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_queue_items.id", ondelete="CASCADE"))
    trace_id: Mapped[str] = mapped_column(String(255))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    time_spent_seconds: Mapped[float | None] = mapped_column(Numeric(12, 3, asdecimal=False))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer: Mapped[User | None] = relationship(lazy="joined")
    queue: Mapped[ReviewQueue] = relationship(lazy="joined", innerjoin=True)
    scores: Mapped[list[JudgmentScore]] = relationship(
        back_populates="judgment", cascade="all, delete-orphan", lazy="selectin"
    )


class JudgmentScore(ScoreValues, Base):
    __tablename__ = "judgment_scores"
    __table_args__ = (
        UniqueConstraint("judgment_id", "definition_id"),
        Index("ix_judgment_scores_definition", "definition_id", "definition_version"),
    )

    judgment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("judgments.id", ondelete="CASCADE"))

    judgment: Mapped[Judgment] = relationship(back_populates="scores")
