"""PostHog's wire format: validate `$ai_*` events as the SDKs send them into AIEvent records, and store a batch."""
from __future__ import annotations

import hashlib
import json
import re
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reviewapp.models import utcnow
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.events import AI_PREFIX, ROOT_EVENT, AIEvent
from reviewapp.services.ingest.fields import check_amount, check_count, check_status, field_path, identifier, json_kind
from reviewapp.services.ingest.previews import clip
from reviewapp.services.ingest.storable import safe_text, storable_json
from reviewapp.services.ingest.store import IngestResult, store_and_commit
from reviewapp.services.numeric import finite_number

MAX_EVENT_NAME_LENGTH = 64
MAX_DISTINCT_ID_LENGTH = 200
COUNT_PROPERTIES = ("$ai_input_tokens", "$ai_output_tokens", "$ai_cache_read_input_tokens")
AMOUNT_PROPERTIES = ("$ai_latency", "$ai_input_cost_usd", "$ai_output_cost_usd", "$ai_total_cost_usd")
# A clock correction that lands further in the future than this (as PostHog, 23 hours after receipt) came from a
# send time that cannot be right.
FUTURE_CUTOFF = timedelta(hours=23)
# A well-formed ISO 8601 date-time whose year no column holds: before year 1 ("-0001-…", "0000-…") or after
# 9999 (the expanded "+10000-…").
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
YEAR_BEYOND_RANGE = re.compile(r"([+-]?\d{4,})(-\d\d-\d\d.*)", re.DOTALL)


# --- one event ---------------------------------------------------------------------------------------

def parse_event(raw: Any, attr: str, now: datetime | None = None, skew: timedelta | None = None) -> AIEvent | None:
    """Validate one event as the SDKs send it; None for an event that is not `$ai_*` (accepted and ignored).
    `skew` (see `clock_skew`) moves a timestamp the client gave onto the server's clock, unless the event
    sets `$ignore_sent_at`.

    Raises ValidationError naming the offending field, e.g. `batch[3].properties.$ai_trace_id`."""
    name, properties = _name_and_properties(raw, attr)
    if not name.startswith(AI_PREFIX):
        return None
    prop = field_path(attr, "properties")
    name = safe_text(name)
    properties, properties_json = storable_json(properties, prop)
    if len(name) > MAX_EVENT_NAME_LENGTH:
        raise ValidationError(f"Event names are at most {MAX_EVENT_NAME_LENGTH} characters.", field_path(attr, "event"))
    trace_id, span_id, parent_id = _ids(name, properties, prop)
    _check_numbers(properties, prop)
    distinct_id = _distinct_id(raw.get("distinct_id", properties.get("distinct_id")), attr)
    now = now or utcnow()
    timestamp, clients_time = _timestamp(raw, attr, now)
    # Without a uuid, one from the client's own timestamp: a retry, sent later with another sent_at, keeps its
    # identity.
    event_uuid = _uuid(raw.get("uuid"), attr) or content_uuid(name, distinct_id, timestamp, properties)
    if skew and clients_time and properties.get("$ignore_sent_at") is not True:
        timestamp = _on_server_clock(timestamp, skew, now)
    return AIEvent(event_uuid, name, trace_id, distinct_id, timestamp, span_id, parent_id, properties, properties_json)


def _name_and_properties(raw: Any, attr: str) -> tuple[str, dict[str, Any]]:
    """What every event needs, `$ai_*` or not: an object with an event name and (optionally) properties."""
    if not isinstance(raw, dict):
        raise ValidationError(f"Each event must be a JSON object, not {json_kind(raw)}.", attr or None)
    name = raw.get("event")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError('Every event needs an "event" name.', field_path(attr, "event"), "required")
    properties = raw.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise ValidationError(f'"properties" must be a JSON object, not {json_kind(properties)}.',
                              field_path(attr, "properties"))
    return name, properties


def _ids(name: str, properties: dict[str, Any], prop: str) -> tuple[str, str | None, str | None]:
    """The event's trace, span and parent ids."""
    trace_id = identifier(properties.get("$ai_trace_id"), f"{prop}.$ai_trace_id")
    if trace_id is None:
        raise ValidationError(f'"$ai_trace_id" is required on {name} events.', f"{prop}.$ai_trace_id", "required")
    span_id = identifier(properties.get("$ai_span_id"), f"{prop}.$ai_span_id")
    parent_id = identifier(properties.get("$ai_parent_id"), f"{prop}.$ai_parent_id")
    if name == ROOT_EVENT and span_id is None:
        span_id = trace_id  # the root is the node that children name as parent by the trace id
    return trace_id, span_id, parent_id


def _check_numbers(properties: dict[str, Any], prop: str) -> None:
    # Only the numbers an event has are checked: most events have few, and naming each field costs a string.
    for key in COUNT_PROPERTIES:
        if properties.get(key) is not None:
            check_count(properties[key], f"{prop}.{key}")
    for key in AMOUNT_PROPERTIES:
        if properties.get(key) is not None:
            check_amount(properties[key], f"{prop}.{key}")
    if properties.get("$ai_http_status") is not None:
        check_status(properties["$ai_http_status"], f"{prop}.$ai_http_status")


def _distinct_id(value: Any, attr: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError('"distinct_id" must be a string.', field_path(attr, "distinct_id"))
    distinct_id = safe_text(str(value)).strip() or None
    if distinct_id and len(distinct_id) > MAX_DISTINCT_ID_LENGTH:
        raise ValidationError(f'"distinct_id" is at most {MAX_DISTINCT_ID_LENGTH} characters.',
                              field_path(attr, "distinct_id"))
    return distinct_id


def _uuid(value: Any, attr: str) -> str | None:
    """The event's uuid in canonical form; None when it has none."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and CANONICAL_UUID.fullmatch(value):
        return value  # already as str(UUID(value)) writes it: SDKs and OTel send them so
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(f"A uuid is a string, not {json_kind(value)}.", field_path(attr, "uuid"))
    try:
        return str(uuidlib.UUID(str(value)))
    except ValueError:
        raise ValidationError(f'"{clip(str(value), 80)}" is not a valid UUID.', field_path(attr, "uuid")) from None


def content_uuid(name: str, distinct_id: str | None, timestamp: datetime, properties: dict[str, Any]) -> str:
    """A uuid derived from the event's content, so a retried event without one is still recognised."""
    canonical = json.dumps([name, distinct_id, timestamp.isoformat(), properties], sort_keys=True, default=str)
    digest = hashlib.sha256(canonical.encode()).digest()[:16]
    return str(uuidlib.UUID(bytes=digest, version=5))


# --- time --------------------------------------------------------------------------------------------

def _timestamp(raw: dict[str, Any], attr: str, now: datetime) -> tuple[datetime, bool]:
    """The event's time, and whether it is the client's own (not the receive time). A time the store cannot
    hold (outside years 1-9999 in UTC, or moved there by `offset`) becomes the receive time, as PostHog does with
    a time it cannot use; a timestamp that is not a date-time at all is refused."""
    value = raw.get("timestamp")
    if isinstance(value, datetime):  # an in-process mapping's own (OTel spans'); JSON never gives one
        if value.tzinfo is not UTC:
            value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        return value, True
    if value is None or value == "":
        offset = finite_number(raw.get("offset"))  # milliseconds before sending, as the browser SDK reports
        try:
            return (now - timedelta(milliseconds=offset) if offset else now), False
        except OverflowError:
            return now, False
    if not isinstance(value, str):
        raise ValidationError("Must be an ISO 8601 date-time string.", field_path(attr, "timestamp"))
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        if _beyond_year_range(text):
            return now, False
        raise ValidationError(f'"{clip(value, 80)}" is not an ISO 8601 date-time.',
                              field_path(attr, "timestamp")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC), True
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


def _on_server_clock(timestamp: datetime, skew: timedelta, now: datetime) -> datetime:
    """The client's timestamp corrected by its clock's skew; a correction that lands in the future came from a
    send time that cannot be right, and then the client's own timestamp is the better guess."""
    try:
        corrected = timestamp + skew
    except OverflowError:  # moved past year 1 or 9999 by an absurd send time
        return timestamp
    return corrected if corrected <= now + FUTURE_CUTOFF else timestamp


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
            sent = sent.replace(tzinfo=UTC)
    elif isinstance(query_ms, str) and query_ms.strip().isdigit():
        try:
            sent = datetime.fromtimestamp(int(query_ms.strip()) / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return now - sent if sent is not None else None


# --- a request's events ------------------------------------------------------------------------------

def ingest_batch(project_id: int, raw_events: list[Any], attr: str = "batch", *, sent_at: Any = None,
                 query_ms: Any = None) -> IngestResult:
    """Validate every event, then store the batch in one transaction: all or nothing. `sent_at` and
    `query_ms` are the request's send time by the client's clock (see `clock_skew`)."""
    now = utcnow()
    skew = clock_skew(sent_at, query_ms, now)
    parsed = [parse_event(raw, f"{attr}[{index}]", now, skew) for index, raw in enumerate(raw_events)]
    events = [event for event in parsed if event is not None]
    result = IngestResult(received=len(raw_events), ignored=len(parsed) - len(events))
    store_and_commit(project_id, events, result, now)
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
    store_and_commit(project_id, events, result, now)
    return outcomes, result
