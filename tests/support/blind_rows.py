"""Rows for the blind review tests, inserted with the models: a queue with several reviewers per trace, a judgment
with its scores (validated and given their verdicts like every saved score) and its history entry, and a final
review left standing beside a live item. The judging service is not needed to read them back."""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import (
    Judgment,
    JudgmentScore,
    ReviewChange,
    ReviewQueue,
    ReviewQueueItem,
    TraceReview,
    User,
    utcnow,
    uuid7,
)
from reviewapp.services import passing, review_history, reviews
from reviewapp.services.score_validation import validate_scores


def several_reviewers(queue: ReviewQueue, *, reviews_per_trace: int = 3, blind: bool = True) -> ReviewQueue:
    queue.reviews_per_trace = reviews_per_trace
    queue.blind = blind
    db.session.commit()
    return queue


def live_item(project_id: int, trace_id: str) -> ReviewQueueItem:
    item = db.session.scalar(select(ReviewQueueItem).where(
        ReviewQueueItem.project_id == project_id, ReviewQueueItem.trace_id == trace_id,
        ReviewQueueItem.deleted_at.is_(None)))
    assert item is not None, f"{trace_id} is not pending"
    return item


def judge(item: ReviewQueueItem, reviewer: User, scores: list[dict[str, Any]], comment: str | None = None,
          *, minutes_ago: int = 0, state: str | None = None) -> Judgment:
    """`reviewer`'s judgment of the item, with a history entry (subject "judgment", action "created") as the
    judging service records one; the item's judgment count goes up (and its state to `state`, when given)."""
    when = utcnow() - timedelta(minutes=minutes_ago)
    judgment = Judgment(id=uuid7(), project_id=item.project_id, queue_id=item.queue_id, item_id=item.id,
                        trace_id=item.trace_id, reviewer_id=reviewer.id, comment=comment, time_spent_seconds=30,
                        created_at=when, updated_at=when)
    for entry in validate_scores(item.project_id, scores):
        version = entry.version
        judgment.scores.append(JudgmentScore(
            project_id=item.project_id, definition_id=entry.definition.id, definition=entry.definition,
            definition_version_id=version.id, definition_version=version.version,
            definition_config=copy.deepcopy(version.config), categorical_values=entry.categorical_values,
            numeric_value=entry.numeric_value, boolean_value=entry.boolean_value,
            passed=passing.verdict(version.kind, version.config, categorical_values=entry.categorical_values,
                                   numeric_value=entry.numeric_value, boolean_value=entry.boolean_value),
            created_at=when, updated_at=when))
    db.session.add(judgment)
    item.judgment_count += 1
    if state is not None:
        item.state = state
    db.session.flush()
    after = {"comment": comment, "reviewer": {"id": reviewer.id, "name": reviewer.display_name},
             "scores": [review_history._score_snapshot(score) for score in judgment.scores]}  # noqa: SLF001
    db.session.add(ReviewChange(project_id=item.project_id, trace_id=item.trace_id, subject=review_history.JUDGMENT,
                                subject_id=judgment.id, review_id=None, actor_id=reviewer.id,
                                action=review_history.CREATED, before=None, after=after, created_at=when))
    db.session.commit()
    return judgment


def review_beside_live_item(project_id: int, admin: User, queue: ReviewQueue, trace_id: str,
                            scores: list[dict[str, Any]], comment: str) -> TraceReview:
    """A final review of a trace that is also live in `queue` (as after someone saved one directly while the
    trace waited for judgments): the review through the service, the item put back with the model."""
    review = reviews.save_review(project_id, admin, trace_id=trace_id, scores=scores, comment=comment)
    item = db.session.scalar(select(ReviewQueueItem).where(
        ReviewQueueItem.project_id == project_id, ReviewQueueItem.trace_id == trace_id)
        .order_by(ReviewQueueItem.created_at.desc()))
    if item is not None and item.deleted_at is not None:
        item.deleted_at = None
        item.deleted_reason = None
    elif item is None:
        db.session.add(ReviewQueueItem(project_id=project_id, queue_id=queue.id, trace_id=trace_id))
    db.session.commit()
    return review
