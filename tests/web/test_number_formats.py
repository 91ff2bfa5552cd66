"""Money and numbers read right on every page: a tiny cost is never "$0.", a huge one keeps its digits,
durations count minutes and hours properly, and a small mean is not rounded to nothing."""
from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from reviewapp.services import insights, reviews, scorers
from reviewapp.templating import format_cost, format_decimal_number, format_seconds
from tests.traces.helpers import chat_trace


@pytest.fixture
def project(factory):
    return factory.project("Numbers")


@pytest.mark.parametrize("value, shown", [
    (0.00000022, "$0.00000022"),
    (Decimal("0.00000022"), "$0.00000022"),
    (0.00042, "$0.00042"),
    (0.000088, "$0.000088"),
    (0.0012345, "$0.00123"),
    (0.0123, "$0.0123"),
    (0.5, "$0.50"),
    (1.2345, "$1.23"),
    (1234.5, "$1,234.50"),
    (1e12, "$1,000,000,000,000.00"),
    (1e20, "$1.00E+20"),
    (0, "$0"),
    (None, "—"),
    (float("nan"), "—"),
])
def test_costs(value, shown):
    assert format_cost(value) == shown


@pytest.mark.parametrize("value, shown", [
    (0.4, "400 ms"), (1.5, "1.50 s"), (59.999, "1 min 0 s"), (119.7, "2 min 0 s"), (3725, "1 h 2 min"),
    (90061, "1 d 1 h"), (None, "—"), (float("inf"), "—"),
])
def test_durations(value, shown):
    assert format_seconds(value) == shown


@pytest.mark.parametrize("value, shown", [
    (4.3333, "4.33"), (0.004, "0.004"), (0.0004567, "0.00046"), (1234567.891, "1,234,567.89"), (0, "0.00"),
])
def test_measured_numbers(value, shown):
    assert format_decimal_number(value) == shown


def test_a_tiny_cost_reads_right_on_the_traces_list_and_the_trace_page(client, project, admin, token):
    trace_id = chat_trace(project.id, "tiny", cost=0.00000022)
    listing = html.unescape(client.get(f"/projects/{project.id}/traces/").get_data(as_text=True))
    assert '<td class="num">$0.00000022</td>' in listing
    page = html.unescape(client.get(f"/projects/{project.id}/traces/{trace_id}").get_data(as_text=True))
    assert "<dt>Cost</dt><dd>$0.00000022</dd>" in page
    assert "$0.<" not in listing + page


def test_insights_show_small_means_and_narrow_ranges(client, project, admin, token):
    share = scorers.create_definition(project.id, admin, name="Share", kind="numeric", config={})
    for i in range(21):  # 0.0001, 0.0002, ... 0.0021: more distinct values than are shown one by one
        reviews.save_review(project.id, admin, trace_id=f"t{i}",
                            scores=[{"definition_id": str(share.id), "numeric_value": (i + 1) / 10000}])
    version = {s.definition.name: s for s in insights.project_insights(project.id).scorers}["Share"].versions[0]
    assert version.bars[0].label == "0.0001 – 0.0003"
    assert len({bar.label for bar in version.bars}) == 10  # every range has its own label
    page = html.unescape(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True))
    assert re.search(r"21 reviews · mean 0\.0011\b", page)
