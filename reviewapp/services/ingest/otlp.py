"""Reading an OTLP export (protobuf via the official opentelemetry-proto classes, or OTLP/JSON with hex ids) into
plain spans and log records: ids as lower-case hex, attribute values as JSON values."""
from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from reviewapp.services.errors import ValidationError

T = TypeVar("T")

STATUS_ERROR = 2  # Status.STATUS_CODE_ERROR, the same number in protobuf and OTLP/JSON
# Attribute values nest (arrays, key-value lists); deeper than this a value is kept as its JSON text, unread.
MAX_VALUE_DEPTH = 64
PLAIN_VALUES = frozenset({"string_value", "int_value", "bool_value"})  # AnyValue fields read as they are


class MalformedSpan(ValueError):
    """One span or record the request cannot use: reported in the answer, the rest of the request kept."""


@dataclass
class SpanEvent:
    name: str
    attributes: dict[str, Any]


@dataclass
class Span:
    """One OTLP span, whatever encoding it came in."""

    where: str  # its place in the request, e.g. resourceSpans[0].scopeSpans[0].spans[3]
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    resource: dict[str, Any]  # shared by the spans of one resource: never modified
    status_code: int = 0
    status_message: str = ""
    events: list[SpanEvent] = field(default_factory=list)


@dataclass
class LogRecord:
    where: str
    event_name: str
    time_ns: int
    observed_ns: int
    trace_id: bytes
    span_id: bytes
    body: Any
    attributes: dict[str, Any]
    resource: dict[str, Any]


# --- protobuf ----------------------------------------------------------------------------------------

def _any_value(value: Any, depth: int = 0) -> tuple[bool, Any]:
    """(present, JSON value) of a protobuf AnyValue; a value with no field set is absent."""
    kind = value.WhichOneof("value")
    if kind is None:
        return False, None
    if kind in PLAIN_VALUES:
        return True, getattr(value, kind)
    if kind == "double_value":
        number = value.double_value
        return True, number if math.isfinite(number) else None
    if kind == "bytes_value":
        return True, value.bytes_value.hex()
    if depth >= MAX_VALUE_DEPTH:
        raise MalformedSpan(f"An attribute value nests deeper than {MAX_VALUE_DEPTH} levels.")
    if kind == "array_value":
        return True, [_any_value(item, depth + 1)[1] for item in value.array_value.values]
    return True, _pb_attributes(value.kvlist_value.values, depth + 1)


def _pb_attributes(pairs: Any, depth: int = 0) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for pair in pairs:
        present, converted = _any_value(pair.value, depth)
        if present:
            attributes[pair.key] = converted
    return attributes


def _pb_id(raw: bytes, size: int, what: str) -> str:
    if len(raw) != size or not any(raw):
        raise MalformedSpan(f"The {what} must be {size} bytes, not all zero.")
    return raw.hex()


def protobuf_spans(raw: bytes) -> Iterator[Span | MalformedSpan]:
    """The spans of an ExportTraceServiceRequest, each a Span or the reason it cannot be read."""
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(raw)
    except (DecodeError, RecursionError) as exc:
        raise ValidationError(f"Invalid protobuf: {exc}") from None
    for r, resource_spans in enumerate(request.resource_spans):
        try:
            resource = _pb_attributes(resource_spans.resource.attributes)
        except MalformedSpan as exc:
            yield MalformedSpan(f"resourceSpans[{r}].resource: {exc}")
            continue
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for n, span in enumerate(scope_spans.spans):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                try:
                    parent = span.parent_span_id
                    yield Span(
                        where, _pb_id(span.trace_id, 16, "traceId"), _pb_id(span.span_id, 8, "spanId"),
                        parent.hex() if parent else None, span.name, span.start_time_unix_nano,
                        span.end_time_unix_nano, _pb_attributes(span.attributes), resource,
                        span.status.code, span.status.message,
                        [SpanEvent(event.name, _pb_attributes(event.attributes)) for event in span.events],
                    )
                except MalformedSpan as exc:
                    yield MalformedSpan(f"{where}: {exc}")


def protobuf_logs(raw: bytes) -> Iterator[LogRecord | MalformedSpan]:
    request = ExportLogsServiceRequest()
    try:
        request.ParseFromString(raw)
    except (DecodeError, RecursionError) as exc:
        raise ValidationError(f"Invalid protobuf: {exc}") from None
    for r, resource_logs in enumerate(request.resource_logs):
        resource = _pb_attributes(resource_logs.resource.attributes)
        for s, scope_logs in enumerate(resource_logs.scope_logs):
            for n, record in enumerate(scope_logs.log_records):
                where = f"resourceLogs[{r}].scopeLogs[{s}].logRecords[{n}]"
                try:
                    present, body = _any_value(record.body)
                    yield LogRecord(where, record.event_name, record.time_unix_nano, record.observed_time_unix_nano,
                                    record.trace_id, record.span_id, body if present else None,
                                    _pb_attributes(record.attributes), resource)
                except MalformedSpan as exc:
                    yield MalformedSpan(f"{where}: {exc}")


# --- OTLP/JSON ---------------------------------------------------------------------------------------

def json_document(raw: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"Invalid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ValidationError("Invalid OTLP format: the body must be a JSON object.")
    return document


def _json_value(value: Any, depth: int = 0) -> tuple[bool, Any]:
    """(present, JSON value) of an OTLP/JSON AnyValue: `{}`, null and explicitly null fields are absent."""
    if not isinstance(value, dict):
        return False, None
    for key in ("stringValue", "boolValue", "intValue", "doubleValue", "bytesValue", "arrayValue", "kvlistValue"):
        item = value.get(key)
        if item is None:
            continue
        if key == "stringValue":
            return True, item if isinstance(item, str) else str(item)
        if key == "boolValue":
            return True, bool(item)
        if key == "intValue":
            return True, _int(item, "intValue")
        if key == "doubleValue":
            number = _float(item)
            return True, number if number is not None and math.isfinite(number) else None
        if key == "bytesValue":  # base64 in OTLP/JSON; kept as hex, as protobuf bytes are
            try:
                return True, base64.b64decode(str(item), validate=True).hex()
            except (binascii.Error, ValueError):
                return True, str(item)
        if depth >= MAX_VALUE_DEPTH:
            raise MalformedSpan(f"An attribute value nests deeper than {MAX_VALUE_DEPTH} levels.")
        if key == "arrayValue":
            items = item.get("values") if isinstance(item, dict) else None
            return True, [_json_value(v, depth + 1)[1] for v in _list(items)]
        pairs = item.get("values") if isinstance(item, dict) else None
        return True, _json_attributes(pairs, depth + 1)
    return False, None


def _json_attributes(pairs: Any, depth: int = 0) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for pair in _list(pairs):
        if not isinstance(pair, dict) or not isinstance(pair.get("key"), str):
            raise MalformedSpan("Every attribute needs a string key.")
        present, converted = _json_value(pair.get("value"), depth)
        if present:
            attributes[pair["key"]] = converted
    return attributes


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedSpan("Expected a list.")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise MalformedSpan(f"{what} must be an integer.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) < 40:
        try:
            return int(value)
        except ValueError:
            pass
    raise MalformedSpan(f"{what} must be an integer.")


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _hex_id(value: Any, size: int, what: str, required: bool = True) -> str | None:
    if value in (None, ""):
        if required:
            raise MalformedSpan(f"{what} is required.")
        return None
    if not isinstance(value, str) or len(value) != size * 2:
        raise MalformedSpan(f"{what} must be {size * 2} hex characters.")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MalformedSpan(f"{what} must be {size * 2} hex characters.") from None
    if required and not any(raw):
        raise MalformedSpan(f"{what} must not be all zero.")
    return raw.hex()


def _time(value: Any, what: str) -> int:
    return 0 if value in (None, "") else max(_int(value, what), 0)


def _object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedSpan("Expected an object.")
    return value


def json_spans(document: dict[str, Any]) -> Iterator[Span | MalformedSpan]:
    return _json_walk(document, ("resourceSpans", "resource_spans"), ("scopeSpans", "scope_spans"), "spans",
                      "Invalid OTLP trace format: resourceSpans must be a list.", _json_span)


def json_logs(document: dict[str, Any]) -> Iterator[LogRecord | MalformedSpan]:
    return _json_walk(document, ("resourceLogs", "resource_logs"), ("scopeLogs", "scope_logs"), "logRecords",
                      "Invalid OTLP logs format: resourceLogs must be a list.", _json_record)


def _json_walk(document: dict[str, Any], top: tuple[str, str], middle: tuple[str, str], leaf: str, refusal: str,
               read_one: Callable[[str, dict[str, Any], dict[str, Any]], T]) -> Iterator[T | MalformedSpan]:
    """resource → scope → item, as OTLP/JSON nests spans and log records (camelCase, or the proto's own names);
    a malformed part is reported where it is and the walk goes on."""
    groups = document.get(top[0], document.get(top[1]))
    if groups is not None and not isinstance(groups, list):
        raise ValidationError(refusal)
    for r, group in enumerate(groups or []):
        try:
            group = _object(group)
            resource = _json_attributes(_object(group.get("resource")).get("attributes"))
            scopes = _list(group.get(middle[0], group.get(middle[1])))
        except MalformedSpan as exc:
            yield MalformedSpan(f"{top[0]}[{r}]: {exc}")
            continue
        for s, scope in enumerate(scopes):
            try:
                items = _list(_object(scope).get(leaf))
            except MalformedSpan as exc:
                yield MalformedSpan(f"{top[0]}[{r}].{middle[0]}[{s}]: {exc}")
                continue
            for n, item in enumerate(items):
                where = f"{top[0]}[{r}].{middle[0]}[{s}].{leaf}[{n}]"
                try:
                    read = read_one(where, _object(item), resource)
                except MalformedSpan as exc:
                    yield MalformedSpan(f"{where}: {exc}")
                except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # what no check foresaw
                    yield MalformedSpan(f"{where}: could not be read ({type(exc).__name__}).")
                else:
                    yield read


def _json_span(where: str, span: dict[str, Any], resource: dict[str, Any]) -> Span:
    status = _object(span.get("status"))
    code = status.get("code", 0)
    if isinstance(code, str):  # the enum by name, as some JSON encoders write it
        code = STATUS_ERROR if code.upper().endswith("ERROR") else 0
    name = span.get("name", "")
    message = status.get("message", "")
    events = []
    for event in _list(span.get("events")):
        event = _object(event)
        events.append(SpanEvent(str(event.get("name") or ""), _json_attributes(event.get("attributes"))))
    return Span(
        where,
        _hex_id(span.get("traceId"), 16, "traceId") or "",
        _hex_id(span.get("spanId"), 8, "spanId") or "",
        _hex_id(span.get("parentSpanId"), 8, "parentSpanId", required=False),
        name if isinstance(name, str) else str(name),
        _time(span.get("startTimeUnixNano"), "startTimeUnixNano"),
        _time(span.get("endTimeUnixNano"), "endTimeUnixNano"),
        _json_attributes(span.get("attributes")),
        resource,
        code if isinstance(code, int) and not isinstance(code, bool) else 0,
        message if isinstance(message, str) else "",
        events,
    )


def _json_record(where: str, record: dict[str, Any], resource: dict[str, Any]) -> LogRecord:
    trace_id = _hex_id(record.get("traceId"), 16, "traceId", required=False)
    span_id = _hex_id(record.get("spanId"), 8, "spanId", required=False)
    present, body = _json_value(record.get("body"))
    event_name = record.get("eventName", "")
    return LogRecord(
        where, event_name if isinstance(event_name, str) else "",
        _time(record.get("timeUnixNano"), "timeUnixNano"), _time(record.get("observedTimeUnixNano"),
                                                                 "observedTimeUnixNano"),
        bytes.fromhex(trace_id) if trace_id else b"", bytes.fromhex(span_id) if span_id else b"",
        body if present else None, _json_attributes(record.get("attributes")), resource,
    )
