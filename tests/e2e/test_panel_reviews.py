"""In the browser: the Reviews page unfolds the judgments behind a decided review, and the queue form explains
and keeps the review settings."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support import panel_reviews


def test_a_decided_review_unfolds_the_judgments_behind_it(page, live_server, sign_in, factory, screenshot):
    panel = panel_reviews.build(factory)
    sign_in(page, panel.vic, f"/projects/{panel.project.id}/reviews/")
    row = page.locator("tr", has_text="t-split")
    expect(row.get_by_text("decided by Ada Admin")).to_be_visible()
    expect(row.get_by_text("Rating n/a")).to_be_hidden()  # folded
    row.get_by_text("2 judgments").click()
    expect(row.get_by_text("Rating n/a")).to_be_visible()
    expect(row.locator(".judgment-line", has_text="Rita Reviewer").get_by_text("Bad")).to_be_visible()
    expect(page.locator("tr", has_text="t-agree").get_by_text("consensus of 2")).to_be_visible()
    screenshot(page, "reviews-judgments")


def test_the_queue_form_sets_a_blind_panel(page, live_server, sign_in, factory, screenshot):
    panel = panel_reviews.build(factory)
    sign_in(page, panel.ada, f"/projects/{panel.project.id}/queues/new")
    page.get_by_label("Name").fill("Triple check")
    page.get_by_label("Reviewers per trace").fill("3")
    page.get_by_label("Blind review").check()
    page.get_by_label("Numeric tolerance").fill("-2")
    page.get_by_label("Rita Reviewer (reviewer)").check()
    page.get_by_role("button", name="Create queue").click()
    expect(page.get_by_text("Ensure this value is greater than or equal to 0.")).to_be_visible()
    expect(page.get_by_label("Reviewers per trace")).to_have_value("3")
    expect(page.get_by_label("Blind review")).to_be_checked()
    expect(page.get_by_label("Rita Reviewer (reviewer)")).to_be_checked()
    screenshot(page, "queue-settings-refused")
    page.get_by_label("Numeric tolerance").fill("0.5")
    page.get_by_role("button", name="Create queue").click()
    expect(page.get_by_test_id("queue-settings")).to_contain_text("3 reviewers per trace · blind")
    screenshot(page, "queue-settings-detail")
