"""Evaluation results (`$ai_evaluation` events): one row per evaluation a project has seen, with the settings
PostHog keeps on its config and not on the event, and one row per result, read into an outcome on ingest."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reviewapp.models.base import Base, UTCDateTime, json_type, utcnow
from reviewapp.models.trace import BigIntPK

OUTCOMES = ("pass", "fail", "na", "skipped", "unknown")
TARGET_KINDS = ("generation", "span", "trace", "session")


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))  # `$ai_evaluation_id`, else the name
    name: Mapped[str] = mapped_column(String(255))  # the latest name seen
    name_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)  # timestamp of the result that named it
    runtime: Mapped[str | None] = mapped_column(String(32))  # llm_judge | hog | sentiment | otel | offline…
    result_type: Mapped[str] = mapped_column(String(16), default="boolean")  # as first seen; missing = boolean
    # Set by an admin, since PostHog keeps them on the config: a detector's true is a failure; a numeric or label
    # result passes by {"operator": "gte"|"lte", "threshold": x} or {"categories": [...]}.
    true_is_failure: Mapped[bool] = mapped_column(Boolean, default=False)
    passing_rule: Mapped[dict | None] = mapped_column(json_type())
    score_definition_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("score_definitions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TraceEvaluation(Base):
    """One evaluation result after dedupe, with the raw verdict kept so the outcome can be read again when an
    admin changes the evaluation's polarity or passing rule."""

    __tablename__ = "trace_evaluations"
    __table_args__ = (
        UniqueConstraint("project_id", "run_key"),  # a retried or replayed result is stored once
        Index("ix_trace_evaluations_project_trace", "project_id", "trace_id"),
        Index("ix_trace_evaluations_evaluation_outcome", "evaluation_id", "outcome"),
        # An evaluation's latest results and its last one (the Evaluations page) without sorting all of them.
        Index("ix_trace_evaluations_evaluation_timestamp", "evaluation_id", "timestamp", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    run_key: Mapped[str] = mapped_column(String(255))  # `$ai_evaluation_run_id` (OTel), else the event uuid
    event_uuid: Mapped[str] = mapped_column(String(64))
    trace_id: Mapped[str] = mapped_column(String(255))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    # The verdict as sent, normalised.
    result_type: Mapped[str] = mapped_column(String(16))
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    applicable: Mapped[bool | None] = mapped_column(Boolean)
    bool_result: Mapped[bool | None] = mapped_column(Boolean)
    numeric_result: Mapped[float | None] = mapped_column(Float)
    labels: Mapped[list | None] = mapped_column(json_type())  # categorical keys, an OTel label, a sentiment label
    reasoning: Mapped[str | None] = mapped_column(Text)
    judge_model: Mapped[str | None] = mapped_column(String(255))
    cost_usd: Mapped[float | None] = mapped_column(Numeric(18, 8, asdecimal=False))


class EvaluationOutcomeCount(Base):
    """A share of an evaluation's results with one outcome, so the Evaluations page sums a few rows instead of
    counting every result. Whatever adds, re-reads or deletes results (ingest, a rule change, prune) adds a row of
    what it changed (negative for results gone) in the same transaction: the sums are exact however many run at
    once, and no two writers wait on a shared counter row. Ingest folds an evaluation's rows into one per outcome
    as it goes (services.evaluations)."""

    __tablename__ = "evaluation_outcome_counts"
    __table_args__ = (Index("ix_evaluation_outcome_counts_project_evaluation", "project_id", "evaluation_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    results: Mapped[int] = mapped_column(BigInteger)  # a change: negative for results deleted or re-read away
