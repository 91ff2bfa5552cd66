"""Evaluation results in: recording `$ai_evaluation` events as they are stored, and the admin's settings that
decide their outcome (polarity, passing rule) and the scorer each evaluation is compared with."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from reviewapp.extensions import db
from reviewapp.models import Evaluation, TraceEvaluation
from reviewapp.services.evaluation_outcomes import Verdict, outcome, read_verdict
from reviewapp.services.ingest.events import AIEvent

EVALUATION_EVENT = "$ai_evaluation"
EVALUATIONS = cast(Table, Evaluation.__table__)
TRACE_EVALUATIONS = cast(Table, TraceEvaluation.__table__)


def _insert_ignoring_conflicts(table: Table, index_elements: list[str]) -> Insert:
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


def record_results(project_id: int, events: Sequence[AIEvent]) -> int:
    """Record the results of newly stored `$ai_evaluation` events, inside the caller's transaction, in at most
    four statements whatever their number: add the evaluations not seen before, read every one named, rename
    those whose latest result carries a new name, and insert the results (a result whose run is already stored,
    an OTel replay under another uuid, is skipped by the database). The number of results written."""
    if not events:
        return 0
    read = [(event, read_verdict(event.uuid, event.trace_id, event.properties)) for event in events]
    latest: dict[str, tuple[datetime, Verdict]] = {}
    for event, verdict in read:
        if verdict.key not in latest or event.timestamp >= latest[verdict.key][0]:
            latest[verdict.key] = (event.timestamp, verdict)
    keys = sorted(latest)  # sorted: two batches adding the same evaluations wait for each other, not deadlock
    db.session.execute(_insert_ignoring_conflicts(EVALUATIONS, ["project_id", "key"]), [
        {"project_id": project_id, "key": key, "name": latest[key][1].name[:255], "name_seen_at": latest[key][0],
         "runtime": latest[key][1].runtime, "result_type": latest[key][1].result_type,
         "true_is_failure": False, "passing_rule": None, "score_definition_id": None,
         "created_at": latest[key][0], "updated_at": latest[key][0]}
        for key in keys])
    known = {row.key: row for row in db.session.execute(
        select(EVALUATIONS.c.id, EVALUATIONS.c.key, EVALUATIONS.c.name, EVALUATIONS.c.name_seen_at,
               EVALUATIONS.c.true_is_failure, EVALUATIONS.c.passing_rule)
        .where(EVALUATIONS.c.project_id == project_id, EVALUATIONS.c.key.in_(keys)))}
    renamed = [{"row_id": known[key].id, "new_name": latest[key][1].name, "seen": latest[key][0]}
               for key in keys if known[key].name != latest[key][1].name
               and latest[key][0] > known[key].name_seen_at]
    if renamed:
        db.session.execute(update(EVALUATIONS).where(EVALUATIONS.c.id == bindparam("row_id"))
                           .values(name=bindparam("new_name"), name_seen_at=bindparam("seen")), renamed)
    rows = []
    for event, verdict in sorted(read, key=lambda pair: pair[1].run_key):
        evaluation = known[verdict.key]
        rows.append({
            "project_id": project_id, "evaluation_id": evaluation.id, "run_key": verdict.run_key,
            "event_uuid": event.uuid, "trace_id": event.trace_id, "target_kind": verdict.target_kind,
            "target_id": verdict.target_id, "timestamp": event.timestamp,
            "outcome": outcome(verdict, evaluation.true_is_failure, evaluation.passing_rule),
            "result_type": verdict.result_type, "skipped": verdict.skipped, "skip_reason": verdict.skip_reason,
            "applicable": verdict.applicable, "bool_result": verdict.bool_result,
            "numeric_result": verdict.numeric_result, "labels": verdict.labels, "reasoning": verdict.reasoning,
            "judge_model": verdict.judge_model, "cost_usd": verdict.cost_usd,
        })
    db.session.execute(_insert_ignoring_conflicts(TRACE_EVALUATIONS, ["project_id", "run_key"]), rows)
    return len(rows)


def evaluation_events(events: Iterable[AIEvent]) -> list[AIEvent]:
    return [event for event in events if event.event == EVALUATION_EVENT]
