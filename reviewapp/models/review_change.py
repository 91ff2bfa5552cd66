"""The history of reviews: one row per change, with who made it and the values before and after, never updated."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewapp.models.base import Base, UTCDateTime, json_type, utcnow, uuid7
from reviewapp.models.project import User

# What an entry is about. Only final reviews have a history today; a reviewer's own judgment of a trace will
# record into the same table under its own subject (and subject_id), so it needs no new column.
SUBJECTS = ("review",)
# created / updated / deleted today; adjudication will add its own action.
ACTIONS = ("created", "updated", "deleted")


class ReviewChange(Base):
    __tablename__ = "review_changes"
    __table_args__ = (
        # The trace page's history, deleted reviews included; newest first.
        Index("ix_review_changes_project_trace_created", "project_id", "trace_id", "created_at"),
        # One review's history (the API).
        Index("ix_review_changes_review_created", "review_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    trace_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(32))
    # The id of the thing changed (for a review, its id; review_id says the same with a foreign key).
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # Reviews are only soft-deleted, so this stays set; SET NULL keeps the history if a row ever goes.
    review_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("trace_reviews.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    # Snapshots (services.review_history.snapshot): null before a creation and after a deletion.
    before: Mapped[dict | None] = mapped_column(json_type())
    after: Mapped[dict | None] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
