"""Reading a number out of a JSON value a client sent, where anything may stand in its place."""
from __future__ import annotations

import math
from typing import Any


def numeric(value: Any) -> float | None:
    """The number a JSON value holds (a number or a numeric string), which may be infinite or NaN: JSON's 1e400
    and Python's json module's NaN and Infinity. None for anything that is not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer beyond a float's range
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def finite_number(value: Any) -> float | None:
    """A finite number, or None: capture keeps numbers no column holds (1e400, "nan") in the raw event, and
    what counts or shows them leaves them out."""
    number = numeric(value)
    return number if number is not None and math.isfinite(number) else None
