"""Review queues and their items. An item *is* the pending state of a trace; it is soft-deleted when done."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewapp.models.base import Base, UTCDateTime, json_type, live_index, utcnow, uuid7
from reviewapp.models.project import User


class ReviewQueue(Base):
    __tablename__ = "review_queues"
    __table_args__ = (
        # Live queue names are unique per project; the index settles races between two creates.
        live_index("uq_review_queues_live_name", "project_id", "name", unique=True),
        Index("ix_review_queues_project_created", "project_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which scorers the review page insists on before it saves (a comment always does instead): None means
    # every scorer the queue asks for; a list of scorer ids (as text) means those only, [] none of them.
    required_scorer_ids: Mapped[list[str] | None] = mapped_column(json_type(), nullable=True)
    # How many reviewers judge each trace (1–10). At 1 a reviewer's save is the trace's review, as in PostHog; above
    # it each reviewer's save is a judgment, and the last one settles the item (consensus or a decision).
    reviews_per_trace: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Blind review: a reviewer sees no other judgment of a trace pending here, nor its review, before their own.
    blind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Numeric judgments this far apart (or closer) still agree; None: they must be equal.
    numeric_tolerance: Mapped[Decimal | None] = mapped_column(Numeric(24, 6))

    created_by: Mapped[User | None] = relationship(lazy="joined")
    scorers: Mapped[list[QueueScorer]] = relationship(
        cascade="all, delete-orphan", order_by="QueueScorer.position"
    )
    # Only these members claim from the queue; none means every reviewer of the project.
    assignees: Mapped[list[QueueAssignee]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def takes_judgments(self) -> bool:
        """Whether a reviewer's save here is a judgment (several reviewers per trace), not the trace's review."""
        return (self.reviews_per_trace or 1) > 1


class QueueAssignee(Base):
    __tablename__ = "review_queue_assignees"

    queue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("review_queues.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class QueueScorer(Base):
    """The scorers a queue asks for, in order; a queue without any uses every active scorer."""

    __tablename__ = "review_queue_scorers"

    queue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("review_queues.id", ondelete="CASCADE"), primary_key=True
    )
    definition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("score_definitions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReviewQueueItem(Base):
    __tablename__ = "review_queue_items"
    __table_args__ = (
        # A trace is pending in at most one queue per project.
        live_index("uq_review_queue_items_live_trace", "project_id", "trace_id", unique=True),
        live_index("ix_review_queue_items_queue_live", "queue_id", "created_at", "id"),
        Index("ix_review_queue_items_project_created", "project_id", "created_at"),
        Index("ix_review_queue_items_project_deleted", "project_id", "deleted_at"),
        # Progress on the queues page: items that left each queue because they were reviewed.
        Index("ix_review_queue_items_queue_reason", "queue_id", "deleted_reason"),
        # claim_next first looks for the claim the reviewer already holds, and the queue pages for who holds one:
        # without this they walk the queue. Queue first, so the pending count is an index-only scan of this
        # narrow index (claimed_by_id is mostly null) rather than a read of every item row.
        live_index("ix_review_queue_items_queue_claimed", "queue_id", "claimed_by_id"),
        # Claiming reads a queue's open items oldest first; the decision view its items that need one.
        live_index("ix_review_queue_items_queue_state", "queue_id", "state", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_queues.id", ondelete="CASCADE"))
    trace_id: Mapped[str] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the item left the queue: "reviewed", "removed" or "queue_deleted".
    deleted_reason: Mapped[str | None] = mapped_column(String(16))
    # The claim of a queue with one reviewer per trace (queues with several keep theirs in ItemClaim).
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Judgments saved so far (queues with several reviewers per trace), and the live item's state: "pending"
    # (open for judgments) or "needs_decision" (all in, and they disagree). A done item is soft-deleted.
    judgment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")

    queue: Mapped[ReviewQueue] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="joined")
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id], lazy="joined")


class ItemClaim(Base):
    """A reviewer's hold on an item of a queue with several reviewers per trace: up to reviews_per_trace minus the
    judgments already saved are live at once, one per reviewer, each until `expires_at`."""

    __tablename__ = "review_item_claims"
    __table_args__ = (Index("ix_review_item_claims_user_expires", "user_id", "expires_at"),)

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("review_queue_items.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_queues.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class ReviewSkip(Base):
    """A reviewer passed on an item; it stays pending for others and comes back to them last."""

    __tablename__ = "review_skips"
    __table_args__ = (
        Index("ix_review_skips_item_user", "item_id", "user_id"),
        Index("ix_review_skips_project_created", "project_id", "created_at"),  # Insights: skips in a window
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_queue_items.id", ondelete="CASCADE"))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_queues.id", ondelete="CASCADE"), index=True)
    trace_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")
