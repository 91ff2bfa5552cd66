"""Storing a batch of parsed events: each `$ai_*` event once, merged into its trace's summary row, in a fixed
number of statements whatever the batch size."""
from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, bindparam, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent, TraceModel, utcnow
from reviewapp.services import evaluations, queue_rules
from reviewapp.services.common import insert_ignoring_conflicts
from reviewapp.services.ingest.events import AIEvent
from reviewapp.services.ingest.storable import json_text
from reviewapp.services.ingest.summary import Summary, summarise

TRACE_EVENTS = cast(Table, TraceEvent.__table__)
TRACES = cast(Table, Trace.__table__)
TRACE_MODELS = cast(Table, TraceModel.__table__)


@dataclass
class IngestResult:
    received: int = 0  # events in the request
    stored: int = 0  # new `$ai_*` events written
    duplicates: int = 0  # `$ai_*` events already stored (an SDK retry) or repeated within the request
    ignored: int = 0  # events that are not `$ai_*`: accepted, not kept
    traces: int = 0  # traces whose summary changed


def store_and_commit(project_id: int, events: list[AIEvent], result: IngestResult, now: datetime) -> None:
    """Store a request's parsed events in one transaction: all or nothing."""
    batch = _prepare(project_id, events, now)  # before the writer's turn: no database needed
    try:
        with _writer_turn():
            _write(project_id, batch, result)
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def store_events(project_id: int, events: list[AIEvent], result: IngestResult | None = None,
                 received_at: datetime | None = None) -> IngestResult:
    """Write validated events and merge them into their traces' summaries, without committing."""
    result = result or IngestResult(received=len(events))
    _write(project_id, _prepare(project_id, events, received_at or utcnow()), result)
    return result


@contextmanager
def _writer_turn() -> Iterator[None]:
    """On a SQLite file, capture's writers queue on a lock file instead of polling SQLite's write lock, whose
    busy handler sleeps 1-100 ms between tries and so leaves the database idle while batches wait."""
    url = db.session.get_bind().engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    with open(f"{url.database}-ingest.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the process dies
        yield


@dataclass
class PreparedBatch:
    """What a batch writes, worked out before any statement runs so locks are held for the statements only."""

    received: int  # events given, repeats included
    unique: dict[str, AIEvent]  # by uuid
    rows: list[dict[str, Any]]  # trace_events rows, in uuid order
    summaries: dict[str, Summary]  # by trace id, assuming every event is new (all but a retry's are)
    received_at: datetime


def _prepare(project_id: int, events: list[AIEvent], received_at: datetime) -> PreparedBatch:
    unique: dict[str, AIEvent] = {}
    for event in events:
        unique.setdefault(event.uuid, event)
    rows = [
        {
            "project_id": project_id, "uuid": event.uuid, "trace_id": event.trace_id, "event": event.event,
            "distinct_id": event.distinct_id, "timestamp": event.timestamp, "span_id": event.span_id,
            "parent_id": event.parent_id, "properties_json": event.properties_json or json_text(event.properties),
            "received_at": received_at,
        }
        for event in sorted(unique.values(), key=lambda e: e.uuid)
    ]
    return PreparedBatch(len(events), unique, rows, summarise(unique.values()), received_at)


def _write(project_id: int, batch: PreparedBatch, result: IngestResult) -> None:
    """A fixed number of statements whatever the batch size: insert the events (a retried uuid is skipped by
    the database, so concurrent retries cannot double count), insert the summaries of new traces, lock and
    merge the summaries of known ones, and record the models used and the evaluation results. Keys are written in
    sorted order so two batches touching the same traces on PostgreSQL wait for each other instead of deadlocking."""
    if not batch.rows:
        return
    stored = _insert_events(batch.rows)
    result.stored += len(stored)
    result.duplicates += batch.received - len(stored)
    if not stored:
        return
    evaluations.record_results(project_id, evaluations.evaluation_events(
        batch.unique[uuid] for uuid in sorted(stored)))
    summaries = batch.summaries
    if len(stored) < len(batch.unique):
        summaries = summarise(event for event in batch.unique.values() if event.uuid in stored)
    merged, previous = _merge_summaries(project_id, summaries, batch.received_at)
    _record_models(project_id, summaries)
    result.traces += len(summaries)
    events = batch.unique.values() if len(stored) == len(batch.unique) else (
        event for event in batch.unique.values() if event.uuid in stored)
    queue_rules.apply_on_ingest(project_id, merged, previous, events)  # last: it reads the merged summaries


def _insert_events(rows: list[dict[str, Any]]) -> set[str]:
    """Insert events whose properties are already JSON text, skipping any uuid the project already has; the
    uuids stored."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _copy_events(rows)
    insert = (insert_ignoring_conflicts(TRACE_EVENTS, ["project_id", "uuid"])
              .values(properties=bindparam("properties_json", type_=Text))  # a bind named apart from its column,
              .returning(TRACE_EVENTS.c.uuid))                             # which SQLAlchemy reserves
    return set(db.session.scalars(insert, rows))


# PostgreSQL takes a batch's events by COPY into a staging table of the session, emptied at each commit, then
# moves them with one INSERT ... SELECT that skips known uuids: COPY spares the ten bind parameters per event of a
# multi-row INSERT.
STAGED_EVENTS = Table(
    "ingest_staged_events", MetaData(),
    Column("project_id", Integer), Column("uuid", Text), Column("trace_id", Text), Column("event", Text),
    Column("distinct_id", Text), Column("timestamp", DateTime(timezone=True)), Column("span_id", Text),
    Column("parent_id", Text), Column("properties", postgresql.JSONB), Column("received_at", DateTime(timezone=True)),
    prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS",
)
STAGED_COLUMNS = [column.name for column in STAGED_EVENTS.c]
ROW_KEYS = [name if name != "properties" else "properties_json" for name in STAGED_COLUMNS]


def _copy_events(rows: list[dict[str, Any]]) -> set[str]:
    db.session.execute(CreateTable(STAGED_EVENTS, if_not_exists=True))
    driver: Any = db.session.connection().connection.driver_connection  # psycopg's own: COPY is beyond DB-API
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY {STAGED_EVENTS.name} ({', '.join(STAGED_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[key] for key in ROW_KEYS])
    move = (postgresql.insert(TRACE_EVENTS)
            .from_select(STAGED_COLUMNS, select(STAGED_EVENTS).order_by(STAGED_EVENTS.c.uuid))
            .on_conflict_do_nothing(index_elements=["project_id", "uuid"])
            .returning(TRACE_EVENTS.c.uuid))
    return set(db.session.scalars(move))


def _merge_summaries(project_id: int, summaries: dict[str, Summary],
                     now: datetime) -> tuple[dict[str, Summary], dict[str, Summary]]:
    """Insert new traces' summaries, lock and merge known ones; the merged summaries, and the known traces'
    summaries as they were before this batch."""
    merged: dict[str, Summary] = {}
    previous: dict[str, Summary] = {}
    pending = summaries
    while pending:  # a trace `reviewapp prune` deleted between the insert and the lock is inserted again
        pending = _merge_once(project_id, pending, now, merged, previous)
    return merged, previous


def _merge_once(project_id: int, summaries: dict[str, Summary], now: datetime,
                merged: dict[str, Summary], previous: dict[str, Summary]) -> dict[str, Summary]:
    """Insert new traces' summaries and merge known ones into `merged` (their rows before into `previous`); the
    summaries whose row vanished meanwhile."""
    traces = TRACES
    created = set(db.session.scalars(
        insert_ignoring_conflicts(traces, ["project_id", "trace_id"]).returning(traces.c.trace_id),
        [summaries[trace_id].as_row(project_id, trace_id, now) for trace_id in sorted(summaries)],
    ))
    merged.update({trace_id: summaries[trace_id] for trace_id in created})
    known = sorted(set(summaries) - created)
    if not known:
        return {}
    existing = db.session.execute(
        select(traces)
        .where(traces.c.project_id == project_id, traces.c.trace_id.in_(known))
        .order_by(traces.c.trace_id)
        .with_for_update()
    ).mappings()
    changes = []
    for row in existing:
        trace_id = row["trace_id"]
        previous[trace_id] = Summary.from_row(row)
        merged[trace_id] = previous[trace_id].merge(summaries[trace_id])
        changes.append({"row_id": row["id"], **{f"new_{k}": v for k, v in merged[trace_id].as_values(now).items()}})
    if changes:
        # Bind names differ from the column names: SQLAlchemy reserves those for its own parameters.
        columns: dict[str, Any] = {name[len("new_"):]: bindparam(name) for name in changes[0] if name != "row_id"}
        db.session.execute(update(traces).where(traces.c.id == bindparam("row_id")).values(columns), changes)
    return {trace_id: summaries[trace_id] for trace_id in known if trace_id not in merged}


def _record_models(project_id: int, summaries: dict[str, Summary]) -> None:
    pairs = sorted({(model, trace_id) for trace_id, summary in summaries.items() for model in summary.models})
    if pairs:
        db.session.execute(
            insert_ignoring_conflicts(TRACE_MODELS, ["project_id", "model", "trace_id"]),
            [{"project_id": project_id, "model": model, "trace_id": trace_id} for model, trace_id in pairs],
        )
