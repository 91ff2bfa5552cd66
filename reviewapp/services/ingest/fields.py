"""Checks on one field of an incoming event, each raising a ValidationError that names the field."""
from __future__ import annotations

import math
from typing import Any

from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.events import MAX_ID_LENGTH
from reviewapp.services.numeric import numeric


def field_path(attr: str, name: str) -> str:
    """The path of a field inside the event at `attr` ("batch[2]"); just the field for a lone event."""
    return f"{attr}.{name}" if attr else name


def json_kind(value: Any) -> str:
    """What a JSON value is, as an error message names it ("a list")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def identifier(value: Any, attr: str) -> str | None:
    """An id (a string or an integer), trimmed; None when absent or blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(f"Must be a string, not {json_kind(value)}.", attr)
    text = str(value).strip()
    if len(text) > MAX_ID_LENGTH:
        raise ValidationError(f"Ensure this field has no more than {MAX_ID_LENGTH} characters.", attr)
    return text or None


def check_amount(value: Any, attr: str) -> None:
    """An amount (seconds, dollars) is a number and not negative; an infinite one is kept raw, unsummed."""
    if value is None:
        return
    number = numeric(value)
    if number is None:
        raise ValidationError(f"Must be a number, not {json_kind(value)}.", attr)
    _not_negative(number, attr)


def check_count(value: Any, attr: str) -> None:
    """A count (tokens) is a whole number and not negative."""
    number = _whole_number(value, attr, f"Must be a whole number, not {json_kind(value)}.")
    if number is not None:
        _not_negative(number, attr)


def check_status(value: Any, attr: str) -> None:
    """An HTTP status is a whole number."""
    _whole_number(value, attr, "Must be an HTTP status code.")


def _whole_number(value: Any, attr: str, refusal: str) -> float | None:
    """The number, if `value` is absent (None) or a whole number (an infinite one is kept raw); else `refusal`."""
    if value is None:
        return None
    number = numeric(value)
    if number is None or (math.isfinite(number) and number != int(number)):
        raise ValidationError(refusal, attr)
    return number


def _not_negative(number: float, attr: str) -> None:
    if number < 0:
        raise ValidationError("Must not be negative.", attr)
