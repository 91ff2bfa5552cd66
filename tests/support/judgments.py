"""Judgments for tests, written straight into the tables (the judging service is built elsewhere): each score
checked by services.score_validation exactly as a review's, its verdict from services.passing, and the item's
judgment_count and state kept in step. `three_judges` builds a workbench whose queue has three reviewers per trace
and items waiting for a decision."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from reviewapp.extensions import db
from reviewapp.models import Judgment, JudgmentScore, ReviewQueueItem, User, utcnow
from reviewapp.services import passing
from reviewapp.services.score_validation import validate_scores
from tests.support.factories import Factory
from tests.web.workbench import Workbench, build


def add_judgment(item: ReviewQueueItem, reviewer: User, scores: list[dict[str, Any]], comment: str | None = None,
                 *, seconds: float | None = 42.0, minutes_ago: int = 0) -> Judgment:
    """Insert `reviewer`'s judgment of `item` (score entries as the API takes them) and count it on the item."""
    now = utcnow() - timedelta(minutes=minutes_ago)
    judgment = Judgment(project_id=item.project_id, queue_id=item.queue_id, item_id=item.id, trace_id=item.trace_id,
                        reviewer_id=reviewer.id, comment=comment, time_spent_seconds=seconds, created_at=now,
                        updated_at=now)
    for score in validate_scores(item.project_id, scores):
        judgment.scores.append(JudgmentScore(
            project_id=item.project_id, definition_id=score.definition.id, definition=score.definition,
            definition_version_id=score.version.id, definition_version=score.version.version,
            definition_config=copy.deepcopy(score.version.config), categorical_values=score.categorical_values,
            numeric_value=score.numeric_value, boolean_value=score.boolean_value,
            passed=passing.verdict(score.version.kind, score.version.config,
                                   categorical_values=score.categorical_values, numeric_value=score.numeric_value,
                                   boolean_value=score.boolean_value),
            created_at=now, updated_at=now))
    db.session.add(judgment)
    item.judgment_count += 1
    db.session.commit()
    return judgment


def disagree(item: ReviewQueueItem, judged: list[tuple[User, list[dict[str, Any]], str | None]]) -> list[Judgment]:
    """Judge `item` once per (reviewer, scores, comment), oldest first, and leave it waiting for a decision."""
    made = [add_judgment(item, reviewer, scores, comment, minutes_ago=len(judged) - n)
            for n, (reviewer, scores, comment) in enumerate(judged)]
    item.state = "needs_decision"
    db.session.commit()
    return made


@dataclass
class Disagreement:
    wb: Workbench
    bob: User
    cleo: User
    item: ReviewQueueItem  # the first trace, waiting for a decision

    def quality(self, key: str) -> dict:
        return {"definition_id": str(self.wb.quality.id), "categorical_values": [key]}

    def rating(self, value) -> dict:
        return {"definition_id": str(self.wb.rating.id), "numeric_value": value}

    def helpful(self, value: bool) -> dict:
        return {"definition_id": str(self.wb.helpful.id), "boolean_value": value}


def three_judges(factory: Factory, traces: int = 2, waiting: int = 1) -> Disagreement:
    """`waiting` of the queue's `traces` items judged by Rita, Bob and Cleo, who disagree on quality and rating and
    agree on helpful; the other items are untouched."""
    wb = build(factory, traces=traces)
    wb.queue.reviews_per_trace = 3
    db.session.commit()
    bob = factory.user(email=f"bob{wb.project.id}@example.com", project=wb.project, role="reviewer",
                       first_name="Bob", last_name="Brown")
    cleo = factory.user(email=f"cleo{wb.project.id}@example.com", project=wb.project, role="reviewer",
                        first_name="Cleo", last_name="Chen")
    items = wb.items()
    case = Disagreement(wb, bob, cleo, items[0])
    for item in items[:waiting]:
        disagree(item, [
            (wb.reviewer, [case.quality("good"), case.rating("8"), case.helpful(True)], "Looks right to me."),
            (bob, [case.quality("bad"), case.rating("3.5"), case.helpful(True)], "The refund policy is wrong."),
            (cleo, [case.quality("good"), case.rating("7"), case.helpful(True)], None),
        ])
    return case
