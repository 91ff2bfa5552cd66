"""The steps one instrumentation library's spans get around the generic OTel mapping (PostHog's "middlewares"):
Pydantic AI / Logfire, Traceloop / OpenLLMetry, the Vercel AI SDK, Anthropic, LangWatch and OpenInference. The
first whose marker a span has runs; a span with none gets the generic mapping only."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from reviewapp.services.ingest.otel import SPAN, TRACE, Draft, generic_mapping, parsed
from reviewapp.services.ingest.otlp import Span

MAX_STOP_REASON = 64


@dataclass(frozen=True)
class Convention:
    """A library's steps, run on a span that has one of its marker keys or a key with its marker prefix."""

    keys: frozenset[str]
    prefix: str | None
    before: Callable[[Draft], None] | None
    after: Callable[[Draft], None] | None

    def marked(self, props: dict[str, Any]) -> bool:
        if not self.keys.isdisjoint(props):
            return True
        return self.prefix is not None and any(map(str.startswith, props, repeat(self.prefix)))  # no frame per key


def apply_convention(draft: Draft, span: Span) -> None:
    convention = _marked_convention(draft.properties)
    if convention and convention.before:
        convention.before(draft)
    generic_mapping(draft, span)
    if convention and convention.after:
        convention.after(draft)


def _marked_convention(props: dict[str, Any]) -> Convention | None:
    """The first convention whose marker the span has. Most spans have none: two checks in C tell so, instead of
    asking each convention in turn."""
    if ANY_MARKER_KEY.isdisjoint(props) and not any(map(str.startswith, props, repeat(ANY_MARKER_PREFIX))):
        return None
    return next((convention for convention in CONVENTIONS if convention.marked(props)), None)


def _drop(props: dict[str, Any], *keys: str) -> None:
    for key in keys:
        props.pop(key, None)


def _fill(props: dict[str, Any], target: str, *sources: str) -> None:
    """Set `target` from the first source present, if it is unset; every source is removed."""
    for source in sources:
        if source in props:
            value = props.pop(source)
            if target not in props and value not in (None, ""):
                props[target] = value


def _stop_reason(value: Any) -> str | None:
    return value[:MAX_STOP_REASON] if isinstance(value, str) and value else None


def _indexed(props: dict[str, Any], prefix: str, fields: tuple[str, ...], nested: str | None = None,
             nested_prefix: str = "") -> list[dict[str, Any]]:
    """Messages rebuilt from indexed attributes `<prefix><i>.<field>` (and `<prefix><i>.<nested>.<j>.<field>`),
    in index order; the keys read are removed."""
    entries: dict[int, dict[str, Any]] = {}
    nested_entries: dict[int, dict[int, dict[str, Any]]] = {}
    for key in [k for k in props if k.startswith(prefix)]:
        digits, _, rest = key[len(prefix):].partition(".")
        if not digits.isdigit() or not rest:
            continue
        if rest in fields:
            entries.setdefault(int(digits), {})[rest] = props.pop(key)
        elif nested and rest.startswith(nested + "."):
            position, _, name = rest[len(nested) + 1:].partition(".")
            if position.isdigit() and name.startswith(nested_prefix) and name[len(nested_prefix):]:
                calls = nested_entries.setdefault(int(digits), {})
                calls.setdefault(int(position), {})[name[len(nested_prefix):]] = props.pop(key)
                entries.setdefault(int(digits), {})
    messages = []
    for index in sorted(entries):
        message = entries[index]
        if index in nested_entries:
            message[nested or "tool_calls"] = [nested_entries[index][j] for j in sorted(nested_entries[index])]
        messages.append(message)
    return messages


# --- Pydantic AI / Logfire ----------------------------------------------------------------------------

def _pydantic_after(draft: Draft) -> None:
    props = draft.properties
    if "$ai_span_name" not in props and isinstance(props.get("logfire.msg"), str):
        props["$ai_span_name"] = props["logfire.msg"]
    outputs = props.get("$ai_output_choices")
    if "$ai_stop_reason" not in props and isinstance(outputs, list):
        reason = next((m["finish_reason"] for m in outputs if isinstance(m, dict) and m.get("finish_reason")), None)
        if (stop := _stop_reason(reason)) is not None:
            props["$ai_stop_reason"] = stop
    if draft.event == TRACE or "pydantic_ai.all_messages" in props:
        _pydantic_agent_run(props)
    elif draft.event == SPAN:
        _pydantic_tool(props)
    props["$ai_lib"] = "opentelemetry/pydantic-ai"
    _drop(props, "logfire.json_schema", "logfire.msg", "operation.cost", "model_request_parameters", "model_name",
          "gen_ai.usage.details.input_tokens", "gen_ai.usage.details.output_tokens")


def _pydantic_agent_run(props: dict[str, Any]) -> None:
    messages = parsed(props.pop("pydantic_ai.all_messages", None))
    if isinstance(messages, list):
        user = next((m for m in messages if isinstance(m, dict) and m.get("role") == "user"), None)
        if user is not None:
            props["$ai_input_state"] = user
        if "final_result" not in props:
            last = next((m for m in reversed(messages) if isinstance(m, dict)
                         and m.get("role") not in ("user", "system")), None)
            if last is not None:
                props["$ai_output_state"] = last
    if "final_result" in props:
        props["$ai_output_state"] = parsed(props.pop("final_result"))
    name = props.pop("gen_ai.agent.name", None) or props.pop("agent_name", None)
    if name:
        props["$ai_span_name"] = name
    _drop(props, "agent_name", "gen_ai.agent.name")
    if "$ai_model" not in props and props.get("model_name"):
        props["$ai_model"] = props["model_name"]


def _pydantic_tool(props: dict[str, Any]) -> None:
    for target, sources in (("$ai_input_state", ("gen_ai.tool.call.arguments", "tool_arguments")),
                            ("$ai_output_state", ("gen_ai.tool.call.result", "tool_response"))):
        for source in sources:
            if source in props:
                value = parsed(props.pop(source))
                props.setdefault(target, value)
    if props.get("gen_ai.tool.name"):
        props["$ai_span_name"] = props.pop("gen_ai.tool.name")
    _drop(props, "gen_ai.tool.name", "gen_ai.tool.call.id")


# --- Traceloop / OpenLLMetry --------------------------------------------------------------------------

def _traceloop_after(draft: Draft) -> None:
    props = draft.properties
    _traceloop_messages(props)
    _fill(props, "$ai_model", "llm.response.model", "llm.request.model")
    _fill(props, "$ai_input_tokens", "llm.usage.prompt_tokens")
    _fill(props, "$ai_output_tokens", "llm.usage.completion_tokens")
    _fill(props, "$ai_provider", "llm.vendor")
    _fill(props, "$ai_stop_reason", "llm.response.stop_reason", "llm.response.finish_reason")
    props["$ai_lib"] = "opentelemetry/traceloop"
    _drop(props, "traceloop.span.kind", "traceloop.entity.name", "traceloop.entity.path", "traceloop.workflow.name",
          "traceloop.entity.input", "traceloop.entity.output", "llm.is_streaming", "llm.usage.total_tokens")
    for key in [k for k in props if k.startswith("traceloop.association.properties.")]:
        del props[key]


def _traceloop_messages(props: dict[str, Any]) -> None:
    """Prompts, completions and functions from OpenLLMetry's indexed attributes (go-openllmetry's `llm.*` too)."""
    if "$ai_input" not in props:
        prompts = (_indexed(props, "gen_ai.prompt.", ("role", "content", "tool_call_id"), "tool_calls")
                   or _indexed(props, "llm.prompts.", ("role", "content", "tool_call_id"), "tool_calls"))
        if prompts:
            props["$ai_input"] = prompts
    if "$ai_output_choices" not in props:
        completions = (_indexed(props, "gen_ai.completion.", ("role", "content", "finish_reason"), "tool_calls")
                       or _indexed(props, "llm.completions.", ("role", "content", "finish_reason"), "tool_calls"))
        if completions:
            props["$ai_output_choices"] = completions
    if "$ai_tools" not in props:
        functions = _indexed(props, "llm.request.functions.", ("name", "description", "parameters"))
        if functions:
            for function in functions:
                if "parameters" in function:
                    function["parameters"] = parsed(function["parameters"])
            props["$ai_tools"] = functions


# --- Vercel AI SDK (and Eve) --------------------------------------------------------------------------

VERCEL_TOP_LEVEL = ("ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject")
VERCEL_METADATA = ("ai.telemetry.metadata.", "ai.settings.context.")
VERCEL_STRIPPED_PREFIXES = ("ai.model.", "ai.usage.", "ai.response.", "ai.schema", "ai.telemetry.metadata.",
                            "ai.settings.context.", "ai.request.headers.")
VERCEL_STRIPPED = ("ai.operationId", "ai.telemetry.functionId", "ai.settings.maxRetries",
                   "ai.settings.maxOutputTokens", "ai.settings.output", "ai.prompt", "ai.prompt.tools",
                   "ai.prompt.toolChoice", "ai.value", "ai.values", "ai.embedding", "ai.embeddings",
                   "operation.name", "resource.name", "eve.session.id", "gen_ai.request.max_tokens",
                   "gen_ai.response.id")


def _vercel_prompt(value: Any) -> list[Any] | None:
    value = parsed(value)
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [{"role": "user", "content": value}] if value else None
    if not isinstance(value, dict):
        return None
    messages: list[Any] = []
    if value.get("system"):
        messages.append({"role": "system", "content": value["system"]})
    if isinstance(value.get("messages"), list):
        messages.extend(value["messages"])
    elif value.get("prompt"):
        messages.append({"role": "user", "content": value["prompt"]})
    return messages or None


def _vercel_before(draft: Draft) -> None:
    props = draft.properties
    if "ai.prompt.messages" in props:
        props.setdefault("gen_ai.input.messages", parsed(props.pop("ai.prompt.messages")))
    elif "ai.prompt" in props and (messages := _vercel_prompt(props["ai.prompt"])) is not None:
        props.setdefault("gen_ai.input.messages", messages)
    if isinstance(props.get("ai.response.text"), str):
        props.setdefault("gen_ai.output.messages", [{"role": "assistant", "content": props["ai.response.text"]}])
    tools = props.get("ai.prompt.tools")
    if isinstance(tools, list) and "gen_ai.tool.definitions" not in props:
        props["gen_ai.tool.definitions"] = [parsed(tool) for tool in tools]
    for prefix in VERCEL_METADATA:
        if f"{prefix}$groups" in props and "$groups" not in props:
            props["$groups"] = parsed(props[f"{prefix}$groups"])
    if any(key.startswith("ai.usage.inputTokenDetails.") for key in props):
        props["$ai_cache_reporting_exclusive"] = False


def _vercel_after(draft: Draft) -> None:
    props = draft.properties
    operation_id = props.get("ai.operationId")
    top_level = draft.event == TRACE or (operation_id in VERCEL_TOP_LEVEL and draft.event == SPAN)
    _vercel_states(props, top_level)
    if props.get("ai.telemetry.functionId") is not None:
        props["functionId"] = props["ai.telemetry.functionId"]
    _vercel_metadata(draft, top_level)
    if props.get("$ai_span_name") == "ai.eve.turn":
        props.pop("$ai_parent_id", None)  # Eve's turn is the trace's root on purpose
    if isinstance(props.get("eve.session.id"), str):
        props["$ai_session_id"] = props["eve.session.id"]
    _vercel_usage(props)
    props["$ai_lib"] = "opentelemetry/vercel-ai"
    props.setdefault("$ai_framework", "eve" if any(k.startswith("eve.") for k in props) else "vercel")
    for key in [k for k in props if k.startswith(VERCEL_STRIPPED_PREFIXES)]:
        del props[key]
    _drop(props, *VERCEL_STRIPPED)


def _vercel_states(props: dict[str, Any], top_level: bool) -> None:
    """A top-level call's and a tool call's input and output, and the name they are shown by."""
    if top_level:
        inputs = props.get("$ai_input")
        if isinstance(inputs, list):
            user = next((m for m in reversed(inputs) if isinstance(m, dict) and m.get("role") == "user"), None)
            if user is not None:
                props["$ai_input_state"] = user
        outputs = props.get("$ai_output_choices")
        if isinstance(outputs, list) and outputs:
            props["$ai_output_state"] = outputs[-1]
        if props.get("ai.telemetry.functionId"):
            props["$ai_span_name"] = props["ai.telemetry.functionId"]
    if props.get("ai.operationId") == "ai.toolCall":
        if props.get("ai.toolCall.name"):
            props["$ai_span_name"] = props["ai.toolCall.name"]
        if "ai.toolCall.args" in props:
            props["$ai_input_state"] = parsed(props["ai.toolCall.args"])
        if "ai.toolCall.result" in props:
            props["$ai_output_state"] = parsed(props["ai.toolCall.result"])


def _vercel_usage(props: dict[str, Any]) -> None:
    reason = props.get("ai.response.finishReason")
    if reason is None and isinstance(props.get("$ai_stop_reason"), list) and props["$ai_stop_reason"]:
        reason = props["$ai_stop_reason"][0]
    if reason is not None:
        props["$ai_stop_reason"] = reason
    reasoning = props.get("ai.usage.outputTokenDetails.reasoningTokens")
    if isinstance(reasoning, int):
        props["$ai_reasoning_tokens"] = reasoning
        text = props.get("ai.usage.outputTokenDetails.textTokens")
        output = props.get("$ai_output_tokens")
        if isinstance(text, int):
            props["$ai_text_output_tokens"] = text
        elif isinstance(output, int):
            props["$ai_text_output_tokens"] = max(output - reasoning, 0)


def _vercel_metadata(draft: Draft, top_level: bool) -> None:
    """Per-call identity and the `posthog_*` / `$ai_*` metadata an app attaches to the AI SDK's telemetry."""
    props = draft.properties
    for prefix in VERCEL_METADATA:
        distinct_id = props.get(f"{prefix}posthog_distinct_id")
        if isinstance(distinct_id, str) and distinct_id.strip():
            draft.distinct_id = distinct_id.strip()[:200]
            props["posthog_distinct_id"] = distinct_id
            break
    for prefix in VERCEL_METADATA:
        for name in ("$ai_session_id", "$ai_prompt_name", "$ai_prompt_version", "$ai_span_name"):
            value = props.get(prefix + name)
            if value in (None, "") or (name == "$ai_prompt_version" and isinstance(value, int) and value <= 0):
                continue
            if name == "$ai_span_name" and not top_level:
                continue
            props[name] = value
        for key in [k for k in props if k.startswith(prefix + "posthog_")]:
            name = key[len(prefix) + len("posthog_"):]
            if name and not name.startswith("$") and name != "distinct_id" and name not in props:
                props[name] = props[key]
        for key in [k for k in props if k.startswith(prefix + "eve.")]:
            props.setdefault(key[len(prefix):], props[key])


# --- Anthropic ----------------------------------------------------------------------------------------

def _anthropic_after(draft: Draft) -> None:
    props = draft.properties
    _fill(props, "$ai_cache_creation_input_tokens", "gen_ai.usage.cache_write.input_tokens")
    _fill(props, "$ai_reasoning_tokens", "gen_ai.usage.reasoning.output_tokens")
    _fill(props, "$ai_max_tokens", "gen_ai.request.max_tokens")
    _fill(props, "$ai_stream", "gen_ai.request.stream")
    _anthropic_tokens(props)
    for source in ("anthropic.message.stop_reason", "anthropic.session.turn.stop_reason"):
        if (stop := _stop_reason(props.get(source))) is not None:
            props["$ai_stop_reason"] = stop
            break
    if isinstance(props.get("anthropic.session.id"), str):
        props["$ai_session_id"] = props["anthropic.session.id"]
    if draft.operation == "execute_tool":
        if props.get("gen_ai.tool.name"):
            props["$ai_span_name"] = props["gen_ai.tool.name"]
        if "gen_ai.tool.call.arguments" in props:
            props["$ai_input_state"] = parsed(props["gen_ai.tool.call.arguments"])
        if "anthropic.tool_result.content" in props:
            props["$ai_output_state"] = parsed(props["anthropic.tool_result.content"])
    if (searches := _web_searches(props.get("$ai_output_choices"))) is not None:
        props["$ai_web_search_count"] = searches
    props["$ai_lib"] = "opentelemetry/anthropic"


def _anthropic_tokens(props: dict[str, Any]) -> None:
    """Cache writes by duration and the tokens a compaction spent, which Anthropic reports apart."""
    if "$ai_input_tokens" in props:
        props["$ai_cache_reporting_exclusive"] = False
    five = props.get("anthropic.usage.cache_creation.ephemeral_5m_input_tokens")
    hour = props.get("anthropic.usage.cache_creation.ephemeral_1h_input_tokens")
    total = props.get("$ai_cache_creation_input_tokens")
    if isinstance(five, int) and isinstance(hour, int) and isinstance(total, int) and five + hour == total:
        props["$ai_cache_creation_5m_input_tokens"] = five
        props["$ai_cache_creation_1h_input_tokens"] = hour
    for source, target in (("anthropic.usage.compaction.input_tokens", "$ai_input_tokens"),
                           ("anthropic.usage.compaction.output_tokens", "$ai_output_tokens")):
        extra = props.get(source)
        if isinstance(extra, int) and not isinstance(extra, bool):
            current = props.get(target)
            props[target] = (current if isinstance(current, int) else 0) + extra


def _web_searches(outputs: Any) -> int | None:
    """Server-side web searches (call ids `srvtoolu_…`) that have a successful result part."""
    if not isinstance(outputs, list):
        return None
    calls, results = set(), set()
    for message in outputs:
        parts = message.get("parts") if isinstance(message, dict) else None
        for part in parts if isinstance(parts, list) else []:
            if not isinstance(part, dict) or not str(part.get("id", "")).startswith("srvtoolu_"):
                continue
            if part.get("type") in ("tool_call", "server_tool_call") and part.get("name") == "web_search":
                calls.add(part["id"])
            elif part.get("type") in ("tool_call_response", "server_tool_call_response") \
                    and not part.get("is_error"):
                results.add(part["id"])
    return len(calls & results) or None


# --- LangWatch ----------------------------------------------------------------------------------------

def _langwatch_after(draft: Draft) -> None:
    props = draft.properties
    source = parsed(props.pop("langwatch.input", None))
    value = source.get("value") if isinstance(source, dict) else source
    value = parsed(value)
    if "$ai_input" not in props and isinstance(value, list):
        props["$ai_input"] = value
    elif "$ai_input" not in props and isinstance(value, str) and value:
        props["$ai_input"] = [{"role": "user", "content": value}]
    output = parsed(props.pop("langwatch.output", None))
    output = parsed(output.get("value")) if isinstance(output, dict) and "value" in output else output
    choices = _langwatch_choices(output)
    if choices and "$ai_output_choices" not in props:
        props["$ai_output_choices"] = choices
        if isinstance(choices[0], dict) and choices[0].get("finish_reason") and "$ai_stop_reason" not in props:
            props["$ai_stop_reason"] = choices[0]["finish_reason"]
    instructions = props.pop("langwatch.instructions", None)
    if isinstance(instructions, str) and instructions:
        current = props.get("$ai_input")
        props["$ai_input"] = [{"role": "system", "content": instructions},
                              *(current if isinstance(current, list) else [])]
    props["$ai_lib"] = "opentelemetry/langwatch"


def _langwatch_choices(output: Any) -> list[Any] | None:
    if isinstance(output, str):
        return [{"role": "assistant", "content": output}] if output else None
    if isinstance(output, dict) and isinstance(output.get("choices"), list):
        return [{**c["message"], **({"finish_reason": c["finish_reason"]} if c.get("finish_reason") else {})}
                for c in output["choices"] if isinstance(c, dict) and isinstance(c.get("message"), dict)]
    if isinstance(output, dict) and isinstance(output.get("output"), list):
        return [item for item in output["output"] if isinstance(item, dict)]
    if isinstance(output, list):
        return output
    return None


# --- OpenInference ------------------------------------------------------------------------------------

def _openinference_messages(props: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    messages = []
    for entry in _indexed(props, prefix, ("message.role", "message.content", "message.tool_call_id",
                                           "message.name"), "message.tool_calls", "tool_call."):
        message = {key.removeprefix("message."): value for key, value in entry.items() if key.startswith("message.")}
        calls = entry.get("message.tool_calls")
        if calls:
            message["tool_calls"] = [
                {"id": call.get("id"), "type": "function",
                 "function": {"name": call.get("function.name"), "arguments": call.get("function.arguments")}}
                for call in calls]
        messages.append(message)
    return messages


def _openinference_after(draft: Draft) -> None:
    props = draft.properties
    _fill(props, "$ai_model", "llm.model_name")
    _fill(props, "$ai_provider", "llm.provider", "llm.system")
    _fill(props, "$ai_input_tokens", "llm.token_count.prompt")
    _fill(props, "$ai_output_tokens", "llm.token_count.completion")
    _fill(props, "$ai_cache_read_input_tokens", "llm.token_count.prompt_details.cache_read")
    _fill(props, "$ai_cache_creation_input_tokens", "llm.token_count.prompt_details.cache_write")
    _fill(props, "$ai_stop_reason", "llm.finish_reason")
    _fill(props, "$ai_session_id", "session.id")
    inputs = _openinference_messages(props, "llm.input_messages.")
    if inputs and "$ai_input" not in props:
        props["$ai_input"] = inputs
    outputs = _openinference_messages(props, "llm.output_messages.")
    if outputs and "$ai_output_choices" not in props:
        props["$ai_output_choices"] = outputs
    tools = _indexed(props, "llm.tools.", ("tool.json_schema",))
    if tools and "$ai_tools" not in props:
        props["$ai_tools"] = [parsed(tool.get("tool.json_schema")) for tool in tools]
    if "input.value" in props:
        value = props.pop("input.value")
        props.setdefault("$ai_input", [{"role": "user", "content": value}])
    if "output.value" in props:
        value = props.pop("output.value")
        props.setdefault("$ai_output_choices", [{"role": "assistant", "content": value}])
    parameters = parsed(props.pop("llm.invocation_parameters", None))
    if isinstance(parameters, dict):
        props["$ai_model_parameters"] = parameters
    props["$ai_lib"] = "opentelemetry/openinference"
    _drop(props, "openinference.span.kind", "input.mime_type", "output.mime_type", "llm.token_count.total")


CONVENTIONS = (
    Convention(frozenset({"pydantic_ai.all_messages", "logfire.msg", "logfire.json_schema",
                          "model_request_parameters"}), None, None, _pydantic_after),
    Convention(frozenset({"llm.request.type", "traceloop.span.kind", "traceloop.entity.name"}), None, None,
               _traceloop_after),
    Convention(frozenset({"ai.operationId", "ai.telemetry.functionId", "eve.version", "eve.session.id",
                          "ai.settings.context.eve.version", "ai.settings.context.eve.session.id"}), None,
               _vercel_before, _vercel_after),
    Convention(frozenset(), "anthropic.", None, _anthropic_after),
    Convention(frozenset(), "langwatch.", None, _langwatch_after),
    Convention(frozenset({"openinference.span.kind"}), None, None, _openinference_after),
)
ANY_MARKER_KEY = frozenset().union(*(convention.keys for convention in CONVENTIONS))
ANY_MARKER_PREFIX = tuple(convention.prefix for convention in CONVENTIONS if convention.prefix)
