"""Hand-made spans in each convention PostHog reads (the GenAI conventions old and new, OpenLLMetry in Python and
Go, the Vercel AI SDK, Pydantic AI / Logfire, Anthropic, OpenInference, LangWatch), sent by posthog[otel]'s
PostHogSpanProcessor to a live server: each arrives as the `$ai_*` event PostHog would make of it."""
from __future__ import annotations

import json

import pytest
from posthog.ai.otel import PostHogSpanProcessor

from tests.capture.otel_support import by_name, serving, trace_of, tracer_with


@pytest.fixture
def send(app, factory):
    """Send spans built by `build(tracer)`; the events stored, by span name."""
    project = factory.project()

    def do_send(build, **resource):
        with serving(app) as (url, _):
            with tracer_with(PostHogSpanProcessor(api_key=project.api_token, host=url), **resource) as tracer:
                build(tracer)
        return by_name(project.id)

    do_send.project = project
    return do_send


def test_openllmetry_indexed_prompts_completions_and_functions(send):
    def build(tracer):
        with tracer.start_as_current_span("support.workflow", attributes={
                "traceloop.span.kind": "workflow", "traceloop.entity.name": "support"}):
            with tracer.start_as_current_span("openai.chat", attributes={
                "llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
                "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Where is order 1234?",
                "gen_ai.prompt.1.role": "assistant", "gen_ai.prompt.1.tool_calls.0.id": "call_1",
                "gen_ai.prompt.1.tool_calls.0.name": "lookup_order",
                "gen_ai.prompt.1.tool_calls.0.arguments": '{"order": 1234}',
                "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Friday.",
                "llm.request.functions.0.name": "lookup_order", "llm.request.functions.0.description": "Find it",
                "llm.request.functions.0.parameters": '{"type": "object"}',
                "gen_ai.usage.prompt_tokens": 30, "gen_ai.usage.completion_tokens": 4,
                "traceloop.association.properties.tenant": "acme", "llm.is_streaming": False,
            }):
                pass

    events = send(build)
    assert events["support.workflow"].event == "$ai_trace"
    chat = events["openai.chat"]
    props = chat.properties
    assert chat.event == "$ai_generation"
    assert props["$ai_input"] == [
        {"role": "user", "content": "Where is order 1234?"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "name": "lookup_order", "arguments": '{"order": 1234}'}]},
    ]
    assert props["$ai_output_choices"] == [{"role": "assistant", "content": "Friday."}]
    assert props["$ai_tools"] == [{"name": "lookup_order", "description": "Find it", "parameters": {"type": "object"}}]
    assert (props["$ai_model"], props["$ai_provider"], props["$ai_input_tokens"], props["$ai_output_tokens"]) == (
        "gpt-4o", "openai", 30, 4)
    assert props["$ai_lib"] == "opentelemetry/traceloop"
    assert not [key for key in props if key.startswith(("traceloop.", "gen_ai.prompt", "llm.request.functions"))]


def test_go_openllmetry_llm_prefixed_attributes(send):
    def build(tracer):
        with tracer.start_as_current_span("openai.chat", attributes={
            "llm.request.type": "chat", "llm.vendor": "openai", "llm.request.model": "gpt-4o-mini",
            "llm.prompts.0.role": "user", "llm.prompts.0.content": "Hi", "llm.completions.0.role": "assistant",
            "llm.completions.0.content": "Hello!", "llm.usage.prompt_tokens": 5, "llm.usage.completion_tokens": 2,
            "llm.response.finish_reason": "stop",
        }):
            pass

    props = send(build)["openai.chat"].properties
    assert props["$ai_input"] == [{"role": "user", "content": "Hi"}]
    assert props["$ai_output_choices"] == [{"role": "assistant", "content": "Hello!"}]
    assert (props["$ai_model"], props["$ai_provider"], props["$ai_input_tokens"], props["$ai_stop_reason"]) == (
        "gpt-4o-mini", "openai", 5, "stop")


def test_vercel_ai_sdk_call_generation_and_tool(send):
    metadata = {"ai.telemetry.metadata.posthog_distinct_id": "user-7", "ai.telemetry.metadata.$ai_session_id": "s-1",
                "ai.telemetry.metadata.posthog_plan": "pro"}

    def build(tracer):
        with tracer.start_as_current_span("ai.generateText", attributes={
            "ai.operationId": "ai.generateText", "ai.telemetry.functionId": "support-bot",
            "ai.prompt": json.dumps({"system": "Be brief.", "prompt": "Where is order 1234?"}),
            "ai.response.text": "Friday.", **metadata,
        }):
            with tracer.start_as_current_span("ai.generateText.doGenerate", attributes={
                "ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "gpt-4o", "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 40, "gen_ai.usage.output_tokens": 9,
                "ai.prompt.messages": json.dumps([{"role": "user", "content": [{"type": "text",
                                                                                 "text": "Where is order 1234?"}]}]),
                "ai.response.text": "Friday.", "ai.response.finishReason": "stop", **metadata,
            }):
                pass
            with tracer.start_as_current_span("ai.toolCall", attributes={
                "ai.operationId": "ai.toolCall", "ai.toolCall.name": "lookup_order",
                "ai.toolCall.args": '{"order": 1234}', "ai.toolCall.result": '{"eta": "Friday"}',
            }):
                pass

    events = send(build)
    root = events["support-bot"]
    assert root.event == "$ai_trace" and root.distinct_id == "user-7"
    assert root.properties["$ai_input_state"] == {"role": "user", "content": "Where is order 1234?"}
    assert root.properties["$ai_output_state"] == {"role": "assistant", "content": "Friday."}
    assert (root.properties["$ai_session_id"], root.properties["plan"]) == ("s-1", "pro")
    generation = events["ai.generateText.doGenerate"]
    assert generation.event == "$ai_generation" and generation.distinct_id == "user-7"
    props = generation.properties
    assert (props["$ai_model"], props["$ai_input_tokens"], props["$ai_stop_reason"], props["$ai_lib"]) == (
        "gpt-4o", 40, "stop", "opentelemetry/vercel-ai")
    assert not [key for key in props if key.startswith(("ai.model.", "ai.telemetry.", "ai.response."))]
    tool = events["lookup_order"].properties
    assert (tool["$ai_input_state"], tool["$ai_output_state"]) == ({"order": 1234}, {"eta": "Friday"})
    assert trace_of(send.project.id, root.trace_id).session_id == "s-1"


def test_pydantic_ai_agent_run_tool_and_logfire_events(send):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is order 1234?"},
                {"role": "assistant", "content": "Friday."}]

    def build(tracer):
        with tracer.start_as_current_span("agent run", attributes={
            "gen_ai.agent.name": "support", "model_name": "gpt-4o", "logfire.msg": "support run",
            "pydantic_ai.all_messages": json.dumps(messages), "final_result": "Friday.",
        }):
            with tracer.start_as_current_span("chat gpt-4o", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.system": "openai",
                "events": json.dumps([
                    {"event.name": "gen_ai.user.message", "content": "Where is order 1234?"},
                    {"event.name": "gen_ai.choice", "message": {"role": "assistant", "content": "Friday."}},
                ]),
                "model_request_parameters": "{}",
            }):
                pass
            with tracer.start_as_current_span("running tool", attributes={
                "gen_ai.tool.name": "lookup_order", "tool_arguments": '{"order": 1234}',
                "tool_response": '{"eta": "Friday"}', "logfire.msg": "running tool: lookup_order",
            }):
                pass

    events = send(build)
    root = events["support"]
    assert root.event == "$ai_trace"
    assert root.properties["$ai_input_state"] == {"role": "user", "content": "Where is order 1234?"}
    assert (root.properties["$ai_output_state"], root.properties["$ai_model"]) == ("Friday.", "gpt-4o")
    chat = events["chat gpt-4o"].properties
    assert chat["$ai_input"] == [{"role": "user", "content": "Where is order 1234?"}]
    assert chat["$ai_output_choices"] == [{"role": "assistant", "content": "Friday."}]
    assert chat["$ai_lib"] == "opentelemetry/pydantic-ai" and "events" not in chat
    tool = events["lookup_order"].properties
    assert (tool["$ai_input_state"], tool["$ai_output_state"]) == ({"order": 1234}, {"eta": "Friday"})


def test_openinference_llm_and_agent_spans(send):
    def build(tracer):
        with tracer.start_as_current_span("agent", attributes={
            "openinference.span.kind": "AGENT", "input.value": "Where is order 1234?", "output.value": "Friday.",
            "session.id": "s-9", "llm.system": "openai",
        }):
            with tracer.start_as_current_span("ChatCompletion", attributes={
                "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "llm.provider": "openai",
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "Where is order 1234?",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup_order",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"order": 1234}',
                "llm.tools.0.tool.json_schema": '{"name": "lookup_order"}',
                "llm.token_count.prompt": 12, "llm.token_count.completion": 3,
                "llm.invocation_parameters": '{"temperature": 0}',
            }):
                pass

    events = send(build)
    agent = events["agent"]
    assert agent.event == "$ai_trace" and agent.properties["$ai_session_id"] == "s-9"
    llm = events["ChatCompletion"]
    props = llm.properties
    assert llm.event == "$ai_generation"
    assert props["$ai_input"] == [{"role": "user", "content": "Where is order 1234?"}]
    assert props["$ai_output_choices"] == [{"role": "assistant", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"order": 1234}'}}]}]
    assert props["$ai_tools"] == [{"name": "lookup_order"}]
    assert (props["$ai_model"], props["$ai_input_tokens"], props["$ai_model_parameters"]) == (
        "gpt-4o", 12, {"temperature": 0})


def test_anthropic_cache_writes_stop_reason_and_tool(send):
    def build(tracer):
        with tracer.start_as_current_span("chat claude", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4", "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.cache_write.input_tokens": 50, "anthropic.message.stop_reason": "end_turn",
            "anthropic.session.id": "claude-session",
        }):
            with tracer.start_as_current_span("execute_tool lookup_order", attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order",
                "gen_ai.tool.call.arguments": '{"order": 1234}', "anthropic.tool_result.content": "Friday",
            }):
                pass

    events = send(build)
    chat = events["chat claude"].properties
    assert (chat["$ai_cache_creation_input_tokens"], chat["$ai_stop_reason"], chat["$ai_session_id"]) == (
        50, "end_turn", "claude-session")
    assert chat["$ai_lib"] == "opentelemetry/anthropic"
    tool = events["lookup_order"].properties
    assert (tool["$ai_input_state"], tool["$ai_output_state"]) == ({"order": 1234}, "Friday")


def test_langwatch_input_and_output(send):
    def build(tracer):
        with tracer.start_as_current_span("chat", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
            "langwatch.input": json.dumps({"type": "chat_messages", "value": [{"role": "user", "content": "Hi"}]}),
            "langwatch.output": json.dumps({"type": "text", "value": "Hello!"}),
        }):
            pass

    props = send(build)["chat"].properties
    assert props["$ai_input"] == [{"role": "user", "content": "Hi"}]
    assert props["$ai_output_choices"] == [{"role": "assistant", "content": "Hello!"}]


def test_older_genai_conventions_and_embeddings(send):
    def build(tracer):
        with tracer.start_as_current_span("embeddings text-embedding-3-small", attributes={
            "gen_ai.operation.name": "embeddings", "gen_ai.system": "openai",
            "gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.prompt_tokens": 8,
            "$ai_session_id": "explicit-session",
        }):
            pass

    event = send(build, **{"user.id": "resource-user"})["embeddings text-embedding-3-small"]
    assert event.event == "$ai_embedding" and event.distinct_id == "resource-user"
    assert (event.properties["$ai_provider"], event.properties["$ai_model"], event.properties["$ai_input_tokens"]) == (
        "openai", "text-embedding-3-small", 8)
    assert event.properties["$ai_session_id"] == "explicit-session"
