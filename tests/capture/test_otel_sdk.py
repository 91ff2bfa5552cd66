"""Real OpenTelemetry clients (the SDK's OTLP/HTTP exporter, posthog[otel]'s PostHogSpanProcessor, the
openai-v2 instrumentation) export to a live server, and the traces read as SDK-sent ones do: on the trace
page, in the API, in the summary."""
from __future__ import annotations

import json
import time

import httpx2 as httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode
from posthog import Posthog
from posthog.ai.otel import PostHogSpanProcessor

from tests.capture.otel_support import (
    by_name,
    events_of,
    hex_span_id,
    hex_trace_id,
    serving,
    trace_of,
    tracer_with,
)

QUESTION = "Where is order 1234?"
ANSWER = "It arrives on Friday."


def agent_trace(tracer, *, fail_lookup: bool = False) -> tuple[str, str]:
    """An agent turn in the current GenAI conventions: invoke_agent > (execute_tool, chat); returns the trace id
    and the chat span's id."""
    with tracer.start_as_current_span("invoke_agent support", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support",
        "gen_ai.conversation.id": "chat-42", "posthog.distinct_id": "customer-1",
    }) as agent:
        with tracer.start_as_current_span("execute_tool lookup_order", attributes={
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order",
        }) as tool:
            if fail_lookup:
                tool.record_exception(TimeoutError("orders API timed out"))
                tool.set_status(Status(StatusCode.ERROR, "lookup failed"))
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]),
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": ANSWER}],
                                                   "finish_reason": "stop"}]),
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "You are a shop assistant."}]),
            "gen_ai.usage.input_tokens": 812, "gen_ai.usage.output_tokens": 64,
            "gen_ai.request.temperature": 0.2, "tenant_id": "acme",
        }) as chat:
            time.sleep(0.01)
        chat_id = hex_span_id(chat)
        return hex_trace_id(agent), chat_id


def test_posthog_span_processor_delivers_a_trace_that_reads_like_an_sdk_trace(app, factory, client, login, api):
    project = api.project
    with serving(app) as (url, requests):
        with tracer_with(PostHogSpanProcessor(api_key=project.api_token, host=url)) as tracer:
            with tracer.start_as_current_span("GET /health"):
                pass  # not an AI span: neither sent by the processor nor stored
            trace_id, chat_id = agent_trace(tracer)
    assert {path for path, _, _ in requests} == {"/i/v0/ai/otel"}
    assert {content_type for _, content_type, _ in requests} == {"application/x-protobuf"}

    trace = trace_of(project.id, trace_id)
    assert trace is not None
    assert (trace.name, trace.session_id, trace.distinct_id) == ("invoke_agent support", "chat-42", "customer-1")
    assert (trace.input_tokens, trace.output_tokens, trace.generation_count, trace.event_count) == (812, 64, 1, 3)
    assert trace.models == ["gpt-4o-mini-2024-07-18"]
    assert trace.input_preview == QUESTION and trace.output_preview == ANSWER
    events = by_name(project.id)
    assert {name: event.event for name, event in events.items()} == {
        "invoke_agent support": "$ai_trace", "execute_tool lookup_order": "$ai_span",
        "chat gpt-4o-mini": "$ai_generation"}
    agent, chat = events["invoke_agent support"], events["chat gpt-4o-mini"]
    assert chat.parent_id == agent.span_id and chat.span_id == chat_id
    props = chat.properties
    assert props["$ai_provider"] == "openai" and props["$ai_input"][0] == {
        "role": "system", "content": "You are a shop assistant."}
    assert props["$ai_latency"] >= 0.01 and chat.timestamp < agent.timestamp.replace(year=2100)
    assert (props["tenant_id"], props["gen_ai.request.temperature"], props["service.name"]) == ("acme", 0.2,
                                                                                                 "shop-assistant")
    assert "gen_ai.operation.name" not in props and "posthog.distinct_id" not in props

    login(api.user)
    page = client.get(f"/projects/{project.id}/traces/{trace_id}").get_data(as_text=True)
    for text in (QUESTION, ANSWER, "You are a shop assistant.", "lookup_order", "gpt-4o-mini-2024-07-18"):
        assert text in page

    body = api.get(f"traces/{trace_id}/").get_json()
    assert (body["name"], body["session_id"], body["input_tokens"]) == ("invoke_agent support", "chat-42", 812)
    assert [(s["name"], s["kind"], s["depth"]) for s in body["spans"]] == [
        ("invoke_agent support", "trace", 0), ("execute_tool lookup_order", "span", 1),
        ("chat gpt-4o-mini", "generation", 1)]
    assert [(m["role"], m["parts"][0]["type"], m["parts"][0]["text"]) for m in body["conversation"]] == [
        ("system", "text", "You are a shop assistant."), ("user", "text", QUESTION), ("assistant", "text", ANSWER)]


def test_exporter_configured_by_environment_posts_gzip_protobuf_to_v1_traces(app, factory, monkeypatch):
    project = factory.project()
    with serving(app) as (url, requests):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"{url}/i/v0/ai/otel")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer {project.api_token}")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        with tracer_with(BatchSpanProcessor(OTLPSpanExporter())) as tracer:
            trace_id, _ = agent_trace(tracer, fail_lookup=True)
    assert requests == [("/i/v0/ai/otel/v1/traces", "application/x-protobuf", "gzip")]
    trace = trace_of(project.id, trace_id)
    assert trace is not None and trace.has_error
    tool = by_name(project.id)["execute_tool lookup_order"].properties
    assert (tool["$ai_is_error"], tool["$ai_error"], tool["$ai_http_status"]) == (
        True, "TimeoutError: orders API timed out", 500)


def test_a_retried_export_is_stored_once(app, factory):
    project = factory.project()
    memory = InMemorySpanExporter()
    with tracer_with(SimpleSpanProcessor(memory)) as tracer:
        trace_id, _ = agent_trace(tracer)
    exported = memory.get_finished_spans()
    with serving(app) as (url, _):
        exporter = OTLPSpanExporter(endpoint=f"{url}/i/v0/ai/otel",
                                    headers={"Authorization": f"Bearer {project.api_token}"})
        for _attempt in range(3):
            assert exporter.export(exported).name == "SUCCESS"
    assert len(events_of(project.id)) == 3
    assert trace_of(project.id, trace_id).event_count == 3


def test_a_batch_far_above_posthogs_100_span_cap_arrives_whole(app, factory):
    project = factory.project()
    with serving(app) as (url, requests):
        with tracer_with(PostHogSpanProcessor(api_key=project.api_token, host=url)) as tracer:
            for n in range(400):
                with tracer.start_as_current_span(f"chat {n}", attributes={
                        "gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1}):
                    pass
    assert len(requests) == 1  # the processor packs them into one export
    assert len(events_of(project.id)) == 400


def test_a_trace_sent_half_by_batch_and_half_by_otel_is_one_trace(app, factory):
    project = factory.project()
    with serving(app) as (url, _):
        with tracer_with(PostHogSpanProcessor(api_key=project.api_token, host=url)) as tracer:
            trace_id, chat_id = agent_trace(tracer)
        sdk = Posthog(project.api_token, host=url)
        sdk.capture("$ai_span", distinct_id="customer-1", properties={
            "$ai_trace_id": trace_id, "$ai_span_id": "rerank", "$ai_parent_id": chat_id, "$ai_span_name": "rerank"})
        sdk.flush()
        sdk.shutdown()
    trace = trace_of(project.id, trace_id)
    assert trace.event_count == 4
    assert by_name(project.id)["rerank"].parent_id == chat_id


class StubOpenAI(httpx.BaseTransport):
    """Answers the Chat Completions API as OpenAI does, without the network."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": ANSWER}}],
            "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28},
        })


def test_the_openai_v2_instrumentation_emits_a_generation_that_arrives(app, factory, monkeypatch):
    import openai
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    project = factory.project()
    with serving(app) as (url, _):
        processor = PostHogSpanProcessor(api_key=project.api_token, host=url)
        provider = TracerProvider(resource=Resource.create({"posthog.distinct_id": "customer-9"}))
        provider.add_span_processor(processor)
        instrumentor = OpenAIInstrumentor()
        instrumentor.instrument(tracer_provider=provider)
        try:
            model = openai.OpenAI(api_key="sk-test", http_client=httpx.Client(transport=StubOpenAI()))
            model.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTION}])
        finally:
            instrumentor.uninstrument()
            assert processor.force_flush(10_000)
            provider.shutdown()
    [event] = events_of(project.id)
    props = event.properties
    assert event.event == "$ai_generation"
    assert (props["$ai_model"], props["$ai_input_tokens"], props["$ai_output_tokens"]) == (
        "gpt-4o-mini-2024-07-18", 21, 7)
    assert event.distinct_id == "customer-9"
    assert trace_of(project.id, event.trace_id).models == ["gpt-4o-mini-2024-07-18"]
    assert QUESTION in json.dumps(props["$ai_input"]) and ANSWER in json.dumps(props["$ai_output_choices"])


def test_nothing_is_stored_for_an_unknown_token(app, factory):
    project = factory.project()
    with serving(app) as (url, _):
        exporter = OTLPSpanExporter(endpoint=f"{url}/i/v0/ai/otel", headers={"Authorization": "Bearer phc_wrong"})
        with tracer_with(SimpleSpanProcessor(exporter)) as tracer:
            agent_trace(tracer)
    assert events_of(project.id) == []
