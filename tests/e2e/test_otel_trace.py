"""An agent traced with OpenTelemetry (GenAI conventions, sent by posthog[otel]'s PostHogSpanProcessor) reads in
Chromium as an SDK-sent trace does: the conversation as bubbles with the tool call and its result, and the span
tree with each call's model, latency and tokens."""
import json
import time

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from posthog.ai.otel import PostHogSpanProcessor

pytestmark = pytest.mark.e2e

SYSTEM = [{"type": "text", "content": "You are the support agent of an online shop. Be brief."}]
QUESTION = {"role": "user", "parts": [{"type": "text", "content": "Where is my order 1234?"}]}
CALL = {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup_order",
                                        "arguments": {"order": 1234}}]}
RESULT = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1",
                                     "response": {"status": "shipped", "eta": "Friday"}}]}
ANSWER = {"role": "assistant", "parts": [{"type": "text", "content": "Your order 1234 has shipped and arrives on "
                                                                    "Friday."}], "finish_reason": "stop"}


def chat(tracer, inputs: list, output: dict, tokens: tuple[int, int]) -> None:
    with tracer.start_as_current_span("chat gpt-4o-mini", attributes={
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini", "gen_ai.system_instructions": json.dumps(SYSTEM),
        "gen_ai.input.messages": json.dumps(inputs), "gen_ai.output.messages": json.dumps([output]),
        "gen_ai.usage.input_tokens": tokens[0], "gen_ai.usage.output_tokens": tokens[1],
    }):
        time.sleep(0.03)


def send_agent(url: str, token: str) -> str:
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-assistant",
                                                        "posthog.distinct_id": "customer-42"}))
    processor = PostHogSpanProcessor(api_key=token, host=url)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("shop")
    with tracer.start_as_current_span("invoke_agent support", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support",
            "gen_ai.conversation.id": "chat-42"}) as agent:
        chat(tracer, [QUESTION], CALL, (96, 18))
        with tracer.start_as_current_span("execute_tool lookup_order", attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order"}):
            time.sleep(0.02)
        chat(tracer, [QUESTION, CALL, RESULT], ANSWER, (142, 21))
    assert processor.force_flush(10_000)
    provider.shutdown()
    return format(agent.get_span_context().trace_id, "032x")


def test_an_otel_agent_trace_reads_as_conversation_and_tree(page, live_server, sign_in, factory, screenshot):
    project = factory.project("Shop assistant")
    user = factory.user(project=project, role="reviewer")
    trace_id = send_agent(live_server.url, project.api_token)
    sign_in(page, user, f"/projects/{project.id}/traces/{trace_id}")
    screenshot(page, "otel_trace")

    bubbles = page.locator(".chat .bubble")
    roles = bubbles.evaluate_all("els => els.map(e => e.className.replace('bubble bubble-', ''))")
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert "arrives on Friday" in bubbles.nth(4).inner_text()
    call = page.locator("details.tool-call").first
    assert json.loads(call.locator("pre").inner_text()) == {"order": 1234}
    assert json.loads(page.locator("details.tool-result pre").first.inner_text()) == {
        "status": "shipped", "eta": "Friday"}

    names = page.locator(".tree-node").evaluate_all(
        "els => els.map(e => e.querySelector('.node-name').textContent)")
    assert names == ["invoke_agent support", "chat gpt-4o-mini", "execute_tool lookup_order", "chat gpt-4o-mini"]
    metrics = page.locator(".tree-node").nth(1).locator(":scope > details > summary .metric").all_inner_texts()
    assert "96 → 18" in metrics
