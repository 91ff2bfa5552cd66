"""Chat messages from `$ai_input` / `$ai_output_choices`, normalised across SDK shapes (OpenAI chat and
Responses, Anthropic, Gemini, PostHog's own) into roles and parts a page or the API can show.

Everything here is untrusted data: it is turned into plain strings and pretty JSON, never into markup."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

ROLES = {
    "system": "system", "developer": "system",
    "user": "user", "human": "user",
    "assistant": "assistant", "model": "assistant", "ai": "assistant", "bot": "assistant",
    "tool": "tool", "function": "tool", "ipython": "tool",
}
TEXT_TYPES = {"text", "input_text", "output_text"}
IMAGE_TYPES = {"image", "image_url", "input_image"}
TOOL_CALL_TYPES = {"function", "tool_call", "function_call", "tool_use"}
TOOL_RESULT_TYPES = {"tool_result", "function_call_output", "tool_output"}
DATA_URL_PREVIEW = 64


@dataclass(frozen=True)
class Part:
    """One piece of a message. `kind` is text, tool_call, tool_result, image or data."""

    kind: str
    text: str = ""  # text; the image address; the tool result as text when it is not JSON
    name: str | None = None  # the tool's name
    call_id: str | None = None  # ties a tool result to its call
    json: str | None = None  # pretty-printed JSON: tool arguments, a JSON tool result, an unknown part

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "text": self.text, "name": self.name, "call_id": self.call_id, "json": self.json}


@dataclass
class Message:
    role: str  # system, user, assistant, tool or other
    raw_role: str  # the role as sent, for labelling "other"
    parts: list[Part] = field(default_factory=list)
    source: str = "input"  # input or output (of the generation it came from)
    span_id: str | None = None  # the generation it came from
    # True when this message begins a generation whose input does not continue the conversation so far.
    new_context: bool = False

    def key(self) -> tuple:
        return (self.role, self.raw_role, tuple(self.parts))

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "raw_role": self.raw_role,
            "source": self.source,
            "span_id": self.span_id,
            "new_context": self.new_context,
            "parts": [part.as_dict() for part in self.parts],
        }


def pretty_json(value: Any) -> str:
    """Indented JSON for people to read: orjson (the trace page shows every event this way), or the standard
    library for what orjson refuses (integers beyond 64 bits, lone surrogates)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode()
    except TypeError:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _json_or_text(value: Any) -> tuple[str | None, str]:
    """(pretty JSON, "") for structured values or strings holding a JSON object/array, else (None, text)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return pretty_json(json.loads(stripped)), ""
            except ValueError:
                pass
        return None, value
    if value is None:
        return None, ""
    if isinstance(value, (dict, list)):
        return pretty_json(value), ""
    return None, str(value)


def _image_address(item: dict[str, Any]) -> str:
    source = item.get("image_url", item.get("image", item.get("url", item.get("source"))))
    if isinstance(source, dict):
        if source.get("type") == "base64" or "data" in source:
            return f"data:{source.get('media_type', 'image')};base64,…"
        source = source.get("url", "")
    address = source if isinstance(source, str) else ""
    if address.startswith("data:") and len(address) > DATA_URL_PREVIEW:
        address = f"{address[:DATA_URL_PREVIEW]}… ({len(address):,} characters)"
    return address


def _tool_call(item: dict[str, Any]) -> Part:
    function = item.get("function") if isinstance(item.get("function"), dict) else {}
    name = item.get("name") or function.get("name")
    if "arguments" in item:
        arguments = item["arguments"]
    elif "arguments" in function:
        arguments = function["arguments"]
    else:
        arguments = item.get("input")
    pretty, text = _json_or_text(arguments)
    call_id = item.get("id") or item.get("call_id") or item.get("tool_call_id")
    return Part("tool_call", text=text, name=_str_or_none(name), call_id=_str_or_none(call_id), json=pretty)


def _tool_result(content: Any, call_id: Any = None, name: Any = None) -> Part:
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") in TEXT_TYPES for p in content):
        content = "\n".join(str(p.get("text", "")) for p in content)
    pretty, text = _json_or_text(content)
    return Part("tool_result", text=text, name=_str_or_none(name), call_id=_str_or_none(call_id), json=pretty)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _part(item: Any) -> Part:
    if isinstance(item, str):
        return Part("text", text=item)
    if not isinstance(item, dict):
        pretty, text = _json_or_text(item)
        return Part("data", text=text, json=pretty)
    kind = item.get("type")
    if kind in TEXT_TYPES and isinstance(item.get("text"), str):
        return Part("text", text=item["text"])
    if kind in IMAGE_TYPES:
        return Part("image", text=_image_address(item))
    if kind in TOOL_CALL_TYPES:
        return _tool_call(item)
    if kind in TOOL_RESULT_TYPES:
        content = item.get("content", item.get("output"))
        return _tool_result(content, item.get("tool_use_id") or item.get("call_id") or item.get("tool_call_id"))
    if kind is None and isinstance(item.get("text"), str) and len(item) == 1:
        return Part("text", text=item["text"])  # Gemini's {"text": ...} parts
    return Part("data", json=pretty_json(item))


def _parts(content: Any) -> list[Part]:
    if content is None or content == "":
        return []
    items = content if isinstance(content, list) else [content]
    parts = [_part(item) for item in items]
    return [p for p in parts if not (p.kind == "text" and not p.text)]


def message(raw: Any, default_role: str, source: str, span_id: str | None = None) -> Message:
    """One message from whatever an SDK sent; unknown shapes become a message holding their JSON."""
    if isinstance(raw, str):
        return Message(ROLES[default_role], default_role, [Part("text", text=raw)], source, span_id)
    if not isinstance(raw, dict):
        return Message("other", "unknown", [_part(raw)], source, span_id)
    kind = raw.get("type")
    if "role" not in raw and kind in TOOL_CALL_TYPES:
        return Message("assistant", "assistant", [_tool_call(raw)], source, span_id)
    if "role" not in raw and kind in TOOL_RESULT_TYPES:
        part = _tool_result(raw.get("output", raw.get("content")), raw.get("call_id") or raw.get("tool_call_id"))
        return Message("tool", "tool", [part], source, span_id)
    if "role" not in raw and not any(k in raw for k in ("content", "parts", "tool_calls", "text")):
        return Message("other", "unknown", [Part("data", json=pretty_json(raw))], source, span_id)

    raw_role = str(raw.get("role") or default_role)
    role = ROLES.get(raw_role.lower(), "other")
    content = raw.get("content", raw.get("parts", raw.get("text")))
    parts = _parts(content)
    if role == "tool":
        call_id, name = raw.get("tool_call_id") or raw.get("tool_use_id"), raw.get("name")
        parts = [
            _tool_result(p.text, call_id, name) if p.kind == "text" else p
            for p in parts
        ] or [_tool_result("", call_id, name)]
    for call in raw.get("tool_calls") or []:
        if isinstance(call, dict):
            parts.append(_tool_call(call))
    if isinstance(raw.get("function_call"), dict):  # OpenAI's legacy single call
        parts.append(_tool_call(raw["function_call"]))
    return Message(role, raw_role, parts, source, span_id)


def input_messages(value: Any, span_id: str | None = None) -> list[Message]:
    if value is None:
        return []
    if isinstance(value, dict):
        if isinstance(value.get("messages"), list):
            value = value["messages"]
        else:
            value = [value]
    if not isinstance(value, list):
        value = [value]
    return [message(item, "user", "input", span_id) for item in value]


def output_messages(value: Any, span_id: str | None = None) -> list[Message]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = value["choices"] if isinstance(value.get("choices"), list) else [value]
    if not isinstance(value, list):
        value = [value]
    messages = []
    for choice in value:
        if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
            choice = choice["message"]
        messages.append(message(choice, "assistant", "output", span_id))
    return messages


def conversation(generations: list[tuple[str | None, Any, Any]]) -> list[Message]:
    """The chat across a trace's generations, in order: (span id, $ai_input, $ai_output_choices) each.

    An agent re-sends the whole history on every call, so each input usually extends the conversation so
    far; only the new messages are added. An input that does not continue it starts a new context."""
    transcript: list[Message] = []
    for span_id, raw_input, raw_output in generations:
        inputs = input_messages(raw_input, span_id)
        seen = [m.key() for m in transcript]
        keys = [m.key() for m in inputs]
        if keys[: len(seen)] == seen:
            new = inputs[len(seen):]
        elif seen[: len(keys)] == keys:
            new = []  # the same context sent again
        else:
            new = inputs
            if new and transcript:
                new[0].new_context = True
        transcript.extend(new)
        transcript.extend(output_messages(raw_output, span_id))
    return transcript
