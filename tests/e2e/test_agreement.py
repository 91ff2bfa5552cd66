"""Agreement in the browser: the Insights section shows each scorer version's α with its interval drawn, the
reading, the reviewers' calibration and matrix, and the traces that split reviewers, linked to their decision; the
queue page's agreement number leads there."""
from __future__ import annotations

import re

import pytest

from tests.support import agreement_data

pytestmark = pytest.mark.e2e


def test_the_agreement_section_from_the_queue_page(page, live_server, sign_in, screenshot, factory):
    panel = agreement_data.build_panel(factory)
    sign_in(page, panel.admin, f"/projects/{panel.project.id}/queues/{panel.queue.id}/")
    line = page.get_by_test_id("queue-agreement")
    assert line.is_visible()
    number = line.get_by_role("link", name=re.compile(r"^Answer quality -?\d\.\d\d \(-?\d\.\d\d to -?\d\.\d\d\)$"))
    number.click()
    page.wait_for_url(re.compile(r"/insights/#agreement-"))

    card = page.locator(f"#agreement-{panel.queue.id}-{panel.quality.id}-v1")
    assert card.is_visible() and card.locator("h4").inner_text() == "Answer quality v1"
    bar = card.locator("svg.agreement-bar")
    box, interval = bar.bounding_box(), bar.locator(".agreement-interval").bounding_box()
    assert box and interval
    assert box["x"] <= interval["x"] and interval["x"] + interval["width"] <= box["x"] + box["width"]
    assert "interval" in (bar.get_attribute("aria-label") or "")
    assert card.get_by_test_id("reading").inner_text()
    assert "18 items with ≥ 2 judgments · 54 judgments" in card.inner_text()
    calibration = card.locator("table.table-calibration tbody tr")
    assert calibration.count() == 3
    assert calibration.nth(1).locator("th").inner_text() == "Noor Haddad"

    card.get_by_text("Traces that split reviewers most").click()
    waiting = card.locator(".agreement-disagreements li", has_text="needs a decision").first
    waiting.scroll_into_view_if_needed()
    card.screenshot(path=str(screenshot(page, "agreement").with_name("agreement-card.png")))
    waiting.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/decisions/"))
    assert "support-chat-" in page.content()
