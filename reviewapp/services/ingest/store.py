"""Storing a batch of parsed events: each `$ai_*` event once, merged into its trace's summary row, in a fixed
number of statements whatever the batch size."""
from __future__ import annotations

import fcntl
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Column, MetaData, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent, TraceModel, utcnow
from reviewapp.models.base import JSONType, UTCDateTime
from reviewapp.services import evaluations, queue_rules
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
    rows: list[tuple[Any, ...]]  # trace_events rows (EVENT_COLUMNS, properties as JSON text), in uuid order
    summaries: dict[str, Summary]  # by trace id, assuming every event is new (all but a retry's are)
    received_at: datetime


def _prepare(project_id: int, events: list[AIEvent], received_at: datetime) -> PreparedBatch:
    unique: dict[str, AIEvent] = {}
    for event in events:
        unique.setdefault(event.uuid, event)
    rows = [
        (project_id, event.uuid, event.trace_id, event.event, event.distinct_id, event.timestamp, event.span_id,
         event.parent_id, event.properties_json or json_text(event.properties), received_at)
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


EVENT_COLUMNS = ["project_id", "uuid", "trace_id", "event", "distinct_id", "timestamp", "span_id", "parent_id",
                 "properties", "received_at"]


def _insert_events(rows: list[tuple[Any, ...]]) -> set[str]:
    """Insert events whose properties are already JSON text, skipping any uuid the project already has; the
    uuids stored."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _copy_events(rows)
    return set(_sqlite_insert(TRACE_EVENTS, EVENT_COLUMNS, rows, ["project_id", "uuid"], "uuid",
                              as_is=frozenset({"properties"})))


# SQLite takes a batch's rows in multi-row INSERTs written once per table, shape and size, with the columns' own
# bind processing applied to the values that need it (the dates): SQLAlchemy's executemany compiles the statement
# and processes every parameter of every row each time: about a quarter of the store's CPU on SQLite.
SQLITE_MAX_PARAMETERS = 32_766  # SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32
SQLITE_MAX_ROWS = 1_000
_UNSET = object()


def _sqlite_insert(table: Table, columns: list[str], rows: list[tuple[Any, ...]], conflict: list[str],
                   returning: str | None = None, as_is: frozenset[str] = frozenset()) -> list[Any]:
    """Insert `rows` (values in `columns` order) into a SQLite table, skipping a row whose `conflict` key is
    stored; the `returning` column of the rows inserted. A column named in `as_is` is given in its stored form
    (JSON already serialised) and not processed."""
    processors = _sqlite_processors(table, tuple(columns), as_is)
    connection = db.session.connection()
    per_statement = min(SQLITE_MAX_ROWS, SQLITE_MAX_PARAMETERS // len(columns))
    returned: list[Any] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        parameters: list[Any] = []
        if processors:
            # A batch's rows share some values (its receive time): each processed once, as long as it repeats.
            last: list[tuple[Any, Any]] = [(_UNSET, None)] * len(processors)
            for row in chunk:
                values = list(row)
                for n, (i, processor) in enumerate(processors):
                    value = values[i]
                    seen, processed = last[n]
                    if value is not seen:
                        processed = processor(value)
                        last[n] = (value, processed)
                    values[i] = processed
                parameters.extend(values)
        else:
            for row in chunk:
                parameters.extend(row)
        sql = _sqlite_insert_sql(table.name, tuple(columns), len(chunk), tuple(conflict), returning)
        result = connection.exec_driver_sql(sql, tuple(parameters))
        if returning:
            returned.extend(result.scalars())
    return returned


def _sqlite_processors(table: Table, columns: tuple[str, ...],
                       as_is: frozenset[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, bind processor) of each column whose values SQLite stores in another form: the columns' own
    processors (JSON is serialised as SQLAlchemy does), except for UTC dates, most of a row's processing, which
    `_sqlite_utc` writes directly."""
    dialect = db.session.get_bind().dialect
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for i, name in enumerate(columns):
        column_type = table.c[name].type
        if name in as_is:
            continue
        if isinstance(column_type, UTCDateTime):
            processors.append((i, _sqlite_utc))
        elif (processor := column_type.dialect_impl(dialect).bind_processor(dialect)) is not None:
            processors.append((i, processor))
    return processors


def _sqlite_utc(value: datetime | None) -> str | None:
    """A date as UTCDateTime stores it on SQLite: in UTC, naive, in SQLAlchemy's SQLite DATETIME format (always
    with microseconds, the year in four digits), so it sorts and compares with the dates SQLAlchemy writes."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


@functools.lru_cache(maxsize=64)
def _sqlite_insert_sql(table: str, columns: tuple[str, ...], count: int, conflict: tuple[str, ...],
                       returning: str | None) -> str:
    row = f"({', '.join('?' * len(columns))})"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * count)} "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING" + (f" RETURNING {returning}" if returning else ""))


def _insert_rows(table: Table, rows: list[dict[str, Any]], conflict: list[str],
                 returning: str | None = None) -> list[Any]:
    """Insert rows (dicts with the same keys, in the same order), skipping those whose `conflict` key is stored;
    the `returning` column of the rows inserted."""
    if db.session.get_bind().dialect.name == "sqlite":
        return _sqlite_insert(table, list(rows[0]), [tuple(row.values()) for row in rows], conflict, returning)
    columns = list(rows[0])
    json_columns = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSONType)]
    values = []
    for row in rows:
        value = list(row.values())
        for i in json_columns:
            value[i] = json_text(value[i])
        values.append(tuple(value))
    return _copy_insert(table, columns, values, conflict, returning)


# PostgreSQL takes a batch's events, new traces and trace models by COPY into a staging table of the session,
# emptied at each commit, then moves them with one INSERT ... SELECT that skips known keys, in key order. COPY
# spares the bind parameters of a multi-row INSERT: ten per event, twenty-one per trace, and psycopg parses such a
# statement's text in Python each time (it is too long for its cache), which took more CPU than writing the rows;
# and it spares the trace models a statement each (an executemany), which the database runs one by one.
def _staging_table(table: Table) -> Table:
    return Table(f"ingest_staged_{table.name}", MetaData(),
                 *[Column(column.name, column.type) for column in table.c if column.name != "id"],
                 prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")


STAGING = {table.name: _staging_table(table) for table in (TRACE_EVENTS, TRACES, TRACE_MODELS)}


def _create_staging() -> None:
    """Make sure the session's staging tables exist, in one statement (a round trip each would add up)."""
    connection = db.session.connection()
    connection.exec_driver_sql(_staging_ddl(connection.dialect))


@functools.lru_cache(maxsize=4)
def _staging_ddl(dialect: Any) -> str:
    return ";".join(str(CreateTable(staged, if_not_exists=True).compile(dialect=dialect))
                    for staged in STAGING.values())


def _copy_events(rows: list[tuple[Any, ...]]) -> set[str]:
    _create_staging()  # the events come first in `_write`: the new traces' COPY follows in the same transaction
    return set(_copy_insert(TRACE_EVENTS, EVENT_COLUMNS, rows, ["project_id", "uuid"], "uuid"))


def _copy_insert(table: Table, columns: list[str], rows: list[tuple[Any, ...]], conflict: list[str],
                 returning: str | None) -> list[Any]:
    """Insert `rows` (values in `columns` order, JSON as text) into a PostgreSQL table in `returning` order (else
    in `conflict` order), skipping a row whose `conflict` key is stored; the `returning` column of the rows
    inserted."""
    staged = STAGING[table.name]
    driver: Any = db.session.connection().connection.driver_connection  # psycopg's own: COPY is beyond DB-API
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY {staged.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    # The move takes the rows out of the staging table as it inserts them: a commit empties it too, but a strict
    # import stores its chunks in one transaction, and each chunk's move would otherwise read all before it again.
    taken = delete(staged).returning(*[staged.c[name] for name in columns]).cte("taken")
    order = [taken.c[name] for name in ([returning] if returning else conflict)]
    move = (postgresql.insert(table).add_cte(taken)
            .from_select(columns, select(*[taken.c[name] for name in columns]).order_by(*order))
            .on_conflict_do_nothing(index_elements=conflict))
    if returning is None:
        db.session.execute(move)
        return []
    return list(db.session.scalars(move.returning(table.c[returning])))


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
    created = set(_insert_rows(traces, [summaries[trace_id].as_row(project_id, trace_id, now)
                                        for trace_id in sorted(summaries)], ["project_id", "trace_id"], "trace_id"))
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
        _insert_rows(TRACE_MODELS, [{"project_id": project_id, "model": model, "trace_id": trace_id}
                                    for model, trace_id in pairs], ["project_id", "model", "trace_id"])
