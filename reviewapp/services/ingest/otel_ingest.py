"""Storing an OTLP export: each AI span becomes a PostHog `$ai_*` event (otel.py, otel_conventions.py) and
each `gen_ai.evaluation.result` log record an `$ai_evaluation`, validated by the same `parse_event` as
/i/v0/ai/batch/ and written by the one store. A span or record that cannot be used is reported and the rest kept;
a retried export is stored once (each event's uuid derives from its trace and span ids)."""
from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import orjson

from reviewapp.models import utcnow
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.events import AIEvent
from reviewapp.services.ingest.otel import (
    IDENTITY_NAMESPACE,
    classify,
    envelope,
    request_identity,
    resource_properties,
)
from reviewapp.services.ingest.otel import timestamp as otel_timestamp
from reviewapp.services.ingest.otel_conventions import apply_convention
from reviewapp.services.ingest.otlp import LogRecord, MalformedSpan, Span
from reviewapp.services.ingest.posthog import parse_event
from reviewapp.services.ingest.store import IngestResult, store_and_commit

T = TypeVar("T", Span, LogRecord)

EVALUATION_EVENT = "gen_ai.evaluation.result"
# An event's uuid derives from its trace and span ids, so a retried export is recognised and stored once.
EVENT_NAMESPACE = uuid.UUID("6f0c1d55-8a7e-5b9e-9c55-0a6a1f3e7d21")
EVENT_NAMESPACE_BYTES = EVENT_NAMESPACE.bytes
MAX_REPORTED = 20  # rejected spans named in the answer; the count covers them all
# What a span's mapping can raise on values no convention foresaw: the span is reported, never a 500.
MAPPING_ERRORS = (ValidationError, TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError,
                  RecursionError)


@dataclass
class OtelResult(IngestResult):
    rejected: list[str] = field(default_factory=list)  # why each unusable span or record was left out

    @property
    def error_message(self) -> str:
        shown = "; ".join(self.rejected[:MAX_REPORTED])
        more = len(self.rejected) - MAX_REPORTED
        return shown + (f"; and {more} more" if more > 0 else "")


def event_uuid(trace_id: str, span_id: str) -> str:
    """uuid5(EVENT_NAMESPACE, "<trace>:<span>"), hashed and formatted directly: the UUID class costs more than
    the hash, once per span."""
    digest = bytearray(hashlib.sha1(EVENT_NAMESPACE_BYTES + f"{trace_id}:{span_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def span_event(span: Span, request_id: str, now: datetime,
               resources: dict[int, dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """The span as a PostHog capture event ({event, distinct_id, timestamp, uuid, properties}, the timestamp as
    a datetime: `parse_event` takes it as it is, without a round trip through text); None for a span no
    convention claims. `resources` keeps each resource's properties, worked out once for all its spans."""
    event = classify(span.attributes)
    if event is None:
        return None
    resources = {} if resources is None else resources
    if id(span.resource) not in resources:
        resources[id(span.resource)] = resource_properties(span.resource)
    draft = envelope(span, event, resources[id(span.resource)], request_id)
    props = draft.properties
    debug_copy = orjson.loads(orjson.dumps(props, default=str)) if props.get("posthog.ai.debug") else None
    apply_convention(draft, span)
    conversation = props.get("gen_ai.conversation.id")
    if "$ai_session_id" not in props and isinstance(conversation, str) and conversation:
        props["$ai_session_id"] = conversation
    if debug_copy is not None:
        props["$ai_debug"] = True
        props["$ai_debug_data"] = debug_copy
    return {"event": draft.event, "distinct_id": draft.distinct_id, "uuid": event_uuid(span.trace_id, span.span_id),
            "timestamp": otel_timestamp(span.start_ns, now), "properties": props}


def ingest_spans(project_id: int, spans: Iterable[Span | MalformedSpan]) -> OtelResult:
    """Map and store a request's spans in one transaction; spans that are not AI spans are counted as ignored."""
    now = utcnow()
    request_id = request_identity()
    resources: dict[int, dict[str, Any]] = {}  # the spans of one resource share its attributes dict
    return _map_and_store(project_id, spans, lambda span: span_event(span, request_id, now, resources), now)


def _map_and_store(project_id: int, items: Iterable[T | MalformedSpan], to_event: Callable[[T], dict | None],
                   now: datetime) -> OtelResult:
    """Map each span or log record to an event, validate it as capture does, and store the request's events in
    one transaction; a malformed or refused item is reported, the rest kept."""
    result = OtelResult()
    events: list[AIEvent] = []
    for item in items:
        result.received += 1
        if isinstance(item, MalformedSpan):
            result.rejected.append(str(item))
            continue
        where = item.where
        try:
            raw = to_event(item)
            event = parse_event(raw, where, now) if raw is not None else None
        except MAPPING_ERRORS as exc:
            result.rejected.append(_reason(exc, where))
            continue
        if event is None:
            result.ignored += 1
        else:
            events.append(event)
    store_and_commit(project_id, events, result, now)
    return result


def _reason(exc: Exception, where: str) -> str:
    if isinstance(exc, ValidationError):
        return f"{exc.attr or where}: {exc.detail}"
    return f"{where}: the span's attributes could not be read ({type(exc).__name__})."


# --- evaluation log records ----------------------------------------------------------------------------

def evaluation_event(record: LogRecord, now: datetime) -> dict[str, Any] | None:
    """A `gen_ai.evaluation.result` record as an `$ai_evaluation` event; None for any other record (dropped, as
    PostHog does). Raises ValidationError for an evaluation record that lacks what one needs."""
    attrs = record.attributes
    if (record.event_name or attrs.get("event.name")) != EVALUATION_EVENT:
        return None
    name = attrs.get("gen_ai.evaluation.name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("An evaluation result needs a gen_ai.evaluation.name.", record.where)
    label, value = attrs.get("gen_ai.evaluation.score.label"), attrs.get("gen_ai.evaluation.score.value")
    result: str | float
    if isinstance(label, str) and label.strip():
        result, kind = label, "label"
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        result, kind = value, "number"
    else:
        raise ValidationError("An evaluation result needs a gen_ai.evaluation.score.label or a finite "
                              "gen_ai.evaluation.score.value.", record.where)
    if len(record.trace_id) != 16 or not any(record.trace_id):
        raise ValidationError("An evaluation result needs the traceId of the trace it judges.", record.where)
    trace_id = record.trace_id.hex()
    encoded = orjson.dumps([record.event_name, record.time_ns, record.observed_ns, trace_id, record.span_id.hex(),
                            record.body, attrs], option=orjson.OPT_SORT_KEYS, default=str)
    run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, encoded.decode()))
    props: dict[str, Any] = {
        "$ai_evaluation_name": name,
        "$ai_evaluation_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"otel:{name}")),
        "$ai_evaluation_run_id": run_id,
        "$ai_evaluation_result": result,
        "$ai_evaluation_result_type": kind,
        "$ai_evaluation_runtime": "otel",
        "$ai_evaluation_type": "imported",
        "$ai_trace_id": trace_id,
        "$ai_ingestion_source": "otel",
    }
    if isinstance(attrs.get("gen_ai.evaluation.explanation"), str):
        props["$ai_evaluation_reasoning"] = attrs["gen_ai.evaluation.explanation"]
    if len(record.span_id) == 8 and any(record.span_id):
        props["$ai_target_span_id"] = record.span_id.hex()
    if record.body is not None:
        props["$otel_log_body"] = record.body
    distinct_id = next((v for v in (record.resource.get("posthog.distinct_id"), record.resource.get("user.id"))
                        if isinstance(v, str) and v.strip()), None)
    return {"event": "$ai_evaluation", "uuid": run_id,
            "distinct_id": distinct_id or str(uuid.uuid5(IDENTITY_NAMESPACE, f"trace:{trace_id}")),
            "timestamp": otel_timestamp(record.time_ns or record.observed_ns, now).isoformat(),
            "properties": props}


def ingest_logs(project_id: int, records: Iterable[LogRecord | MalformedSpan]) -> OtelResult:
    now = utcnow()
    return _map_and_store(project_id, records, lambda record: evaluation_event(record, now), now)
