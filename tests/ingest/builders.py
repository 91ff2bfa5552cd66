"""Events shaped as PostHog's SDKs send them, for the capture, ingest and import tests."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def event(name: str, trace_id: str, seconds: float = 0, event_uuid: str | None = "auto",
          distinct_id: str = "user-1", **properties: Any) -> dict[str, Any]:
    body = {
        "event": name,
        "distinct_id": distinct_id,
        "timestamp": at(seconds),
        "properties": {"$ai_trace_id": trace_id, **properties},
    }
    if event_uuid == "auto":
        body["uuid"] = str(uuid.uuid4())
    elif event_uuid is not None:
        body["uuid"] = event_uuid
    return body


def generation(trace_id: str, seconds: float = 0, *, question: str = "What is the refund policy?",
               answer: str = "You can return items within 30 days.", model: str = "gpt-4o-mini",
               input_tokens: int = 100, output_tokens: int = 20, input_cost: float = 0.001,
               output_cost: float = 0.002, latency: float = 1.5, **properties: Any) -> dict[str, Any]:
    return event(
        "$ai_generation", trace_id, seconds,
        **{
            "$ai_model": model,
            "$ai_provider": "openai",
            "$ai_input": [
                {"role": "system", "content": "You are a helpful support agent."},
                {"role": "user", "content": question},
            ],
            "$ai_output_choices": [{"role": "assistant", "content": answer}],
            "$ai_input_tokens": input_tokens,
            "$ai_output_tokens": output_tokens,
            "$ai_input_cost_usd": input_cost,
            "$ai_output_cost_usd": output_cost,
            "$ai_latency": latency,
            **properties,
        },
    )


def span(trace_id: str, seconds: float = 0, name: str = "retrieve", latency: float = 0.5,
         **properties: Any) -> dict[str, Any]:
    return event("$ai_span", trace_id, seconds, **{"$ai_span_name": name, "$ai_latency": latency, **properties})


def root(trace_id: str, seconds: float = 0, name: str = "support chat", latency: float | None = 4.0,
         **properties: Any) -> dict[str, Any]:
    props = {"$ai_span_name": name, **properties}
    if latency is not None:
        props["$ai_latency"] = latency
    return event("$ai_trace", trace_id, seconds, **props)
