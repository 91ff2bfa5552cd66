"""Insights in the browser: the pass-rate chart draws a line per scorer version with a marker where the stricter
rule came into use, and the counts behind the rates are on the page."""
from __future__ import annotations

import pytest

from reviewapp.extensions import db
from tests.support.pass_rate_data import build_history

pytestmark = pytest.mark.e2e


def test_the_pass_rate_chart_shows_each_version_and_the_rule_change(page, live_server, sign_in, screenshot, factory):
    project = factory.project("Rates")
    admin = factory.user(email="ada@example.com", project=project, role="admin", first_name="Ada")
    reviewer = factory.user(email="rui@example.com", project=project, role="reviewer", first_name="Rui")
    build_history(project, admin, reviewer)
    db.session.commit()

    path = f"/projects/{project.id}/insights/?days=30"
    sign_in(page, admin, path)
    chart = page.locator("svg.chart-pass-rate")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    marker = chart.locator(".pass-marker-label")
    assert marker.text_content() == "v2: ≥ 4 passes" and marker.is_visible()
    assert chart.locator("g.pass-series").count() == 2
    box, line = chart.bounding_box(), chart.locator(".pass-marker-line").bounding_box()
    assert box and line and box["x"] < line["x"] < box["x"] + box["width"]  # the marker is drawn inside the chart
    titles = chart.locator("circle.pass-point title").all_text_contents()
    assert titles and all(" passed (" in t for t in titles)
    versions = page.locator("table.table-pass-versions tbody tr")
    assert versions.nth(1).locator("td").nth(1).inner_text() == "≥ 4 passes"
    assert page.locator("table.table-pass-queues").get_by_role("link", name="Support").is_visible()
    screenshot(page, "insights-pass-rates")
