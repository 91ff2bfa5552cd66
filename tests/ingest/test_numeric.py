"""The one reading of a number a client sent, shared by the trace summary and the span tree."""
from __future__ import annotations

import math

import pytest

from reviewapp.services.numeric import finite_number, numeric


@pytest.mark.parametrize("value, number", [(3, 3.0), (2.5, 2.5), ("0.25", 0.25), (" 7 ", 7.0), (0, 0.0)])
def test_numbers_and_numeric_strings_count(value, number):
    assert finite_number(value) == number


@pytest.mark.parametrize("value", [None, True, False, "nan", "inf", "-Infinity", math.nan, math.inf, 1e400,
                                   10**400, -(10**400), "ten", "", [1], {"n": 1}])
def test_what_no_column_holds_or_is_no_number_is_left_out(value):
    assert finite_number(value) is None


def test_validation_sees_an_infinite_number_as_a_number():
    """Capture accepts 1e400 tokens (kept raw, left out of the summary) but refuses a negative one."""
    assert numeric(10**400) == math.inf and numeric(-(10**400)) == -math.inf and numeric("-1e400") == -math.inf
    assert numeric("ten") is None and numeric(True) is None
