"""JSON values as both databases store them: safe text, finite numbers and bounded nesting, serialised once."""
from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.fields import field_path

# How deep an event's properties may nest (the properties object is the first level). Real payloads nest a few
# dozen levels; this is well under Python's recursion limit (1,000), which every reader of a stored event
# recurses against (the database drivers' JSON parsing, the trace page's pretty JSON).
MAX_NESTING = 500
UNSAFE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")  # NUL and surrogates (in a str, always lone ones)


def storable_json(value: Any, attr: str = "") -> tuple[Any, str]:
    """An event's parsed properties as both databases store them, and their JSON text: every NUL (PostgreSQL
    refuses it in text and jsonb) and lone surrogate (neither database can encode one) in a key or string
    becomes U+FFFD, the same on both; NaN and Infinity become null, as orjson writes them. Raises
    ValidationError for nesting deeper than MAX_NESTING levels.

    The one orjson pass that serialises them also tells whether anything needs doing (it refuses surrogates and
    deep nesting, and writes NUL as an escape), so well-formed properties are returned as they are and only odd
    ones are copied."""
    try:
        text = orjson.dumps(value)
        if b"\\u0000" not in text:
            return value, text.decode()
    except TypeError:  # a lone surrogate, nesting past orjson's 255 levels, an integer past 64 bits
        pass
    value = _rebuilt(value, attr)
    return value, json_text(value)


def json_text(value: Any) -> str:
    """JSON text for a JSON column, serialised once: orjson, or the standard library for what orjson refuses
    (integers beyond 64 bits, nesting past 255 levels), so such values are stored as sent rather than altered.
    Strings and numbers are made storable first, as parsing does (see `storable_json`), if not already."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(_rebuilt(value, ""), allow_nan=False)


def safe_text(text: str) -> str:
    """The text with NUL and lone surrogates replaced by U+FFFD."""
    return UNSAFE_CHARACTERS.sub("\ufffd", text) if UNSAFE_CHARACTERS.search(text) else text


def _rebuilt(value: Any, attr: str) -> Any:
    """A copy of `value` with safe strings and finite numbers, built without recursion (so any depth is
    measured rather than overflowing the stack). `attr` names `value` in an error."""
    top: list[Any] = [None]
    # (container, slot, value, depth, where): `where` names the top-level key an error is under.
    stack: list[tuple[Any, Any, Any, int, str]] = [(top, 0, value, 0, attr)]
    while stack:
        parent, slot, item, depth, where = stack.pop()
        if isinstance(item, str):
            item = safe_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            item = None
        elif isinstance(item, (dict, list)):
            if depth >= MAX_NESTING:
                raise ValidationError(f"Nested deeper than {MAX_NESTING} levels.", where or None)
            item = _empty_copy(item, depth, where, stack)
        parent[slot] = item
    return top[0]


def _empty_copy(item: dict[Any, Any] | list[Any], depth: int, where: str,
                stack: list[tuple[Any, Any, Any, int, str]]) -> Any:
    """A container shaped like `item` whose children are pushed on `stack`, to be filled in as they are popped."""
    if isinstance(item, list):
        copy: list[Any] = [None] * len(item)
        stack.extend((copy, index, child, depth + 1, where) for index, child in enumerate(item))
        return copy
    copied: dict[Any, Any] = {}
    for key, child in item.items():
        safe_key = safe_text(key) if isinstance(key, str) else key
        copied[safe_key] = None  # keeps the key order
        stack.append((copied, safe_key, child, depth + 1, field_path(where, str(safe_key)) if depth == 0 else where))
    return copied
