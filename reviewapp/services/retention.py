"""Retention: delete old traces nobody needs any more — with their events, evaluation results and model rows — in
small batches, each its own short transaction, so the server keeps serving and ingesting meanwhile.

A trace is kept while any of these holds: its last event or its last arrival is within the window (a late event
renews it); it has a review (a deleted one too: its history stays readable) or a judgment; it has a queue item (a
pending one, or one that left its queue). Each batch's DELETE states the conditions again, so a trace queued,
reviewed or sent a new event after it was picked is kept: on PostgreSQL the DELETE waits for an ingest holding the
trace's row and re-reads it; on SQLite it takes capture's writer turn. "Judged" means people's judgments: a trace's
LLM-judge results alone do not keep it (they go with it), or every evaluated trace would be kept forever."""
from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, exists, func, select

from reviewapp.extensions import db
from reviewapp.models import (
    Judgment,
    ReviewQueueItem,
    Trace,
    TraceEvent,
    TraceModel,
    TraceReview,
    utcnow,
)
from reviewapp.services import evaluations
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.store import _writer_turn

BATCH = 200  # traces per transaction: their events go with them, so a batch stays a short transaction
AGE = re.compile(r"^\s*(\d+)\s*([dhw]?)\s*$")
UNITS = {"": "days", "d": "days", "h": "hours", "w": "weeks"}
TRACES = cast(Table, Trace.__table__)


def parse_age(text: str | int | None) -> timedelta:
    """"30d", "12h", "2w" or a bare number of days, at least one hour."""
    match = AGE.match(str(text if text is not None else ""))
    if not match:
        raise ValidationError('Give an age like "30d", "12h" or "2w".', "older_than")
    age = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    if age < timedelta(hours=1):
        raise ValidationError("Keep at least an hour of traces.", "older_than")
    return age


def _prunable(cutoff: datetime, project_id: int | None) -> list[Any]:
    """The conditions a prunable trace meets, on `traces` rows."""
    same = (Trace.project_id, Trace.trace_id)

    def none_in(model: Any) -> Any:
        return ~exists().where(model.project_id == same[0], model.trace_id == same[1])

    conditions = [Trace.last_timestamp < cutoff, Trace.updated_at < cutoff,
                  none_in(TraceReview), none_in(Judgment), none_in(ReviewQueueItem)]
    if project_id is not None:
        conditions.append(Trace.project_id == project_id)
    return conditions


@dataclass
class PruneResult:
    traces: int = 0
    events: int = 0
    batches: int = 0
    dry_run: bool = False


def count_prunable(older_than: timedelta, project_id: int | None = None, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - older_than
    return db.session.scalar(select(func.count()).select_from(Trace).where(*_prunable(cutoff, project_id))) or 0


def prune(older_than: timedelta, *, project_id: int | None = None, dry_run: bool = False, batch: int = BATCH,
          pause: float = 0.0, now: datetime | None = None, on_batch: Any = None) -> PruneResult:
    """Delete the prunable traces `batch` at a time (a dry run only counts them); `pause` seconds between
    batches leave the database to other writers. `on_batch(result)` is told after each batch."""
    cutoff = (now or utcnow()) - older_than
    if dry_run:
        return PruneResult(traces=count_prunable(older_than, project_id, now), dry_run=True)
    result = PruneResult()
    after = 0
    while True:
        ids = list(db.session.scalars(select(Trace.id).where(Trace.id > after, *_prunable(cutoff, project_id))
                                      .order_by(Trace.id).limit(batch)))
        db.session.rollback()  # the pick is a read: no transaction held while nothing is deleted
        if not ids:
            return result
        after = ids[-1]
        try:
            with _writer_turn():
                gone = db.session.execute(
                    delete(TRACES).where(TRACES.c.id.in_(ids), *_prunable(cutoff, project_id))
                    .returning(TRACES.c.project_id, TRACES.c.trace_id)).all()
                result.events += _delete_contents(gone)
                db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        result.traces += len(gone)
        result.batches += 1
        if on_batch is not None:
            on_batch(result)
        if pause:
            time.sleep(pause)


def _delete_contents(gone: Sequence[Any]) -> int:
    """Delete the deleted traces' events, evaluation results and model rows; the number of events."""
    events = 0
    by_project: dict[int, list[str]] = {}
    for project_id, trace_id in gone:
        by_project.setdefault(project_id, []).append(trace_id)
    for project_id, trace_ids in sorted(by_project.items()):
        evaluations.delete_trace_results(project_id, trace_ids)  # and off their evaluations' counts
        for model in (TraceEvent, TraceModel):
            table = cast(Table, model.__table__)
            deleted = cast(CursorResult, db.session.execute(delete(table).where(
                table.c.project_id == project_id, table.c.trace_id.in_(trace_ids))))
            if model is TraceEvent:
                events += deleted.rowcount or 0
    return events
