"""OpenTelemetry spans as PostHog's `$ai_*` events, as PostHog's OTel ingestion makes them: which spans are kept
and classified how, the envelope (ids, time, identity, error status), and the generic attribute mapping; the
library conventions' own steps are in otel_conventions.py, and otel_ingest.py hands the events to the same
parsing and store as /i/v0/ai/batch/."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

import orjson

from reviewapp.services.ingest.otlp import STATUS_ERROR, Span

GENERATION, EMBEDDING, SPAN, TRACE = "$ai_generation", "$ai_embedding", "$ai_span", "$ai_trace"
# PostHog's namespace for the distinct_id derived from a session or trace (identity.rs).
IDENTITY_NAMESPACE = uuid.UUID("392e81d5-3d13-4a6f-b541-bdbf6c865e56")
RESOURCE_LEFT_OUT = ("host.", "process.", "os.", "telemetry.")
GATEWAY_KEYS = ("$ai_gateway_verified", "$ai_gateway_relay", "$ai_gateway_request_id")
DISTINCT_ID_KEYS = ("ai.telemetry.metadata.posthog_distinct_id", "ai.settings.context.posthog_distinct_id",
                    "posthog.distinct_id", "user.id")
SESSION_KEYS = ("$ai_session_id", "ai.telemetry.metadata.$ai_session_id", "ai.settings.context.$ai_session_id",
                "eve.session.id", "anthropic.session.id", "gen_ai.conversation.id")
HTTP_STATUS_KEYS = ("$ai_http_status", "http.response.status_code", "http.status_code", "http.status",
                    "status_code", "error.status_code", "exception.status_code")
STATUS_IN_TEXT = re.compile(r"(?i)(?:http|status)\D{0,20}?(\d{3})(?!\d)")
MAX_DISTINCT_ID_LENGTH = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PRIMARY_MAP = (
    ("gen_ai.input.messages", "$ai_input"),
    ("gen_ai.output.messages", "$ai_output_choices"),
    ("gen_ai.usage.input_tokens", "$ai_input_tokens"),
    ("gen_ai.usage.output_tokens", "$ai_output_tokens"),
    ("gen_ai.usage.cache_read.input_tokens", "$ai_cache_read_input_tokens"),
    ("gen_ai.usage.cache_creation.input_tokens", "$ai_cache_creation_input_tokens"),
    ("gen_ai.response.model", "$ai_model"),
    ("gen_ai.provider.name", "$ai_provider"),
    ("server.address", "$ai_base_url"),
    ("telemetry.sdk.name", "$ai_lib"),
    ("telemetry.sdk.version", "$ai_lib_version"),
    ("$otel_span_name", "$ai_span_name"),
    ("gen_ai.tool.definitions", "$ai_tools"),
    ("gen_ai.request.tools", "$ai_tools"),
)
PARSED_TARGETS = frozenset({"$ai_input", "$ai_output_choices", "$ai_tools"})
FALLBACK_MAP = (
    ("gen_ai.system", "$ai_provider"),
    ("gen_ai.request.model", "$ai_model"),
    ("gen_ai.usage.prompt_tokens", "$ai_input_tokens"),
    ("gen_ai.usage.completion_tokens", "$ai_output_tokens"),
)
INPUT_EVENT_ROLES = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                     "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}
MAX_EVENTS_TEXT = 500_000
STRIPPED = ("telemetry.sdk.language", "gen_ai.operation.name", "posthog.ai.debug", "user.id", "posthog.distinct_id",
            "llm.request.type")


@dataclass
class Draft:
    """A span on its way to an event: the name, person and properties the mapping steps change in turn."""

    event: str
    distinct_id: str
    properties: dict[str, Any]
    operation: str | None = None  # gen_ai.operation.name as sent (the generic mapper strips it)


# --- which spans are kept ------------------------------------------------------------------------------

# Each convention by the first dotted segment of its keys, in the order PostHog's capture tries them: the first a
# span has decides. (`llm.request.type` is OpenLLMetry's; other `llm.*` keys claim nothing.)
CONVENTION_ORDER = ("vercel", "pydantic", "traceloop", "openinference", "genai")
CONVENTION_OF_SEGMENT = {"ai": "vercel", "eve": "vercel", "pydantic_ai": "pydantic", "traceloop": "traceloop",
                         "openinference": "openinference", "gen_ai": "genai"}
# The key prefixes that claim a span for each convention, in CONVENTION_ORDER.
CONVENTION_PREFIXES = tuple(
    (name, tuple(f"{segment}." for segment, claimed in CONVENTION_OF_SEGMENT.items() if claimed == name)
     + (("llm.request.type",) if name == "traceloop" else ()))
    for name in CONVENTION_ORDER
)


def classify(attributes: dict[str, Any]) -> str | None:
    """The event a span becomes, by the first convention whose prefix one of its own attribute keys has; None
    for a span no convention claims (HTTP, database, framework spans), which is not stored."""
    convention = _convention(attributes)
    if convention == "vercel":
        return _vercel_event(attributes)
    if convention == "pydantic":
        return SPAN
    if convention == "traceloop":
        return request_type_event(attributes.get("llm.request.type")) or SPAN
    if convention == "openinference":
        kind = attributes.get("openinference.span.kind")
        kind = kind.upper() if isinstance(kind, str) else None
        return GENERATION if kind == "LLM" else EMBEDDING if kind == "EMBEDDING" else SPAN
    return _genai_event(attributes) if convention == "genai" else None


# Most spans are the GenAI conventions' own, the last tried: one scan for every earlier convention's prefixes
# tells that none of them claims the span.
EARLIER_PREFIXES = tuple(prefix for _, prefixes in CONVENTION_PREFIXES[:-1] for prefix in prefixes)
LAST_CONVENTION, LAST_PREFIXES = CONVENTION_PREFIXES[-1]


def _convention(attributes: dict[str, Any]) -> str | None:
    if not any(map(str.startswith, attributes, repeat(EARLIER_PREFIXES))):
        return LAST_CONVENTION if any(map(str.startswith, attributes, repeat(LAST_PREFIXES))) else None
    for name, prefixes in CONVENTION_PREFIXES:
        if any(map(str.startswith, attributes, repeat(prefixes))):  # no Python frame per key
            return name
    return None


def _vercel_event(attributes: dict[str, Any]) -> str:
    operation_id = attributes.get("ai.operationId")
    if operation_id is None and isinstance(attributes.get("gen_ai.operation.name"), str):
        return _genai_event(attributes)  # AI SDK 7 names its operations as the GenAI conventions do
    if isinstance(operation_id, str):
        if operation_id.endswith((".doGenerate", ".doStream")):
            return GENERATION
        if operation_id in ("ai.embed.doEmbed", "ai.embedMany.doEmbed"):
            return EMBEDDING
    return SPAN


def _genai_event(attributes: dict[str, Any]) -> str:
    operation = attributes.get("gen_ai.operation.name")
    return GENERATION if operation == "chat" else EMBEDDING if operation == "embeddings" else SPAN


def request_type_event(value: Any) -> str | None:
    if value in ("chat", "completion"):
        return GENERATION
    if value in ("embedding", "embeddings"):
        return EMBEDDING
    return None


# --- stage 1: the envelope -----------------------------------------------------------------------------

def resource_properties(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in resource.items() if not key.startswith(RESOURCE_LEFT_OUT)}


def envelope(span: Span, event: str, resource_props: dict[str, Any], request_id: str) -> Draft:
    """The span's properties (resource attributes under its own) and the ids, times and error status PostHog's
    capture sets on them."""
    props = dict(resource_props)
    props.update(span.attributes)
    if "$geoip_disable" not in span.attributes and "$geoip_disable" not in resource_props:
        props["$geoip_disable"] = props.pop("posthog.geoip_disable", True)
    for key in GATEWAY_KEYS:
        props.pop(key, None)
    props["$ai_trace_id"] = span.trace_id
    props["$ai_span_id"] = span.span_id
    if span.parent_id:
        props["$ai_parent_id"] = span.parent_id
    else:
        props.pop("$ai_parent_id", None)
    props["$ai_ingestion_source"] = "otel"
    if span.name:
        props["$otel_span_name"] = span.name
    if span.status_code == STATUS_ERROR:
        _error_status(span, props)
    operation = span.attributes.get("gen_ai.operation.name")
    return Draft(event, _distinct_id(span, request_id), props, operation if isinstance(operation, str) else None)


def _error_status(span: Span, props: dict[str, Any]) -> None:
    props["$ai_is_error"] = True
    exception: dict[str, Any] = {}
    for event in reversed(span.events):
        attrs = event.attributes
        if event.name == "exception" or "exception.message" in attrs or "exception.type" in attrs:
            exception = attrs
            break
    if "$ai_error" not in props:
        kind, message = _text(exception.get("exception.type")), _text(exception.get("exception.message"))
        props["$ai_error"] = (f"{kind}: {message}" if kind and message else message or kind
                              or span.status_message or "OpenTelemetry span status error")
    if "$ai_http_status" not in props:
        props["$ai_http_status"] = (
            _status_of(exception) or _status_in_text(exception.get("exception.message"))
            or _status_in_text(exception.get("error.message")) or _status_of(props)
            or _status_in_text(span.status_message) or 500
        )


def _status_of(attrs: dict[str, Any]) -> int | None:
    for key in HTTP_STATUS_KEYS:
        value = attrs.get(key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


def _status_in_text(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    for match in STATUS_IN_TEXT.finditer(text):
        if 100 <= int(match.group(1)) <= 599:
            return int(match.group(1))
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _distinct_id(span: Span, request_id: str) -> str:
    """The first non-empty string of the identity keys on the span, then on the resource; else one derived from
    the session, else from the trace."""
    for attrs in (span.attributes, span.resource):
        for key in DISTINCT_ID_KEYS[2:] if attrs is span.resource else DISTINCT_ID_KEYS:
            value = attrs.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:MAX_DISTINCT_ID_LENGTH]
    for key in SESSION_KEYS:
        for attrs in (span.attributes, span.resource):
            value = attrs.get(key)
            if isinstance(value, str) and value:
                return str(uuid.uuid5(IDENTITY_NAMESPACE, f"session:{value}"))
    if any(c != "0" for c in span.trace_id):
        return str(uuid.uuid5(IDENTITY_NAMESPACE, f"trace:{span.trace_id}"))
    return request_id


# --- stage 2: the generic mapping ----------------------------------------------------------------------

def parsed(value: Any) -> Any:
    """A JSON string's value; any other value, or text that is not JSON, as it is."""
    if isinstance(value, str) and value[:1] in ("[", "{", '"'):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def generic_mapping(draft: Draft, span: Span) -> None:
    props = draft.properties
    if draft.event == SPAN:
        draft.event = request_type_event(props.get("llm.request.type")) or SPAN
    for source, target in PRIMARY_MAP:
        if source in props:
            value = props.pop(source)
            props[target] = parsed(value) if target in PARSED_TARGETS else value
    for source, target in FALLBACK_MAP:
        if source in props:
            value = props.pop(source)
            props.setdefault(target, value)
    _messages_and_reasons(props)
    if span.end_ns > span.start_ns:
        props["$ai_latency"] = (span.end_ns - span.start_ns) / 1e9
    if draft.event == SPAN and not props.get("$ai_parent_id"):
        draft.event = TRACE
    for key in STRIPPED:
        props.pop(key, None)


def _messages_and_reasons(props: dict[str, Any]) -> None:
    if "events" in props:
        _events_attribute(props, props.pop("events"))
    if "gen_ai.system_instructions" in props:
        _system_instructions(props, props.pop("gen_ai.system_instructions"))
    if "gen_ai.response.finish_reasons" in props:
        reasons = parsed(props.pop("gen_ai.response.finish_reasons"))
        if "$ai_stop_reason" not in props:
            props["$ai_stop_reason"] = reasons[0] if isinstance(reasons, list) and len(reasons) == 1 else reasons
    if isinstance(props.get("$groups"), str):
        groups = parsed(props["$groups"])
        if isinstance(groups, dict):
            props["$groups"] = groups


def _events_attribute(props: dict[str, Any], value: Any) -> None:
    """Logfire's serialisation of the older semconv's message events, as one `events` attribute."""
    if isinstance(value, str):
        if len(value) > MAX_EVENTS_TEXT:
            return
        value = parsed(value)
    if not isinstance(value, list):
        return
    entries = [entry for entry in value if isinstance(entry, dict)]
    inputs = [(entry.get("gen_ai.message.index"), _event_message(entry)) for entry in entries
              if entry.get("event.name") in INPUT_EVENT_ROLES]
    outputs = [entry["message"] if isinstance(entry.get("message"), dict)
               else {key: entry[key] for key in ("role", "content", "tool_calls") if key in entry}
               for entry in entries if entry.get("event.name") == "gen_ai.choice"]
    if inputs and all(isinstance(index, int) for index, _ in inputs):
        inputs.sort(key=lambda pair: int(pair[0] or 0))
    if inputs and "$ai_input" not in props:
        props["$ai_input"] = [message for _, message in inputs]
    if outputs and "$ai_output_choices" not in props:
        props["$ai_output_choices"] = outputs


def _event_message(entry: dict[str, Any]) -> dict[str, Any]:
    message = {"role": entry.get("role") or INPUT_EVENT_ROLES[entry["event.name"]]}
    for key in ("content", "tool_calls", "tool_call_id"):
        if key in entry:
            message[key] = entry[key]
    return message


def _system_instructions(props: dict[str, Any], value: Any) -> None:
    value = parsed(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        text = "\n\n".join(part["content"] for part in value if isinstance(part, dict)
                           and part.get("type") == "text" and isinstance(part.get("content"), str))
    else:
        return
    if not text:
        return
    current = props.get("$ai_input")
    system = {"role": "system", "content": text}
    if current is None:
        props["$ai_input"] = [system]
    elif isinstance(current, list) and not (current and isinstance(current[0], dict)
                                            and current[0].get("role") == "system"):
        props["$ai_input"] = [system, *current]


# --- a span as a PostHog event -------------------------------------------------------------------------

def timestamp(nanoseconds: int, now: datetime) -> datetime:
    """An OTel event's time is the span's start (PostHog's too); a start of 0 or out of range is the receive time."""
    if nanoseconds <= 0:
        return now
    try:
        return EPOCH + timedelta(microseconds=nanoseconds // 1000)
    except OverflowError:
        return now


def request_identity() -> str:
    """The distinct_id a request's spans share when nothing names a person, a session or a trace."""
    return str(uuid.uuid4())

