"""Known pass/fail data for the Insights pass-rate tests (service, page and browser): a numeric scorer whose rule
gets stricter in version 2, a yes/no scorer, a scorer without a rule, two queues, reviews over several days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from reviewapp.extensions import db
from reviewapp.models import (
    Project,
    ReviewQueue,
    ReviewQueueItem,
    ScoreDefinition,
    ScoreDefinitionVersion,
    TraceReview,
    TraceReviewScore,
    User,
    utcnow,
)
from reviewapp.services import queue_items, queues, reviews, scorers


def days_ago(n: int, hour: int = 12) -> datetime:
    return utcnow().replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=n)


def set_rule(definition: ScoreDefinition, version: int, **rule: Any) -> None:
    """Give a stored version a passing rule (`passing_rule=…` or `true_is_failure=…`), as the scorer editor will."""
    stored = db.session.scalar(select(ScoreDefinitionVersion).where(
        ScoreDefinitionVersion.definition_id == definition.id, ScoreDefinitionVersion.version == version))
    assert stored is not None
    stored.config = {**stored.config, **rule}
    db.session.commit()


def set_version_time(definition: ScoreDefinition, version: int, when: datetime) -> None:
    db.session.execute(update(ScoreDefinitionVersion).where(
        ScoreDefinitionVersion.definition_id == definition.id, ScoreDefinitionVersion.version == version
    ).values(created_at=when))
    db.session.commit()


def review(project: Project, user: User, trace_id: str, scores: list[dict], queue: ReviewQueue | None = None,
           ago: int = 0) -> TraceReview:
    """Save a review through the review service (which stores each score's verdict), as if `ago` days ago."""
    if queue is not None:
        queue_items.bulk_add(project.id, user, queue.id, [trace_id])
    saved = reviews.save_review(project.id, user, trace_id=trace_id, scores=scores,
                                queue_id=str(queue.id) if queue else None)
    if ago:
        when = days_ago(ago)
        db.session.execute(update(TraceReview).where(TraceReview.id == saved.id).values(
            created_at=when, updated_at=when))
        db.session.execute(update(TraceReviewScore).where(TraceReviewScore.review_id == saved.id).values(
            created_at=when, updated_at=when))
        db.session.execute(update(ReviewQueueItem).where(ReviewQueueItem.trace_id == trace_id,
                                                         ReviewQueueItem.deleted_reason == "reviewed")
                           .values(created_at=when - timedelta(hours=1), deleted_at=when, updated_at=when))
        db.session.commit()
    return saved


def value(definition: ScoreDefinition, **given: Any) -> dict[str, Any]:
    return {"definition_id": str(definition.id), **given}


@dataclass
class Known:
    quality: ScoreDefinition
    safe: ScoreDefinition
    tone: ScoreDefinition
    support: ReviewQueue
    sales: ReviewQueue


def build(project: Project, admin: User, reviewer: User) -> Known:
    """Answer quality (1–5): v1 "≥ 3 passes" until a day ago, then v2 "≥ 4 passes". Safe (yes/no): yes passes.
    Tone: no rule.

    Answer quality v1, 3 days ago: 4 ✓ 3 ✓ 2 ✗ (Support, Support, Sales); 2 days ago: 4 ✓ (no queue)
    Answer quality v2, 1 day ago: 4 ✓ (Support); today: 3 ✗ (Support), 3 ✗ (Sales) — a 3 passed under v1
    Safe, 3 days ago: yes ✓ no ✗ yes ✓ (Support, Support, Sales);  Tone, today: one neutral score (Sales)"""
    quality = scorers.create_definition(project.id, admin, name="Answer quality", kind="numeric",
                                        config={"min": 1, "max": 5, "step": 1})
    set_rule(quality, 1, passing_rule={"operator": "gte", "threshold": 3})
    safe = scorers.create_definition(project.id, admin, name="Safe", kind="boolean",
                                     config={"true_label": "Safe", "false_label": "Unsafe"})
    tone = scorers.create_definition(project.id, admin, name="Tone", kind="categorical", config={
        "options": [{"key": "polite", "label": "Polite"}, {"key": "curt", "label": "Curt"}]})
    support = queues.create_queue(project.id, admin, "Support")
    sales = queues.create_queue(project.id, admin, "Sales")
    set_version_time(quality, 1, days_ago(20))

    review(project, reviewer, "t1", [value(quality, numeric_value=4), value(safe, boolean_value=True)], support, 3)
    review(project, reviewer, "t2", [value(quality, numeric_value=3), value(safe, boolean_value=False)], support, 3)
    review(project, reviewer, "t3", [value(quality, numeric_value=2), value(safe, boolean_value=True)], sales, 3)
    review(project, reviewer, "t4", [value(quality, numeric_value=4)], None, 2)

    scorers.new_version(project.id, admin, quality.id, {"min": 1, "max": 5, "step": 1})
    set_rule(quality, 2, passing_rule={"operator": "gte", "threshold": 4})
    set_version_time(quality, 2, days_ago(1, hour=9))
    review(project, reviewer, "t5", [value(quality, numeric_value=4)], support, 1)
    review(project, reviewer, "t6", [value(quality, numeric_value=3)], support)
    review(project, reviewer, "t7", [value(quality, numeric_value=3)], sales)
    review(project, reviewer, "t8", [value(tone, categorical_values=["polite"])], sales)
    return Known(quality, safe, tone, support, sales)


def build_history(project: Project, admin: User, reviewer: User, days: int = 21, seed: int = 7) -> ScoreDefinition:
    """A busier, demo-like history for looking at the chart: "Answer quality" (1–5) reviewed a few times a day
    for `days` days, its rule going from "≥ 3 passes" to the stricter "≥ 4 passes" a third of the way from the
    end, and the answers slowly getting better; the traces split over the Support and Sales queues."""
    import random

    rng = random.Random(seed)
    quality = scorers.create_definition(project.id, admin, name="Answer quality", kind="numeric",
                                        config={"min": 1, "max": 5, "step": 1})
    set_rule(quality, 1, passing_rule={"operator": "gte", "threshold": 3})
    set_version_time(quality, 1, days_ago(days + 5))
    places = [queues.create_queue(project.id, admin, name) for name in ("Support", "Sales")]
    change = days // 3
    for n in range(days - 1, -1, -1):
        if n == change:
            scorers.new_version(project.id, admin, quality.id, {"min": 1, "max": 5, "step": 1})
            set_rule(quality, 2, passing_rule={"operator": "gte", "threshold": 4})
            set_version_time(quality, 2, days_ago(n, hour=8))
        for i in range(rng.randint(2, 6)):
            better = (days - n) / days
            answer = min(5, max(1, round(rng.gauss(2.8 + better, 1.0))))
            review(project, reviewer, f"h{n}-{i}", [value(quality, numeric_value=answer)],
                   places[i % 2] if i < 4 else None, n)
    return quality
