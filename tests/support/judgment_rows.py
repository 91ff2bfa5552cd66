"""Judgments and settled reviews for tests, written straight through the models (the judging service is built
beside this): a queue with several reviewers per trace, judgments of its items, and the final review that
settles them through services.reviews.write_settled_review."""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from reviewapp.extensions import db
from reviewapp.models import Judgment, JudgmentScore, ReviewQueue, ReviewQueueItem, User, utcnow
from reviewapp.services import passing, reviews
from reviewapp.services.score_validation import validate_scores


def queue(project_id: int, name: str = "Panel", *, per_trace: int = 2, blind: bool = False) -> ReviewQueue:
    found = ReviewQueue(project_id=project_id, name=name, reviews_per_trace=per_trace, blind=blind)
    db.session.add(found)
    db.session.commit()
    return found


def item(q: ReviewQueue, trace_id: str) -> ReviewQueueItem:
    row = ReviewQueueItem(project_id=q.project_id, queue_id=q.id, trace_id=trace_id)
    db.session.add(row)
    db.session.commit()
    return row


def judge(row: ReviewQueueItem, reviewer: User, scores: list[dict[str, Any]], comment: str | None = None,
          *, minutes_ago: int = 0) -> Judgment:
    """`scores` as the API takes them ({"definition_id": …, "categorical_values": […]} …)."""
    when = utcnow() - timedelta(minutes=minutes_ago)
    judgment = Judgment(project_id=row.project_id, queue_id=row.queue_id, item_id=row.id, trace_id=row.trace_id,
                        reviewer_id=reviewer.id, comment=comment, created_at=when, updated_at=when)
    for score in validate_scores(row.project_id, scores):
        judgment.scores.append(JudgmentScore(
            project_id=row.project_id, definition_id=score.definition.id, definition_version_id=score.version.id,
            definition_version=score.version.version, definition_config=copy.deepcopy(score.version.config),
            categorical_values=score.categorical_values, numeric_value=score.numeric_value,
            boolean_value=score.boolean_value, created_at=when, updated_at=when,
            passed=passing.verdict(score.version.kind, score.version.config,
                                   categorical_values=score.categorical_values, numeric_value=score.numeric_value,
                                   boolean_value=score.boolean_value)))
    db.session.add(judgment)
    row.judgment_count += 1
    db.session.commit()
    return judgment


def settle(row: ReviewQueueItem, actor: User, scores: list[dict[str, Any]], *, resolution: str = "consensus",
           comment: str | None = None):
    """The final review of the item (which completes it), as a consensus or a decision writes it."""
    q = db.session.get(ReviewQueue, row.queue_id)
    return reviews.write_settled_review(row.project_id, actor, trace_id=row.trace_id,
                                        scores=validate_scores(row.project_id, scores), comment=comment, queue=q,
                                        resolution=resolution)
