"""Build traces for tests the way they really arrive: PostHog-shaped events through the ingest service."""
from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from reviewapp.services import ingest

BASE_TIME = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
_seq = itertools.count(1)


def at(minutes: float = 0, base: datetime = BASE_TIME) -> str:
    return (base + timedelta(minutes=minutes)).isoformat()


def event(name: str, trace_id: str, when: str, distinct_id: str = "user-1", **props: Any) -> dict[str, Any]:
    properties = {"$ai_trace_id": trace_id}
    properties.update({(k if k.startswith("$") else f"$ai_{k}"): v for k, v in props.items()})
    return {"event": name, "uuid": str(uuid.uuid4()), "distinct_id": distinct_id, "timestamp": when,
            "properties": properties}


def generation(trace_id: str, when: str, *, model: str = "gpt-4o-mini", input: Any = None, output: Any = None,
               **props: Any) -> dict[str, Any]:
    props.setdefault("provider", "openai")
    props.setdefault("input_tokens", 10)
    props.setdefault("output_tokens", 5)
    props.setdefault("total_cost_usd", 0.001)
    props.setdefault("latency", 0.5)
    return event("$ai_generation", trace_id, when, model=model,
                 input=input if input is not None else [{"role": "user", "content": "Hello"}],
                 output_choices=output if output is not None else [{"role": "assistant", "content": "Hi there"}],
                 **props)


def span(trace_id: str, when: str, span_id: str, **props: Any) -> dict[str, Any]:
    return event("$ai_span", trace_id, when, span_id=span_id, **props)


def root(trace_id: str, when: str, name: str, **props: Any) -> dict[str, Any]:
    return event("$ai_trace", trace_id, when, span_name=name, **props)


def store(project_id: int, events: list[dict[str, Any]]) -> None:
    ingest.ingest_batch(project_id, events)


def chat_trace(project_id: int, trace_id: str | None = None, *, minutes: float = 0, model: str = "gpt-4o-mini",
               question: str = "What is the capital of France?", answer: str = "Paris.",
               error: bool = False, name: str | None = None, distinct_id: str = "user-1",
               cost: float = 0.001, latency: float = 0.5, input_tokens: int = 10) -> str:
    """A one-generation trace; returns its id."""
    trace_id = trace_id or f"trace-{next(_seq)}"
    extra: dict[str, Any] = {"is_error": True, "error": "Rate limited", "http_status": 429} if error else {}
    events = [generation(trace_id, at(minutes), model=model, distinct_id=distinct_id,
                         input=[{"role": "user", "content": question}],
                         output=[{"role": "assistant", "content": answer}],
                         total_cost_usd=cost, latency=latency, input_tokens=input_tokens, **extra)]
    if name:
        events.insert(0, root(trace_id, at(minutes), name, distinct_id=distinct_id))
    store(project_id, events)
    return trace_id


def sign_in(client, user, next_url: str, password: str | None = None):
    """Sign in through the real form, landing on `next_url` (so the test does not depend on the home page)."""
    from tests.conftest import csrf_token_from
    from tests.support.factories import Factory

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": password or Factory.PASSWORD,
                                           "csrf_token": token, "next": next_url})
    assert response.status_code == 302 and response.location.endswith(next_url), response.location
    return response


SYSTEM_PROMPT = "You are a weather assistant. Use the tools; answer in one short paragraph."


def agent_events(trace_id: str = "agent-1", minutes: float = 0) -> list[dict[str, Any]]:
    """A tool-using agent: a root, a planning span with a generation, a tool span, a second generation that
    continues the conversation, a failing generation whose parent was never sent, and a metric."""
    def t(seconds: float) -> str:
        return at(minutes + seconds / 60)

    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'}}
    history = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "What's the weather in Paris?"},
    ]
    return [
        root(trace_id, t(0), "Weather agent", latency=3.25, session_id="session-7",
             input_state={"question": "What's the weather in Paris?"}, output_state={"answer": "18 °C, light rain"}),
        span(trace_id, t(1), "span-plan", span_name="plan", parent_id=trace_id, latency=1.1),
        generation(trace_id, t(2), span_id="gen-1", parent_id="span-plan", model="gpt-4o",
                   input=history, output=[{"role": "assistant", "content": None, "tool_calls": [call]}],
                   input_tokens=120, output_tokens=18, total_cost_usd=0.00042, latency=0.8),
        span(trace_id, t(3), "span-tool", span_name="get_weather", parent_id=trace_id, latency=0.2,
             input_state={"city": "Paris"}, output_state={"temp_c": 18, "conditions": "light rain"}),
        generation(trace_id, t(4), span_id="gen-2", parent_id=trace_id, model="gpt-4o",
                   input=history + [
                       {"role": "assistant", "content": None, "tool_calls": [call]},
                       {"role": "tool", "tool_call_id": "call_1",
                        "content": '{"temp_c": 18, "conditions": "light rain"}'},
                   ],
                   output=[{"role": "assistant",
                            "content": "It is **18 °C** in Paris with light rain.\n\n- bring an umbrella"}],
                   input_tokens=160, output_tokens=25, total_cost_usd=0.00061, latency=0.9),
        generation(trace_id, t(5), span_id="gen-3", parent_id="never-sent", model="gpt-4o-mini",
                   input=[{"role": "user", "content": "Summarise the forecast"}], output=[],
                   is_error=True, error="Rate limit exceeded", http_status=429,
                   input_tokens=0, output_tokens=0, total_cost_usd=0, latency=0.1),
        event("$ai_metric", trace_id, t(6), metric_name="helpfulness", metric_value=4),
    ]


def agent_trace(project_id: int, trace_id: str = "agent-1", minutes: float = 0) -> str:
    store(project_id, agent_events(trace_id, minutes))
    return trace_id


def chain_events(trace_id: str, depth: int) -> list[dict[str, Any]]:
    """A root and `depth` spans, each the parent of the next: the deepest tree `depth` spans can make."""
    return [root(trace_id, at(0), "Deep chain")] + [
        span(trace_id, at(i / 1000), f"s{i}", span_name=f"step {i}", parent_id=f"s{i - 1}" if i else trace_id)
        for i in range(depth)
    ]


def chain_trace(project_id: int, trace_id: str = "deep", depth: int = 400) -> str:
    store(project_id, chain_events(trace_id, depth))
    return trace_id
