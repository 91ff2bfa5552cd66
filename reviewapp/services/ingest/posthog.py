"""Ingestion: validate PostHog-shaped events, store each `$ai_*` event once, and keep every trace's summary row
current. Capture, import and the demo seed all come through here."""
from __future__ import annotations

import fcntl
import hashlib
import json
import math
import re
import uuid as uuidlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import orjson
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent, TraceModel, utcnow
from reviewapp.services.errors import ValidationError

AI_PREFIX = "$ai_"
ROOT_EVENT = "$ai_trace"
GENERATION_EVENT = "$ai_generation"
COSTED_EVENTS = frozenset({"$ai_generation", "$ai_embedding"})  # the calls that spend tokens and money
PREVIEW_CHARS = 300
MAX_ID_LENGTH = 255
MAX_EVENT_NAME_LENGTH = 64
MAX_DISTINCT_ID_LENGTH = 200
COUNT_PROPERTIES = ("$ai_input_tokens", "$ai_output_tokens", "$ai_cache_read_input_tokens")
AMOUNT_PROPERTIES = ("$ai_latency", "$ai_input_cost_usd", "$ai_output_cost_usd", "$ai_total_cost_usd")
# Where a picked field came from: the root outranks a generation, which outranks any other event.
ROOT_RANK, GENERATION_RANK, OTHER_RANK = 2, 1, 0
# The largest numbers the trace summary's columns hold (models/trace.py): token counts are BIGINT, the cost is
# NUMERIC(18, 8), so below 10^10 (with room for a float's rounding). An event's number beyond them stays in its
# raw properties and is left out of the summary; sums stop at them. (A latency counts when the event's end,
# timestamp + latency, is a time the store holds: see `_latency_and_end`.)
MAX_TOKENS = 2**63 - 1
MAX_COST_USD = 9_999_999_999.0
# How deep an event's properties may nest (the properties object is the first level). Real payloads nest a few
# dozen levels; this is well under Python's recursion limit (1,000), which every reader of a stored event
# recurses against (the database drivers' JSON parsing, the trace page's pretty JSON).
MAX_NESTING = 500


@dataclass(frozen=True)
class AIEvent:
    """One validated `$ai_*` event, ready to store."""

    uuid: str
    event: str
    trace_id: str
    distinct_id: str | None
    timestamp: datetime
    span_id: str | None
    parent_id: str | None
    properties: dict[str, Any]
    properties_json: str | None = field(default=None, compare=False, repr=False)  # serialised once, on parsing

    @property
    def order_key(self) -> str:
        """Sorts events by time, then uuid: a total order, so picks never depend on arrival order."""
        return f"{self.timestamp.strftime('%Y-%m-%dT%H:%M:%S.%f')}|{self.uuid}"


@dataclass
class IngestResult:
    received: int = 0  # events in the request
    stored: int = 0  # new `$ai_*` events written
    duplicates: int = 0  # `$ai_*` events already stored (an SDK retry) or repeated within the request
    ignored: int = 0  # events that are not `$ai_*`: accepted, not kept
    traces: int = 0  # traces whose summary changed


# --- validation --------------------------------------------------------------------------------------

def parse_event(raw: Any, attr: str, now: datetime | None = None, skew: timedelta | None = None) -> AIEvent | None:
    """Validate one event as the SDKs send it; None for an event that is not `$ai_*` (accepted and ignored).
    `skew` (see `clock_skew`) moves a timestamp the client gave onto the server's clock, unless the event
    sets `$ignore_sent_at`.

    Raises ValidationError naming the offending field, e.g. `batch[3].properties.$ai_trace_id`."""
    if not isinstance(raw, dict):
        raise ValidationError(f"Each event must be a JSON object, not {_json_kind(raw)}.", attr or None)
    name = raw.get("event")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError('Every event needs an "event" name.', _at(attr, "event"), "required")
    properties = raw.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise ValidationError(f'"properties" must be a JSON object, not {_json_kind(properties)}.',
                              _at(attr, "properties"))
    if not name.startswith(AI_PREFIX):
        return None
    name = _safe_text(name)
    properties, properties_json = storable_json(properties, _at(attr, "properties"))
    if len(name) > MAX_EVENT_NAME_LENGTH:
        raise ValidationError(f"Event names are at most {MAX_EVENT_NAME_LENGTH} characters.", _at(attr, "event"))

    prop = _at(attr, "properties")
    trace_id = _identifier(properties.get("$ai_trace_id"), f"{prop}.$ai_trace_id")
    if trace_id is None:
        raise ValidationError(f'"$ai_trace_id" is required on {name} events.', f"{prop}.$ai_trace_id", "required")
    span_id = _identifier(properties.get("$ai_span_id"), f"{prop}.$ai_span_id")
    parent_id = _identifier(properties.get("$ai_parent_id"), f"{prop}.$ai_parent_id")
    if name == ROOT_EVENT and span_id is None:
        span_id = trace_id  # the root is the node that children name as parent by the trace id
    for key in COUNT_PROPERTIES:
        _count(properties.get(key), f"{prop}.{key}")
    for key in AMOUNT_PROPERTIES:
        _amount(properties.get(key), f"{prop}.{key}")
    _status(properties.get("$ai_http_status"), f"{prop}.$ai_http_status")

    distinct_id = raw.get("distinct_id", properties.get("distinct_id"))
    if distinct_id is not None:
        if isinstance(distinct_id, bool) or not isinstance(distinct_id, (str, int, float)):
            raise ValidationError('"distinct_id" must be a string.', _at(attr, "distinct_id"))
        distinct_id = _safe_text(str(distinct_id)).strip() or None
        if distinct_id and len(distinct_id) > MAX_DISTINCT_ID_LENGTH:
            raise ValidationError(f'"distinct_id" is at most {MAX_DISTINCT_ID_LENGTH} characters.',
                                  _at(attr, "distinct_id"))

    now = now or utcnow()
    timestamp, clients_time = _timestamp(raw, attr, now)
    event_uuid = raw.get("uuid")
    if event_uuid is None or event_uuid == "":
        # From the client's own timestamp: a retry, sent later with another sent_at, keeps its identity.
        event_uuid = content_uuid(name, distinct_id, timestamp, properties)
    else:
        if isinstance(event_uuid, bool) or not isinstance(event_uuid, (str, int)):
            raise ValidationError(f"A uuid is a string, not {_json_kind(event_uuid)}.", _at(attr, "uuid"))
        try:
            event_uuid = str(uuidlib.UUID(str(event_uuid)))
        except ValueError:
            raise ValidationError(f'"{_clip(str(event_uuid), 80)}" is not a valid UUID.', _at(attr, "uuid")) from None
    if skew and clients_time and properties.get("$ignore_sent_at") is not True:
        try:
            corrected = timestamp + skew
        except OverflowError:  # moved past year 1 or 9999 by an absurd send time
            corrected = None
        # A correction that lands in the future (as PostHog, over 23 hours after receipt) came from a send time
        # that cannot be right: then the client's own timestamp is the better guess.
        if corrected is not None and corrected <= now + FUTURE_CUTOFF:
            timestamp = corrected
    return AIEvent(event_uuid, name, trace_id, distinct_id, timestamp, span_id, parent_id, properties, properties_json)


def _at(attr: str, name: str) -> str:
    """The path of a field inside the event at `attr` ("batch[2]"); just the field for a lone event."""
    return f"{attr}.{name}" if attr else name


UNSAFE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")  # NUL and surrogates (in a str, always lone ones)


def storable_json(value: Any, attr: str = "") -> tuple[Any, str]:
    """An event's parsed properties as both databases store them, and their JSON text: every NUL (PostgreSQL
    refuses it in text and jsonb) and lone surrogate (neither database can encode one) in a key or string
    becomes U+FFFD, the same on both; NaN and Infinity become null, as orjson writes them. Raises
    ValidationError for nesting deeper than MAX_NESTING levels.

    The one orjson pass that serialises them also tells whether anything needs doing (it refuses surrogates and
    deep nesting, and writes NUL as an escape), so well-formed properties are returned as they are and only odd
    ones are copied."""
    try:
        text = orjson.dumps(value)
        if b"\\u0000" not in text:
            return value, text.decode()
    except TypeError:  # a lone surrogate, nesting past orjson's 255 levels, an integer past 64 bits
        pass
    value = _rebuilt(value, attr)
    return value, json_text(value)


def _safe_text(text: str) -> str:
    return UNSAFE_CHARACTERS.sub("\ufffd", text) if UNSAFE_CHARACTERS.search(text) else text


def _rebuilt(value: Any, attr: str) -> Any:
    """A copy of `value` with safe strings and finite numbers, built without recursion (so any depth is
    measured rather than overflowing the stack). `attr` names `value` in an error."""
    top: list[Any] = [None]
    # (container, slot, value, depth, where): `where` names the top-level key an error is under.
    stack: list[tuple[Any, Any, Any, int, str]] = [(top, 0, value, 0, attr)]
    while stack:
        parent, slot, item, depth, where = stack.pop()
        if isinstance(item, str):
            item = _safe_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            item = None
        elif isinstance(item, (dict, list)):
            if depth >= MAX_NESTING:
                raise ValidationError(f"Nested deeper than {MAX_NESTING} levels.", where or None)
            if isinstance(item, dict):
                copy: Any = {}
                for key, child in item.items():
                    key = _safe_text(key) if isinstance(key, str) else key
                    copy[key] = None  # keeps the key order; filled in when the child is popped
                    stack.append((copy, key, child, depth + 1, _at(where, str(key)) if depth == 0 else where))
            else:
                copy = [None] * len(item)
                stack.extend((copy, index, child, depth + 1, where) for index, child in enumerate(item))
            item = copy
        parent[slot] = item
    return top[0]


def content_uuid(name: str, distinct_id: str | None, timestamp: datetime, properties: dict[str, Any]) -> str:
    """A uuid derived from the event's content, so a retried event without one is still recognised."""
    canonical = json.dumps([name, distinct_id, timestamp.isoformat(), properties], sort_keys=True, default=str)
    digest = hashlib.sha256(canonical.encode()).digest()[:16]
    return str(uuidlib.UUID(bytes=digest, version=5))


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _identifier(value: Any, attr: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(f"Must be a string, not {_json_kind(value)}.", attr)
    text = str(value).strip()
    if len(text) > MAX_ID_LENGTH:
        raise ValidationError(f"Ensure this field has no more than {MAX_ID_LENGTH} characters.", attr)
    return text or None


def _numeric(value: Any) -> float | None:
    """The number a JSON value holds (a number or a numeric string), which may be infinite or NaN: JSON's 1e400
    and Python's json module's NaN and Infinity. None for anything that is not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer beyond a float's range
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    """A finite number, or None: what the summary may count."""
    number = _numeric(value)
    return number if number is not None and math.isfinite(number) else None


def _within(value: Any, limit: float) -> float | None:
    """The number if a summary column holds it (0 to `limit`); None when absent, not finite or beyond."""
    number = _number(value)
    return number if number is not None and 0 <= number <= limit else None


def _amount(value: Any, attr: str) -> None:
    if value is None:
        return
    number = _numeric(value)
    if number is None:
        raise ValidationError(f"Must be a number, not {_json_kind(value)}.", attr)
    if number < 0:
        raise ValidationError("Must not be negative.", attr)


def _count(value: Any, attr: str) -> None:
    if value is None:
        return
    number = _numeric(value)
    if number is None or (math.isfinite(number) and number != int(number)):
        raise ValidationError(f"Must be a whole number, not {_json_kind(value)}.", attr)
    if number < 0:
        raise ValidationError("Must not be negative.", attr)


def _status(value: Any, attr: str) -> None:
    if value is None:
        return
    number = _numeric(value)
    if number is None or (math.isfinite(number) and number != int(number)):
        raise ValidationError("Must be an HTTP status code.", attr)


# A well-formed ISO 8601 date-time whose year no column holds: before year 1 ("-0001-…", "0000-…") or after
# 9999 (the expanded "+10000-…").
YEAR_BEYOND_RANGE = re.compile(r"([+-]?\d{4,})(-\d\d-\d\d.*)", re.DOTALL)


def _timestamp(raw: dict[str, Any], attr: str, now: datetime) -> tuple[datetime, bool]:
    """The event's time, and whether it is the client's own (not the receive time). A time the store cannot
    hold (outside years 1-9999 in UTC, or moved there by `offset`) becomes the receive time, as PostHog does with
    a time it cannot use; a timestamp that is not a date-time at all is refused."""
    value = raw.get("timestamp")
    if value is None or value == "":
        offset = _number(raw.get("offset"))  # milliseconds before sending, as the browser SDK reports
        try:
            return (now - timedelta(milliseconds=offset) if offset else now), False
        except OverflowError:
            return now, False
    if not isinstance(value, str):
        raise ValidationError("Must be an ISO 8601 date-time string.", _at(attr, "timestamp"))
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        if _beyond_year_range(text):
            return now, False
        raise ValidationError(f'"{_clip(value, 80)}" is not an ISO 8601 date-time.', _at(attr, "timestamp")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc), True
    except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC
        return now, False


def _beyond_year_range(text: str) -> bool:
    match = YEAR_BEYOND_RANGE.fullmatch(text)
    year = match.group(1) if match else ""
    # A year of over 12 digits is beyond range unread (Python refuses an integer of over 4,300 digits).
    if not match or (len(year) <= 12 and 1 <= int(year) <= 9999):
        return False
    try:
        datetime.fromisoformat("2000" + match.group(2))  # the rest must be a date-time too
    except ValueError:
        return False
    return True


FUTURE_CUTOFF = timedelta(hours=23)


def clock_skew(sent_at: Any, query_ms: Any, now: datetime) -> timedelta | None:
    """How far the client's clock is behind the server's, as PostHog corrects it: the request's receive time
    minus the time the client says it sent the request, from `sent_at` in the body (ISO 8601: the Node and
    mobile SDKs) or `_` in the query string (milliseconds since the epoch: the browser SDK). A client timestamp
    then becomes timestamp + skew. None when neither is given or readable: an unreadable clock is ignored, not
    refused, as PostHog does."""
    sent: datetime | None = None
    if isinstance(sent_at, str) and sent_at.strip():
        try:
            sent = datetime.fromisoformat(sent_at.strip())
        except ValueError:
            return None
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=timezone.utc)
    elif isinstance(query_ms, str) and query_ms.strip().isdigit():
        try:
            sent = datetime.fromtimestamp(int(query_ms.strip()) / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return now - sent if sent is not None else None


# --- ingestion ---------------------------------------------------------------------------------------

def ingest_batch(project_id: int, raw_events: list[Any], attr: str = "batch", *, sent_at: Any = None,
                 query_ms: Any = None) -> IngestResult:
    """Validate every event, then store the batch in one transaction: all or nothing. `sent_at` and
    `query_ms` are the request's send time by the client's clock (see `clock_skew`)."""
    now = utcnow()
    skew = clock_skew(sent_at, query_ms, now)
    parsed = [parse_event(raw, f"{attr}[{index}]", now, skew) for index, raw in enumerate(raw_events)]
    events = [event for event in parsed if event is not None]
    result = IngestResult(received=len(raw_events), ignored=len(parsed) - len(events))
    _store_and_commit(project_id, events, result, now)
    return result


@dataclass
class EventOutcome:
    uuid: str | None
    result: str  # "ok", "warning" or "drop", as capture v1 answers per event
    details: str | None = None


def ingest_each(project_id: int, raw_events: list[Any], attr: str = "batch", *,
                sent_at: Any = None) -> tuple[list[EventOutcome], IngestResult]:
    """Capture v1: judge each event alone; the valid ones are stored (in one transaction), the rest dropped."""
    now = utcnow()
    skew = clock_skew(sent_at, None, now)
    outcomes: list[EventOutcome] = []
    events: list[AIEvent] = []
    result = IngestResult(received=len(raw_events))
    for index, raw in enumerate(raw_events):
        raw_uuid = raw.get("uuid") if isinstance(raw, dict) else None
        try:
            event = parse_event(raw, f"{attr}[{index}]", now, skew)
        except ValidationError as exc:
            outcomes.append(EventOutcome(raw_uuid, "drop", f"{exc.attr}: {exc.detail}"))
            continue
        if event is None:
            result.ignored += 1
            outcomes.append(EventOutcome(raw_uuid, "warning", "Not an $ai_* event: accepted and not stored."))
        else:
            events.append(event)
            outcomes.append(EventOutcome(raw_uuid, "ok"))
    _store_and_commit(project_id, events, result, now)
    return outcomes, result


def _store_and_commit(project_id: int, events: list[AIEvent], result: IngestResult, now: datetime) -> None:
    batch = _prepare(project_id, events, now)  # before the writer's turn: no database needed
    try:
        with _writer_turn():
            _write(project_id, batch, result)
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise


@contextmanager
def _writer_turn():
    """On a SQLite file, capture's writers queue on a lock file instead of polling SQLite's write lock, whose
    busy handler sleeps 1-100 ms between tries and so leaves the database idle while batches wait."""
    url = db.session.get_bind().url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    with open(f"{url.database}-ingest.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the process dies
        yield


def store_events(project_id: int, events: list[AIEvent], result: IngestResult | None = None,
                 received_at: datetime | None = None) -> IngestResult:
    """Write validated events and merge them into their traces' summaries, without committing."""
    result = result or IngestResult(received=len(events))
    _write(project_id, _prepare(project_id, events, received_at or utcnow()), result)
    return result


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
    return PreparedBatch(len(events), unique, rows, _summaries(unique.values()), received_at)


def _write(project_id: int, batch: PreparedBatch, result: IngestResult) -> None:
    """A fixed number of statements whatever the batch size: insert the events (a retried uuid is skipped by
    the database, so concurrent retries cannot double count), insert the summaries of new traces, lock and
    merge the summaries of known ones, and record the models used. Keys are written in sorted order so two
    batches touching the same traces on PostgreSQL wait for each other instead of deadlocking."""
    if not batch.rows:
        return
    stored = _insert_events(batch.rows)
    result.stored += len(stored)
    result.duplicates += batch.received - len(stored)
    if not stored:
        return
    summaries = batch.summaries
    if len(stored) < len(batch.unique):
        summaries = _summaries(event for event in batch.unique.values() if event.uuid in stored)
    _merge_summaries(project_id, summaries, batch.received_at)
    _record_models(project_id, summaries)
    result.traces += len(summaries)


def _summaries(events: Iterable[AIEvent]) -> dict[str, Summary]:
    summaries: dict[str, Summary] = {}
    for event in events:
        summary = summaries.get(event.trace_id)
        if summary is None:
            summary = summaries[event.trace_id] = Summary()
        summary.add(event)
    return summaries


def json_text(value: Any) -> str:
    """JSON text for a JSON column, serialised once: orjson, or the standard library for what orjson refuses
    (integers beyond 64 bits, nesting past 255 levels), so such values are stored as sent rather than altered.
    Strings and numbers are made storable first, as parsing does (see `storable_json`), if not already."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(_rebuilt(value, ""), allow_nan=False)


def _insert_events(rows: list[dict[str, Any]]) -> set[str]:
    """Insert events whose properties are already JSON text, skipping any uuid the project already has; the
    uuids stored."""
    table = TraceEvent.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return _copy_events(rows)
    insert = (_insert_ignoring_conflicts(table, ["project_id", "uuid"])
              .values(properties=bindparam("properties_json", type_=Text))  # a bind named apart from its column,
              .returning(table.c.uuid))                                    # which SQLAlchemy reserves
    return set(db.session.scalars(insert, rows))


# PostgreSQL takes a batch's events by COPY into a staging table of the session, emptied at each commit, then
# moves them with one INSERT ... SELECT that skips known uuids: a third of the time of a multi-row INSERT with
# ten bind parameters per event.
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
    with db.session.connection().connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {STAGED_EVENTS.name} ({', '.join(STAGED_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[key] for key in ROW_KEYS])
    table = TraceEvent.__table__
    move = (postgresql.insert(table)
            .from_select(STAGED_COLUMNS, select(STAGED_EVENTS).order_by(STAGED_EVENTS.c.uuid))
            .on_conflict_do_nothing(index_elements=["project_id", "uuid"])
            .returning(table.c.uuid))
    return set(db.session.scalars(move))


def _insert_ignoring_conflicts(table, index_elements: list[str]):
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


def _merge_summaries(project_id: int, summaries: dict[str, Summary], now: datetime) -> None:
    traces = Trace.__table__
    created = set(db.session.scalars(
        _insert_ignoring_conflicts(traces, ["project_id", "trace_id"]).returning(traces.c.trace_id),
        [summaries[trace_id].as_row(project_id, trace_id, now) for trace_id in sorted(summaries)],
    ))
    known = sorted(set(summaries) - created)
    if not known:
        return
    existing = db.session.execute(
        select(traces)
        .where(traces.c.project_id == project_id, traces.c.trace_id.in_(known))
        .order_by(traces.c.trace_id)
        .with_for_update()
    ).mappings()
    changes = []
    for row in existing:
        merged = Summary.from_row(row).merge(summaries[row["trace_id"]])
        changes.append({"row_id": row["id"], **{f"new_{k}": v for k, v in merged.as_values(now).items()}})
    # Bind names differ from the column names: SQLAlchemy reserves those for its own parameters.
    columns = {name[len("new_"):]: bindparam(name) for name in changes[0] if name != "row_id"}
    db.session.execute(update(traces).where(traces.c.id == bindparam("row_id")).values(columns), changes)


def _record_models(project_id: int, summaries: dict[str, Summary]) -> None:
    pairs = sorted({(model, trace_id) for trace_id, summary in summaries.items() for model in summary.models})
    if pairs:
        db.session.execute(
            _insert_ignoring_conflicts(TraceModel.__table__, ["project_id", "model", "trace_id"]),
            [{"project_id": project_id, "model": model, "trace_id": trace_id} for model, trace_id in pairs],
        )


# --- the per-trace summary ---------------------------------------------------------------------------

@dataclass
class Pick:
    """A value chosen among a trace's events: the highest rank wins, then the earliest (or latest) event."""

    rank: int
    key: str
    value: Any

    def beats(self, other: Pick | None, latest: bool = False) -> bool:
        if other is None:
            return True
        if self.rank != other.rank:
            return self.rank > other.rank
        return self.key > other.key if latest else self.key < other.key


# Picked fields: (summary attribute, Trace column, prefer the latest event).
PICKS = (
    ("name", "name", False),
    ("session", "session_id", False),
    ("distinct", "distinct_id", False),
    ("input", "input_preview", False),
    ("output", "output_preview", True),
    ("root_latency", "latency_seconds", False),
)
PREFER_LATEST = {name: latest for name, _, latest in PICKS}


@dataclass
class Summary:
    """A trace's summary as a merge of its events' contributions: merging is order-free, so a late event
    gives the same row as one that came in order."""

    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    ends_at: datetime | None = None
    models: set[str] = field(default_factory=set)
    event_count: int = 0
    generation_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_cost_usd: float = 0.0
    has_error: bool = False
    has_root: bool = False
    picks: dict[str, Pick] = field(default_factory=dict)

    def add(self, event: AIEvent) -> None:
        props = event.properties
        latency, end = _latency_and_end(event)
        self.first_timestamp = min(filter(None, (self.first_timestamp, event.timestamp)))
        self.last_timestamp = max(filter(None, (self.last_timestamp, event.timestamp)))
        self.ends_at = max(filter(None, (self.ends_at, end)))
        self.event_count += 1
        self.has_error = self.has_error or _is_error(props)
        is_root = event.event == ROOT_EVENT
        self.has_root = self.has_root or is_root
        if event.event == GENERATION_EVENT:
            self.generation_count += 1
        if event.event in COSTED_EVENTS:
            if isinstance(props.get("$ai_model"), str) and props["$ai_model"].strip():
                self.models.add(props["$ai_model"].strip()[:MAX_ID_LENGTH])
            self.input_tokens = _tokens(self.input_tokens, props.get("$ai_input_tokens"))
            self.output_tokens = _tokens(self.output_tokens, props.get("$ai_output_tokens"))
            total = _within(props.get("$ai_total_cost_usd"), MAX_COST_USD)
            if total is None:
                total = ((_within(props.get("$ai_input_cost_usd"), MAX_COST_USD) or 0)
                         + (_within(props.get("$ai_output_cost_usd"), MAX_COST_USD) or 0))
            self.total_cost_usd = min(self.total_cost_usd + total, MAX_COST_USD)

        rank = ROOT_RANK if is_root else GENERATION_RANK if event.event == GENERATION_EVENT else OTHER_RANK
        key = event.order_key
        name = props.get("$ai_span_name") or (props.get("$ai_trace_name") if is_root else None)
        self._offer("name", ROOT_RANK if is_root else OTHER_RANK, key,
                    _clip(name.strip(), MAX_ID_LENGTH) if isinstance(name, str) else None)
        session = _identifier_or_none(props.get("$ai_session_id"))
        self._offer("session", ROOT_RANK if is_root else OTHER_RANK, key, session)
        self._offer("distinct", ROOT_RANK if is_root else OTHER_RANK, key, event.distinct_id)
        if is_root:
            self._offer("input", rank, key, preview(props.get("$ai_input_state")))
            self._offer("output", rank, key, preview(props.get("$ai_output_state")))
            self._offer("root_latency", rank, key, latency)
        elif event.event == GENERATION_EVENT:
            self._offer("input", rank, key, preview(props.get("$ai_input"), last_user=True))
            self._offer("output", rank, key, preview(props.get("$ai_output_choices", props.get("$ai_output"))))
        else:
            self._offer("input", rank, key, preview(props.get("$ai_input_state", props.get("$ai_input")), last_user=True))
            self._offer("output", rank, key, preview(props.get("$ai_output_state")))

    def _offer(self, name: str, rank: int, key: str, value: Any) -> None:
        if value is None or value == "":
            return
        candidate = Pick(rank, key, value)
        if candidate.beats(self.picks.get(name), PREFER_LATEST[name]):
            self.picks[name] = candidate

    def merge(self, other: Summary) -> Summary:
        merged = Summary(
            first_timestamp=min(filter(None, (self.first_timestamp, other.first_timestamp))),
            last_timestamp=max(filter(None, (self.last_timestamp, other.last_timestamp))),
            ends_at=max(filter(None, (self.ends_at, other.ends_at))),
            models=self.models | other.models,
            event_count=self.event_count + other.event_count,
            generation_count=self.generation_count + other.generation_count,
            input_tokens=min(self.input_tokens + other.input_tokens, MAX_TOKENS),
            output_tokens=min(self.output_tokens + other.output_tokens, MAX_TOKENS),
            total_cost_usd=min(self.total_cost_usd + other.total_cost_usd, MAX_COST_USD),
            has_error=self.has_error or other.has_error,
            has_root=self.has_root or other.has_root,
            picks=dict(self.picks),
        )
        for name, _, latest in PICKS:
            candidate = other.picks.get(name)
            if candidate is not None and candidate.beats(merged.picks.get(name), latest):
                merged.picks[name] = candidate
        return merged

    @property
    def latency_seconds(self) -> float | None:
        root = self.picks.get("root_latency")
        if root is not None:
            return float(root.value)
        if self.first_timestamp is None or self.ends_at is None:
            return None
        return (self.ends_at - self.first_timestamp).total_seconds()

    def as_values(self, now: datetime) -> dict[str, Any]:
        values = {
            "first_timestamp": self.first_timestamp,
            "last_timestamp": self.last_timestamp,
            "ends_at": self.ends_at,
            "models": sorted(self.models),
            "event_count": self.event_count,
            "generation_count": self.generation_count,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_cost_usd": round(self.total_cost_usd, 8),
            "has_error": self.has_error,
            "has_root": self.has_root,
            "latency_seconds": self.latency_seconds,
            "provenance": {name: [pick.rank, pick.key] for name, pick in sorted(self.picks.items())},
            "updated_at": now,
        }
        for name, column, _ in PICKS:
            if column != "latency_seconds":
                pick = self.picks.get(name)
                values[column] = pick.value if pick is not None else None
        return values

    def as_row(self, project_id: int, trace_id: str, now: datetime) -> dict[str, Any]:
        return {"project_id": project_id, "trace_id": trace_id, **self.as_values(now)}

    @classmethod
    def from_row(cls, row: Any) -> Summary:
        summary = cls(
            first_timestamp=row["first_timestamp"],
            last_timestamp=row["last_timestamp"],
            ends_at=row["ends_at"] or row["last_timestamp"],
            models=set(row["models"] or ()),
            event_count=row["event_count"],
            generation_count=row["generation_count"],
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            total_cost_usd=float(row["total_cost_usd"] or 0),
            has_error=row["has_error"],
            has_root=row["has_root"],
        )
        provenance = row["provenance"] or {}
        for name, column, _ in PICKS:
            if name in provenance and row[column] is not None:
                rank, key = provenance[name]
                summary.picks[name] = Pick(rank, key, row[column])
        return summary


def _tokens(total: int, value: Any) -> int:
    """`total` plus a token count the summary can hold (a larger one is left out); the sum stops at the column's
    largest value."""
    count = _within(value, MAX_TOKENS)
    return total if count is None else min(total + int(count), MAX_TOKENS)


def _latency_and_end(event: AIEvent) -> tuple[float | None, datetime]:
    """The event's latency and end (timestamp + latency); a latency whose end is past what a date holds (year
    9999) is left out, as any number the summary cannot store."""
    latency = _within(event.properties.get("$ai_latency"), math.inf)
    if not latency:
        return latency, event.timestamp
    try:
        return latency, event.timestamp + timedelta(seconds=latency)
    except OverflowError:
        return None, event.timestamp


def _is_error(props: dict[str, Any]) -> bool:
    flag = props.get("$ai_is_error")
    if flag is True or (isinstance(flag, str) and flag.strip().lower() == "true"):
        return True
    if props.get("$ai_error") not in (None, "", False):
        return True
    status = _number(props.get("$ai_http_status"))
    return status is not None and status >= 400


def _identifier_or_none(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return _clip(str(value).strip(), MAX_ID_LENGTH) or None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- previews ----------------------------------------------------------------------------------------

def preview(value: Any, last_user: bool = False) -> str | None:
    """A short plain-text preview of an input or output: messages give the last user message (for inputs)
    or the last message; anything else is shown as compact JSON."""
    text = _preview_text(value, last_user)
    if text is None:
        return None
    text = " ".join(text.split())
    return _clip(text, PREVIEW_CHARS) if text else None


def _preview_text(value: Any, last_user: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("messages", "choices"):
            if isinstance(value.get(key), list):
                return _preview_text(value[key], last_user)
        if "content" in value or "role" in value:
            return _message_text(value)
        if "message" in value and isinstance(value["message"], dict):
            return _message_text(value["message"])
        return _compact_json(value)
    if isinstance(value, list):
        messages = [item for item in value if isinstance(item, dict) and ("content" in item or "role" in item)]
        if not messages:
            return _compact_json(value) if value else None
        if last_user:
            users = [m for m in messages if m.get("role") == "user"]
            messages = users or messages
        return _message_text(messages[-1])
    return _compact_json(value)


def _message_text(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    texts = list(_content_texts(content))
    for call in message.get("tool_calls") or ():
        texts.append(_tool_call_text(call))
    return " ".join(t for t in texts if t) or None


# How far a preview follows content nested in content: a preview shows a few hundred characters, and a deeper
# chain (the parts of a part of a part...) is not a message anyone wrote.
MAX_CONTENT_DEPTH = 20


def _content_texts(content: Any, depth: int = 0) -> Iterable[str]:
    if content is None:
        return
    if depth > MAX_CONTENT_DEPTH:
        yield _compact_json(content)
        return
    if isinstance(content, str):
        yield content
        return
    parts = content if isinstance(content, list) else [content]
    for part in parts:
        if isinstance(part, str):
            yield part
        elif isinstance(part, dict):
            kind = part.get("type")
            if isinstance(part.get("text"), str):
                yield part["text"]
            elif kind in ("function", "tool_call", "tool_use", "function_call"):
                yield _tool_call_text(part)
            elif kind in ("image", "image_url", "input_image"):
                yield "[image]"
            elif "content" in part:
                yield from _content_texts(part["content"], depth + 1)
            else:
                yield _compact_json(part)


def _tool_call_text(call: Any) -> str:
    if not isinstance(call, dict):
        return _compact_json(call)
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    name = function.get("name") or "tool"
    arguments = function.get("arguments", function.get("input", ""))
    if not isinstance(arguments, str):
        arguments = _compact_json(arguments)
    return f"[tool call] {name}({arguments})"


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


# --- import ------------------------------------------------------------------------------------------

IMPORT_CHUNK = 1000


@dataclass
class ImportReport:
    result: IngestResult = field(default_factory=IngestResult)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line or item number, what is wrong)
    written: bool = False


def import_events(project_id: int, items: Iterable[tuple[int, Any]], *, strict: bool = False,
                  chunk_size: int = IMPORT_CHUNK) -> ImportReport:
    """Import numbered events (a JSON text line, or an already parsed event) with capture's validation.

    Bad items are reported by number and skipped; with `strict`, any bad item aborts the import and nothing
    is written (one transaction). Otherwise each chunk commits on its own: re-running is harmless, as events
    already stored are recognised by uuid."""
    report = ImportReport()
    now = utcnow()
    chunk: list[AIEvent] = []

    def flush() -> None:
        if chunk and not (strict and report.errors):
            store_events(project_id, chunk, report.result, received_at=now)
            if not strict:
                db.session.commit()
        chunk.clear()

    try:
        for number, item in items:
            report.result.received += 1
            try:
                event = parse_event(_decoded(item), "", now)
            except ValidationError as exc:
                field_name = f"{exc.attr}: " if exc.attr else ""
                report.errors.append((number, f"{field_name}{exc.detail}"))
                continue
            if event is None:
                report.result.ignored += 1
                continue
            chunk.append(event)
            if len(chunk) >= chunk_size:
                flush()
        flush()
        if strict and report.errors:
            db.session.rollback()
            report.result = IngestResult(received=report.result.received)
            return report
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.written = True
    return report


def _decoded(item: Any) -> Any:
    if not isinstance(item, str):
        return item
    try:
        return json.loads(item)
    except ValueError as exc:
        raise ValidationError(f"Not valid JSON: {exc}.", None, "parse_error") from None
    except RecursionError:
        raise ValidationError("Nested too deeply to read.", None, "parse_error") from None
