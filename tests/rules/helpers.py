"""Traces and evaluation results arriving through ingestion, and the rules of a queue, for the queue rule tests."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import QueueRuleAddition, ReviewQueueItem
from reviewapp.services import queue_rules, queues
from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import event, generation

JUDGE = "correctness"


def judged(trace_id: str, passed: bool, seconds: float = 60, judge: str = JUDGE) -> dict[str, Any]:
    """A boolean LLM-judge result on the whole trace."""
    return event("$ai_evaluation", trace_id, seconds, **{
        "$ai_evaluation_id": judge, "$ai_evaluation_name": judge.title(), "$ai_evaluation_runtime": "llm_judge",
        "$ai_evaluation_result_type": "boolean", "$ai_evaluation_result": passed,
        "$ai_target_id": trace_id, "$ai_target_type": "trace_id", "$ai_model": "judge-model",
        "$ai_provider": "judge-provider"})


def call(trace_id: str, seconds: float = 0, **kw: Any) -> dict[str, Any]:
    return generation(trace_id, seconds, **kw)


def ingest(project_id: int, events: list[dict[str, Any]]) -> None:
    ingest_batch(project_id, events)


def make_queue(project_id: int, name: str = "Support"):
    return queues.create_queue(project_id, None, name)


def make_rule(project_id: int, queue, conditions: list[dict[str, Any]] | None = None, **data: Any):
    return queue_rules.create_rule(project_id, None, queue.id,
                                   {"name": data.pop("name", "Rule"), "conditions": conditions or [], **data})


def added_by(rule) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(QueueRuleAddition.trace_id).where(QueueRuleAddition.rule_id == rule.id)))


def pending_in(queue) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(ReviewQueueItem.trace_id).where(
        ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None))))
