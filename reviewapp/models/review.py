"""Final trace reviews and their scores; each score pins the scorer version and keeps a copy of its config. The
score columns are shared with judgments' scores (models.judgment) through ScoreValues."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from reviewapp.models.base import Base, UTCDateTime, json_type, live_index, utcnow, uuid7
from reviewapp.models.project import User
from reviewapp.models.scoring import ScoreDefinition


class TraceReview(Base):
    __tablename__ = "trace_reviews"
    __table_args__ = (
        # One active review per trace per project.
        live_index("uq_trace_reviews_live_trace", "project_id", "trace_id", unique=True),
        Index("ix_trace_reviews_project_updated", "project_id", "updated_at"),
        # The export pages through a project's reviews by id: this keeps each page a range read, not a sort.
        Index("ix_trace_reviews_project_id", "project_id", "id"),
        Index("ix_trace_reviews_project_created", "project_id", "created_at"),
        Index("ix_trace_reviews_project_reviewer", "project_id", "reviewed_by_id"),
        Index("ix_trace_reviews_project_queue", "project_id", "queue_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    trace_id: Mapped[str] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    # The queue the review completed an item of, if any (for filters and insights).
    queue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("review_queues.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Seconds the reviewer spent on the trace before saving, when known (the review page measures it).
    time_spent_seconds: Mapped[float | None] = mapped_column(Numeric(12, 3, asdecimal=False))
    # How the final review came about: "single" (one reviewer saved it, as PostHog has it), "consensus" (the
    # judgments of a queue with several reviewers per trace agreed) or "adjudicated" (someone settled them).
    resolution: Mapped[str] = mapped_column(String(16), default="single", server_default="single")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="joined")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id], lazy="joined")
    scores: Mapped[list[TraceReviewScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan", lazy="selectin"
    )


class ScoreValues:
    """One scorer's answer, as a final review's score and a judgment's score both hold it: the scorer version it
    was given under (with a copy of that version's config), the value in the column of its kind, and whether it
    passes that version's passing rule (services.passing; null when the version has none)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("score_definitions.id", ondelete="CASCADE"))
    definition_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("score_definition_versions.id", ondelete="CASCADE")
    )
    definition_version: Mapped[int] = mapped_column(Integer)
    definition_config: Mapped[dict] = mapped_column(json_type())
    categorical_values: Mapped[list[str] | None] = mapped_column(json_type())
    numeric_value: Mapped[Decimal | None] = mapped_column(Numeric(24, 6))
    boolean_value: Mapped[bool | None] = mapped_column(Boolean)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def definition(cls) -> Mapped[ScoreDefinition]:
        return relationship(ScoreDefinition, lazy="joined", innerjoin=True)


class TraceReviewScore(ScoreValues, Base):
    __tablename__ = "trace_review_scores"
    __table_args__ = (
        UniqueConstraint("review_id", "definition_id"),
        Index("ix_trace_review_scores_definition", "definition_id", "definition_version"),
        # Pass rates read the scores of a project saved within a window of days.
        Index("ix_trace_review_scores_project_updated", "project_id", "updated_at"),
    )

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trace_reviews.id", ondelete="CASCADE"))

    review: Mapped[TraceReview] = relationship(back_populates="scores")
