"""The judgments behind final reviews that settled several reviewers' work (a consensus or a decision), for the
Reviews page and the export. A review's judgments are those of the item it completed: its trace's latest item in
the review's queue that left the queue reviewed."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Judgment, JudgmentScore, ReviewQueueItem, TraceReview, TraceReviewScore, User

SETTLED = ("consensus", "adjudicated")
T = TypeVar("T")


@dataclass
class JudgmentLine:
    """One judgment behind a final review, for a page: its reviewer, comment, time and scores (by scorer name)."""

    judgment_id: uuid.UUID
    reviewer: User | None
    comment: str | None
    judged_at: datetime
    scores: list[JudgmentScore] = field(default_factory=list)


@dataclass
class JudgmentRecord:
    """One judgment behind a final review, for the export: plain values only (nothing kept in the session)."""

    reviewer: str | None  # the reviewer's email
    comment: str | None
    judged_at: datetime
    scores: dict[uuid.UUID, tuple[Any, int, bool | None]] = field(default_factory=dict)  # (value, version, passed)


def _settled_keys(reviews: Iterable[tuple[uuid.UUID, str, uuid.UUID | None, str]]) -> dict[tuple, uuid.UUID]:
    """(trace id, queue id) → review id, for the reviews (id, trace id, queue id, resolution) a settlement wrote."""
    return {(trace_id, queue_id): review_id for review_id, trace_id, queue_id, resolution in reviews
            if resolution in SETTLED and queue_id is not None}


def _rows(project_id: int, keys: dict[tuple, uuid.UUID], *extra: Any) -> Sequence[Any]:
    """The judgments (one row per score; one for a judgment without any) of the reviewed items of the keys' traces
    in their queues, oldest first, with `extra` columns: one query."""
    return db.session.execute(
        select(Judgment.id.label("judgment_id"), Judgment.item_id, Judgment.trace_id, Judgment.queue_id,
               Judgment.comment, Judgment.updated_at, ReviewQueueItem.deleted_at.label("done_at"), *extra)
        .join(ReviewQueueItem, ReviewQueueItem.id == Judgment.item_id)
        .outerjoin(User, User.id == Judgment.reviewer_id)
        .outerjoin(JudgmentScore, JudgmentScore.judgment_id == Judgment.id)
        .where(Judgment.project_id == project_id, Judgment.trace_id.in_(sorted({t for t, _ in keys})),
               Judgment.queue_id.in_(sorted({q for _, q in keys})), ReviewQueueItem.deleted_reason == "reviewed")
        .order_by(Judgment.created_at, Judgment.id)
    ).all()


def _completed_items(rows: Sequence[Any], keys: dict[tuple, uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Item id → review id: for each review, the latest item of its trace in its queue to leave it reviewed."""
    latest: dict[tuple, tuple[datetime, uuid.UUID]] = {}
    for row in rows:
        key = (row.trace_id, row.queue_id)
        if key in keys and (key not in latest or row.done_at > latest[key][0]):
            latest[key] = (row.done_at, row.item_id)
    return {item_id: keys[key] for key, (_, item_id) in latest.items()}


def _grouped(rows: Sequence[Any], keys: dict[tuple, uuid.UUID], make: Callable[[Any], T],
             ) -> Iterator[tuple[uuid.UUID, T, Any, bool]]:
    """Each row behind a review: the review's id, its judgment's entry (made by `make` from the judgment's first
    row), the row, and whether the entry was just made."""
    items = _completed_items(rows, keys)
    entries: dict[uuid.UUID, T] = {}
    for row in rows:
        review_id = items.get(row.item_id)
        if review_id is None:
            continue
        entry = entries.get(row.judgment_id)
        if entry is None:
            entry = entries[row.judgment_id] = make(row)
            yield review_id, entry, row, True
        else:
            yield review_id, entry, row, False


def judgments_behind(project_id: int, reviews: Sequence[TraceReview]) -> dict[uuid.UUID, list[JudgmentLine]]:
    """Each settled review's judgments, oldest first, with their reviewers and scores: one query for the page
    (none when no review on it was settled)."""
    keys = _settled_keys((r.id, r.trace_id, r.queue_id, r.resolution) for r in reviews)
    if not keys:
        return {}
    behind: dict[uuid.UUID, list[JudgmentLine]] = {}
    rows = _rows(project_id, keys, User, JudgmentScore)
    for review_id, line, row, first in _grouped(
            rows, keys, lambda row: JudgmentLine(row.judgment_id, row.User, row.comment, row.updated_at)):
        if first:
            behind.setdefault(review_id, []).append(line)
        if row.JudgmentScore is not None:
            line.scores.append(row.JudgmentScore)
    for lines in behind.values():
        for line in lines:
            line.scores.sort(key=lambda s: (s.definition.name.lower(), s.definition.name, str(s.definition_id)))
    return behind


def records_for(project_id: int, reviews: Sequence[tuple[uuid.UUID, str, uuid.UUID | None, str]],
                ) -> dict[uuid.UUID, list[JudgmentRecord]]:
    """For the export: each settled review's (id, trace id, queue id, resolution) judgments as plain values, oldest
    first (one query; none without a settled review)."""
    keys = _settled_keys(reviews)
    if not keys:
        return {}
    behind: dict[uuid.UUID, list[JudgmentRecord]] = {}
    rows = _rows(project_id, keys, User.email, JudgmentScore.definition_id, JudgmentScore.categorical_values,
                 JudgmentScore.numeric_value, JudgmentScore.boolean_value, JudgmentScore.definition_version,
                 JudgmentScore.passed)
    for review_id, record, row, first in _grouped(
            rows, keys, lambda row: JudgmentRecord(row.email, row.comment, row.updated_at)):
        if first:
            behind.setdefault(review_id, []).append(record)
        if row.definition_id is not None:
            value = (row.categorical_values if row.categorical_values is not None
                     else row.numeric_value if row.numeric_value is not None else row.boolean_value)
            record.scores[row.definition_id] = (value, row.definition_version, row.passed)
    return behind


def judge_columns(conditions: list[Any]) -> list[tuple[str | None, uuid.UUID]]:
    """Every (reviewer email, scorer id) answered behind the reviews matching `conditions`: by a judgment of a
    settled review, or by the reviewer of a review saved alone (one query), by email. The wide export's columns."""
    judged = (
        select(User.email, JudgmentScore.definition_id)
        .select_from(TraceReview)
        .join(Judgment, (Judgment.project_id == TraceReview.project_id) & (Judgment.trace_id == TraceReview.trace_id)
              & (Judgment.queue_id == TraceReview.queue_id))
        .join(ReviewQueueItem,
              (ReviewQueueItem.id == Judgment.item_id) & (ReviewQueueItem.deleted_reason == "reviewed"))
        .join(JudgmentScore, JudgmentScore.judgment_id == Judgment.id)
        .outerjoin(User, User.id == Judgment.reviewer_id)
        .where(*conditions, TraceReview.resolution.in_(SETTLED))
    )
    alone = (
        select(User.email, TraceReviewScore.definition_id)
        .select_from(TraceReview)
        .join(TraceReviewScore, TraceReviewScore.review_id == TraceReview.id)
        .outerjoin(User, User.id == TraceReview.reviewed_by_id)
        .where(*conditions, TraceReview.resolution.not_in(SETTLED))
    )
    pairs = {(email, definition_id) for email, definition_id in db.session.execute(judged.union(alone))}
    return sorted(pairs, key=lambda pair: (pair[0] or "", str(pair[1])))
