"""Chat messages from `$ai_input` / `$ai_output_choices`, normalised across SDK shapes (OpenAI chat and
Responses, Anthropic, Gemini, PostHog's own) into roles and parts a page or the API can show.

Everything here is untrusted data: it is turned into plain strings and pretty JSON, never into markup."""
from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass, field, replace
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
TOOL_RESULT_TYPES = {"tool_result", "function_call_output", "tool_output", "tool_call_response"}
DATA_URL_PREVIEW = 64


@dataclass(frozen=True)
class Part:
    """One piece of a message. `kind` is text, tool_call, tool_result, image or data."""

    kind: str
    text: str = ""  # text; the image address; the tool result as text when it is not JSON
    name: str | None = None  # the tool's name
    call_id: str | None = None  # ties a tool result to its call
    json: str | None = None  # pretty-printed JSON: tool arguments, a JSON tool result, an unknown part
    position: int = field(default=0, compare=False)  # its place in the message as sent (for "show all")

    @property
    def body(self) -> str:
        """What the page shows of it: the JSON when there is some, else the text."""
        return self.json if self.json is not None else self.text

    def same_as(self) -> tuple:
        """What makes two parts the same when a history is sent again: a tool call or result is its call id
        (SDKs re-send a call in another shape than they logged it), anything else its content."""
        if self.kind in ("tool_call", "tool_result") and self.call_id:
            return (self.kind, self.call_id)
        return (self.kind, self.text.strip(), self.name, self.json)

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
    event_uuid: str | None = None  # the generation's event, and the message's place in its input or output
    index: int = 0

    def key(self) -> tuple:
        return (self.role, tuple(part.same_as() for part in self.parts))

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
        pass
    try:  # orjson stops at 255 levels of nesting; the standard library's indenting encoder recurses
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except RecursionError:
        return "(nested too deeply to show here)"


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
    raw_function = item.get("function")
    function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
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
    if kind in TEXT_TYPES and isinstance(item.get("content"), str):  # the OTel GenAI conventions' text part
        return Part("text", text=item["content"])
    if kind in IMAGE_TYPES:
        return Part("image", text=_image_address(item))
    if kind in TOOL_CALL_TYPES:
        return _tool_call(item)
    if kind in TOOL_RESULT_TYPES:
        content = item.get("content", item.get("output", item.get("response")))
        return _tool_result(content, item.get("tool_use_id") or item.get("call_id") or item.get("tool_call_id")
                            or item.get("id"))
    if kind is None and isinstance(item.get("text"), str) and len(item) == 1:
        return Part("text", text=item["text"])  # Gemini's {"text": ...} parts
    return Part("data", json=pretty_json(item))


def _parts(content: Any) -> list[Part]:
    if content is None or content == "":
        return []
    items = content if isinstance(content, list) else [content]
    parts = [replace(_part(item), position=n) for n, item in enumerate(items)]
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
            replace(_tool_result(p.text, call_id, name), position=p.position) if p.kind == "text" else p
            for p in parts
        ] or [_tool_result("", call_id, name)]
    # Calls follow the content; their positions continue after it, so "show all" finds each part again.
    position = len(content) if isinstance(content, list) else 1
    for call in raw.get("tool_calls") or []:
        if isinstance(call, dict):
            parts.append(replace(_tool_call(call), position=position))
        position += 1
    if isinstance(raw.get("function_call"), dict):  # OpenAI's legacy single call
        parts.append(replace(_tool_call(raw["function_call"]), position=position))
    return Message(role, raw_role, parts, source, span_id)


def input_messages(value: Any, span_id: str | None = None, event_uuid: str | None = None) -> list[Message]:
    return [_placed(message(item, "user", "input", span_id), event_uuid, n) for n, item in enumerate(_items(value))]


def _items(value: Any) -> list[Any]:
    """The raw messages of an `$ai_input`: a list, a {"messages": [...]} wrapper, or one message."""
    if value is None:
        return []
    if isinstance(value, dict):
        return value["messages"] if isinstance(value.get("messages"), list) else [value]
    return value if isinstance(value, list) else [value]


def output_messages(value: Any, span_id: str | None = None, event_uuid: str | None = None) -> list[Message]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = value["choices"] if isinstance(value.get("choices"), list) else [value]
    if not isinstance(value, list):
        value = [value]
    messages = []
    for n, choice in enumerate(value):
        if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
            choice = choice["message"]
        messages.append(_placed(message(choice, "assistant", "output", span_id), event_uuid, n))
    return messages


def _placed(message: Message, event_uuid: str | None, index: int) -> Message:
    message.event_uuid, message.index = event_uuid, index
    return message


def message_part(props: dict[str, Any], source: str, index: int, position: int) -> Part | None:
    """One part of one message of a generation, found again from its event's properties (for "show all")."""
    if source == "input":
        messages = input_messages(props.get("$ai_input"))
    elif source == "output":
        messages = output_messages(props.get("$ai_output_choices"))
    else:
        return None
    if not 0 <= index < len(messages):
        return None
    return next((part for part in messages[index].parts if part.position == position), None)


class _Thread:
    """The conversation so far, with where each message stands, to recognise history sent again."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.at: dict[tuple, list[int]] = {}  # message key -> its positions, ascending
        self.tool_at: dict[tuple, int] = {}  # tool calls and results already shown, by call id -> position
        # Each raw message normalised once, by its JSON: an agent re-sends its whole history on every call, and
        # normalising it every time grew with the square of the number of calls.
        self.normalised: dict[bytes, tuple[Message, tuple]] = {}

    def normalise(self, item: Any) -> tuple[Message, tuple]:
        """An input message, normalised (role and parts only), and its key."""
        try:
            raw = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # what orjson refuses (a 65-bit integer) is normalised every time
            found = message(item, "user", "input")
            return found, found.key()
        if raw not in self.normalised:
            found = message(item, "user", "input")
            self.normalised[raw] = (found, found.key())
        return self.normalised[raw]

    def find(self, message: Message, key: tuple, start: int) -> int | None:
        """The first position at or after `start` holding a message with this key; or, for a message of tool
        calls and results only, where they were shown (the shape an SDK re-sends differs from the one it logged)."""
        positions = self.at.get(key, [])
        n = bisect_left(positions, start)
        if n < len(positions):
            return positions[n]
        tools = [self.tool_at.get(p.same_as()) for p in message.parts if p.call_id]
        shown = [position for position in tools if position is not None]
        if shown and len(shown) == len(message.parts):  # every part is a tool call or result, each shown
            return max(max(shown), start - 1)  # never move the cursor back
        return None

    def add(self, message: Message) -> None:
        # A tool call or result shown already (re-sent in another shape) is not shown again.
        parts = [p for p in message.parts if not (p.call_id and p.same_as() in self.tool_at)]
        if message.parts and not parts:
            return
        message.parts = parts
        position = len(self.messages)
        for part in parts:
            if part.call_id and part.kind in ("tool_call", "tool_result"):
                self.tool_at[part.same_as()] = position
        self.at.setdefault(message.key(), []).append(position)
        self.messages.append(message)


def conversation(generations: list[tuple]) -> list[Message]:
    """The chat across a trace's generations, each message once, in order: (span id, $ai_input,
    $ai_output_choices[, event uuid]) per generation.

    An agent re-sends the history on every call, so each input is matched in order against the thread so far
    and only the messages it does not hold are added. An input that shares nothing with the thread starts a
    new context. Tool calls are recognised by their call id, so a call logged in one shape and re-sent in
    another shows once, and a call always comes before its result."""
    thread = _Thread()
    for span_id, raw_input, raw_output, *rest in generations:
        event_uuid = rest[0] if rest else None
        cursor, fresh, matched = 0, [], False
        for n, item in enumerate(_items(raw_input)):
            known, key = thread.normalise(item)
            found = thread.find(known, key, cursor)
            if found is None:
                fresh.append(_placed(Message(known.role, known.raw_role, list(known.parts), "input", span_id),
                                     event_uuid, n))
            else:
                cursor, matched = found + 1, True
        if fresh and thread.messages and not matched:
            fresh[0].new_context = True
        for message in fresh + output_messages(raw_output, span_id, event_uuid):
            thread.add(message)
    return _calls_before_results(thread.messages)


def _calls_before_results(messages: list[Message]) -> list[Message]:
    """Move a message holding a tool call up to just before the first result of that call, where a trace's
    order put it after (an SDK that logs a call only when the step that made it ends)."""
    call_at: dict[str, int] = {}
    for n, message in enumerate(messages):
        for part in message.parts:
            if part.kind == "tool_call" and part.call_id:
                call_at.setdefault(part.call_id, n)
    ordered: list[Message] = []
    placed: set[int] = set()
    for n, message in enumerate(messages):
        if n in placed:
            continue
        for part in message.parts:
            caller = call_at.get(part.call_id) if part.kind == "tool_result" and part.call_id else None
            if caller is not None and caller > n and caller not in placed:
                ordered.append(messages[caller])
                placed.add(caller)
        ordered.append(message)
        placed.add(n)
    return ordered
