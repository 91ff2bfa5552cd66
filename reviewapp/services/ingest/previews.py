"""The short plain-text previews of a trace's input and output that the traces list shows."""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

PREVIEW_CHARS = 300
# How far a preview follows content nested in content: a preview shows a few hundred characters, and a deeper
# chain (the parts of a part of a part...) is not a message anyone wrote.
MAX_CONTENT_DEPTH = 20


def preview(value: Any, last_user: bool = False) -> str | None:
    """A short plain-text preview of an input or output: messages give the last user message (for inputs)
    or the last message; anything else is shown as compact JSON."""
    text = _preview_text(value, last_user)
    if text is None:
        return None
    text = " ".join(text.split())
    return clip(text, PREVIEW_CHARS) if text else None


def clip(text: str, limit: int) -> str:
    """The text, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _preview_text(value: Any, last_user: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _object_text(value, last_user)
    if isinstance(value, list):
        return _list_text(value, last_user)
    return _compact_json(value)


def _object_text(value: dict[str, Any], last_user: bool) -> str | None:
    """A chat request or response (messages, choices), one message, or any other object as JSON."""
    for key in ("messages", "choices"):
        if isinstance(value.get(key), list):
            return _preview_text(value[key], last_user)
    if "content" in value or "role" in value:
        return _message_text(value)
    if "message" in value and isinstance(value["message"], dict):
        return _message_text(value["message"])
    return _compact_json(value)


def _list_text(value: list[Any], last_user: bool) -> str | None:
    """The last (user) message of a list of messages; any other list as JSON."""
    messages = [item for item in value if isinstance(item, dict) and ("content" in item or "role" in item
                                                                       or "parts" in item)]
    if not messages:
        return _compact_json(value) if value else None
    if last_user:
        users = [m for m in messages if m.get("role") == "user"]
        messages = users or messages
    return _message_text(messages[-1])


def _message_text(message: dict[str, Any]) -> str | None:
    content = message.get("content", message.get("parts"))  # `parts`: the OTel GenAI conventions' messages
    texts = list(_content_texts(content))
    for call in message.get("tool_calls") or ():
        texts.append(_tool_call_text(call))
    return " ".join(t for t in texts if t) or None


def _content_texts(content: Any, depth: int = 0) -> Iterable[str]:
    if content is None:
        return
    if depth > MAX_CONTENT_DEPTH:
        yield _compact_json(content)
        return
    if isinstance(content, str):
        yield content
        return
    parts = content if isinstance(content, list) else [content]
    for part in parts:
        if isinstance(part, str):
            yield part
        elif isinstance(part, dict):
            yield from _part_texts(part, depth)


def _part_texts(part: dict[str, Any], depth: int) -> Iterable[str]:
    """One part of a message's content: its text, a tool call, an image, or the content it nests."""
    kind = part.get("type")
    if isinstance(part.get("text"), str):
        yield part["text"]
    elif kind in ("function", "tool_call", "tool_use", "function_call"):
        yield _tool_call_text(part)
    elif kind in ("image", "image_url", "input_image"):
        yield "[image]"
    elif "content" in part:
        yield from _content_texts(part["content"], depth + 1)
    elif kind == "tool_call_response" and "response" in part:
        yield from _content_texts(part["response"], depth + 1)
    else:
        yield _compact_json(part)


def _tool_call_text(call: Any) -> str:
    if not isinstance(call, dict):
        return _compact_json(call)
    function: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else call
    name = function.get("name") or "tool"
    arguments = function.get("arguments", function.get("input", ""))
    if not isinstance(arguments, str):
        arguments = _compact_json(arguments)
    return f"[tool call] {name}({arguments})"


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
