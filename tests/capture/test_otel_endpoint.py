"""The OTLP endpoints' contract: PostHog's routes, encodings, auth and answers; a malformed span reported while
the rest is kept; evaluation logs as `$ai_evaluation` events on their trace; and never a 5xx, whatever the
attributes."""
from __future__ import annotations

import gzip
import json
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from posthog.ai.otel import PostHogSpanProcessor

from tests.capture.otel_support import by_name, events_of, hex_span_id, hex_trace_id, serving, trace_of, tracer_with

TRACE_ID = "5b8efff798038103d269b633813fc60c"
AGENT, CHAT = "eee19b7ec3c1b174", "eee19b7ec3c1b175"


def json_span(span_id: str, name: str, attributes: list, parent: str | None = None, **extra) -> dict:
    span = {"traceId": TRACE_ID, "spanId": span_id, "name": name, "startTimeUnixNano": "1764650000000000000",
            "endTimeUnixNano": "1764650001500000000", "attributes": attributes, **extra}
    if parent:
        span["parentSpanId"] = parent
    return span


def otlp_json(*spans: dict, resource: list | None = None) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": resource or []},
                               "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]}


def text(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def post(client, token: str, body, path: str = "/i/v0/ai/otel", **headers):
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return client.post(path, data=data, headers={"Authorization": f"Bearer {token}",
                                                 "Content-Type": headers.pop("content_type", "application/json"),
                                                 **headers})


def test_otlp_json_with_hex_ids_camel_case_and_null_values(client, factory):
    project = factory.project()
    body = otlp_json(
        json_span(AGENT, "invoke_agent support", [text("gen_ai.operation.name", "invoke_agent"),
                                                  {"key": "empty", "value": {}},
                                                  {"key": "nulled", "value": {"stringValue": None}}]),
        json_span(CHAT, "chat", [text("gen_ai.operation.name", "chat"), text("gen_ai.request.model", "gpt-4o"),
                                 {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
                                 {"key": "score", "value": {"doubleValue": 0.5}}],
                  parent=AGENT, status={"code": 2, "message": "upstream http 429"}),
        resource=[text("service.name", "shop"), text("host.name", "box-1"), text("posthog.distinct_id", "u-1")],
    )
    response = post(client, project.api_token, body, "/i/v0/ai/otel/v1/traces")
    assert (response.status_code, response.get_json()) == (200, {})
    events = by_name(project.id)
    agent, chat = events["invoke_agent support"], events["chat"]
    assert (agent.event, agent.span_id, agent.trace_id) == ("$ai_trace", AGENT, TRACE_ID)
    assert "empty" not in agent.properties and "nulled" not in agent.properties
    assert (chat.event, chat.parent_id, chat.distinct_id) == ("$ai_generation", AGENT, "u-1")
    assert chat.properties["$ai_input_tokens"] == 12 and chat.properties["score"] == 0.5
    assert chat.properties["$ai_latency"] == 1.5 and "host.name" not in chat.properties
    assert (chat.properties["$ai_error"], chat.properties["$ai_http_status"]) == ("upstream http 429", 429)
    assert chat.timestamp.replace(tzinfo=None).isoformat() == "2025-12-02T04:33:20"
    trace = trace_of(project.id, TRACE_ID)
    assert trace.has_error and trace.input_tokens == 12


def test_a_malformed_span_is_reported_and_the_rest_kept(client, factory):
    project = factory.project()
    body = otlp_json(
        json_span(AGENT, "good", [text("gen_ai.operation.name", "chat")]),
        {**json_span("zz", "bad id", [text("gen_ai.operation.name", "chat")])},
        json_span(CHAT, "negative tokens", [text("gen_ai.operation.name", "chat"),
                                            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": -3}}]),
        json_span("eee19b7ec3c1b176", "odd int", [text("gen_ai.operation.name", "chat"),
                                                  {"key": "n", "value": {"intValue": "0\x1f"}}]),
    )
    response = post(client, project.api_token, body)
    assert response.status_code == 200
    report = response.get_json()["partialSuccess"]
    assert report["rejectedSpans"] == 3
    assert "spans[1]: spanId must be 16 hex characters." in report["errorMessage"]
    assert "spans[2].properties.$ai_input_tokens: Must not be negative." in report["errorMessage"]
    assert "spans[3]: intValue must be an integer." in report["errorMessage"]
    assert list(by_name(project.id)) == ["good"]


def test_protobuf_gzip_and_the_refusals_posthog_answers(client, factory):
    project = factory.project()
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes.fromhex(TRACE_ID), bytes.fromhex(AGENT), "chat"
    span.attributes.append(KeyValue(key="gen_ai.operation.name", value=AnyValue(string_value="chat")))
    raw = request.SerializeToString()
    protobuf = "application/x-protobuf"
    ok = post(client, project.api_token, gzip.compress(raw), content_type=protobuf, **{"Content-Encoding": "gzip"})
    assert (ok.status_code, ok.get_json(), ok.content_type) == (200, {}, "application/json")
    assert [e.event for e in events_of(project.id)] == ["$ai_generation"]

    def refused(response, status: int, detail: str) -> None:
        assert response.status_code == status, response.get_data(as_text=True)
        assert detail in response.get_json()["detail"]

    refused(client.post("/i/v0/ai/otel", data=raw, content_type=protobuf), 401, "event submitted without an api_key")
    refused(post(client, "phx_personal", raw, content_type=protobuf), 401, "API key is not valid: personal_api_key")
    refused(post(client, "phc_unknown", raw, content_type=protobuf), 401, "Project token is invalid.")
    refused(post(client, project.api_token, b"", content_type=protobuf), 400, "request missing data payload")
    refused(post(client, project.api_token, raw, content_type="text/plain"), 400, "Content-Type must be")
    refused(post(client, project.api_token, zlib.compress(raw), content_type=protobuf,
                 **{"Content-Encoding": "deflate"}), 400, "Unsupported content-encoding: deflate")
    refused(post(client, project.api_token, b"\x1f\x8bnot gzip", content_type=protobuf,
                 **{"Content-Encoding": "gzip"}), 400, "invalid GZIP data")
    refused(post(client, project.api_token, b"\xff\xff\xff", content_type=protobuf), 400, "Invalid protobuf")
    refused(post(client, project.api_token, b"{nope"), 400, "Invalid JSON")
    assert client.options("/i/v0/ai/otel/v1/logs/").status_code == 200
    refused(client.get("/i/v0/ai/otel"), 405, "POST the spans")
    assert len(events_of(project.id)) == 1


def test_evaluation_logs_become_evaluation_events_on_their_trace(app, factory):
    project = factory.project()
    with serving(app) as (url, requests):
        with tracer_with(PostHogSpanProcessor(api_key=project.api_token, host=url)) as tracer:
            with tracer.start_as_current_span("chat", attributes={"gen_ai.operation.name": "chat"}) as chat:
                pass
        logs = LoggerProvider(resource=Resource.create({"posthog.distinct_id": "judge"}))
        logs.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(
            endpoint=f"{url}/i/v0/ai/otel/v1/logs", headers={"Authorization": f"Bearer {project.api_token}"})))
        logger = logs.get_logger("evals")
        context = chat.get_span_context()
        from opentelemetry import trace
        with trace.use_span(trace.NonRecordingSpan(context)):
            logger.emit(event_name="gen_ai.evaluation.result", body="The answer names the day.", attributes={
                "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.label": "pass",
                "gen_ai.evaluation.score.value": 1.0, "gen_ai.evaluation.explanation": "Clear and correct."})
            logger.emit(event_name="gen_ai.evaluation.result", attributes={
                "gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.25})
            logger.emit(body="an ordinary log line")  # dropped, as PostHog does
        logs.shutdown()
    assert ("/i/v0/ai/otel/v1/logs", "application/x-protobuf", None) in requests
    evaluations = [e for e in events_of(project.id) if e.event == "$ai_evaluation"]
    by_evaluation = {e.properties["$ai_evaluation_name"]: e for e in evaluations}
    assert set(by_evaluation) == {"helpfulness", "relevance"}
    helpful = by_evaluation["helpfulness"]
    assert helpful.trace_id == hex_trace_id(chat) and helpful.distinct_id == "judge"
    props = helpful.properties
    assert (props["$ai_evaluation_result"], props["$ai_evaluation_result_type"]) == ("pass", "label")
    assert (props["$ai_evaluation_reasoning"], props["$ai_target_span_id"]) == ("Clear and correct.",
                                                                                 hex_span_id(chat))
    assert (props["$ai_evaluation_runtime"], props["$ai_evaluation_type"]) == ("otel", "imported")
    assert props["$otel_log_body"] == "The answer names the day."
    assert by_evaluation["relevance"].properties["$ai_evaluation_result"] == 0.25
    assert trace_of(project.id, hex_trace_id(chat)).event_count == 1  # the span; a verdict is no step of it


# --- any attributes: never a 5xx ------------------------------------------------------------------------

scalars = st.one_of(
    st.text(max_size=30).map(lambda s: {"stringValue": s}), st.booleans().map(lambda b: {"boolValue": b}),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(lambda i: {"intValue": str(i)}),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: {"doubleValue": f if f == f else "NaN"}),
    st.just({}), st.none(), st.text(max_size=5),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda vs: {"arrayValue": {"values": vs}}),
    st.dictionaries(st.text(max_size=8), inner, max_size=4).map(
        lambda d: {"kvlistValue": {"values": [{"key": k, "value": v} for k, v in d.items()]}}),
), max_leaves=12)
keys = st.one_of(st.sampled_from([
    "gen_ai.operation.name", "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.usage.input_tokens",
    "llm.request.type", "ai.operationId", "ai.prompt", "ai.response.text", "gen_ai.system_instructions", "events",
    "pydantic_ai.all_messages", "final_result", "gen_ai.prompt.0.content", "gen_ai.prompt.x.role",
    "llm.input_messages.0.message.tool_calls.0.tool_call.id", "openinference.span.kind", "langwatch.input",
    "anthropic.usage.compaction.input_tokens", "$ai_latency", "$ai_trace_id", "$groups", "posthog.distinct_id",
    "gen_ai.response.finish_reasons", "$ai_http_status", "ai.telemetry.metadata.posthog_distinct_id",
]), st.text(max_size=12))
spans = st.fixed_dictionaries({
    "traceId": st.one_of(st.just(TRACE_ID), st.text(max_size=4)),
    "spanId": st.one_of(st.just(AGENT), st.just(CHAT), st.text(alphabet="0123456789abcdef", min_size=16,
                                                                max_size=16)),
    "parentSpanId": st.one_of(st.none(), st.just(AGENT), st.text(max_size=3)),
    "name": st.text(max_size=10),
    "startTimeUnixNano": st.one_of(st.integers(min_value=-5, max_value=2**64), st.text(max_size=4)),
    "attributes": st.lists(st.fixed_dictionaries({"key": keys, "value": values}), max_size=6),
    "status": st.one_of(st.none(), st.fixed_dictionaries({"code": st.integers(0, 3), "message": st.text(max_size=20)})),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(spans, max_size=4))
def test_arbitrary_attribute_values_and_nesting_never_answer_5xx(client, factory, generated):
    project = factory.project()
    response = post(client, project.api_token, otlp_json(*generated))
    assert response.status_code in (200, 400), response.get_data(as_text=True)


def test_a_generation_whose_non_ai_parent_was_left_out_still_reads_on_the_trace_page(client, factory, login):
    project = factory.project()
    body = otlp_json(
        json_span(AGENT, "GET /chat", [text("http.method", "GET")]),  # an HTTP span: not stored
        json_span(CHAT, "chat", [text("gen_ai.operation.name", "chat"), text("gen_ai.request.model", "gpt-4o"),
                                 text("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [
                                     {"type": "text", "content": "Hello there"}]}]))], parent=AGENT),
    )
    assert post(client, project.api_token, body).get_json() == {}
    [chat] = events_of(project.id)
    assert (chat.event, chat.parent_id) == ("$ai_generation", AGENT)  # dangling, as on PostHog
    login(factory.user(project=project, role="viewer"))
    page = client.get(f"/projects/{project.id}/traces/{TRACE_ID}")
    assert page.status_code == 200
    assert "Hello there" in page.get_data(as_text=True) and "gpt-4o" in page.get_data(as_text=True)
