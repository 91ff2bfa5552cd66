"""Nothing typed is lost when a save cannot land: the session ends while the review page is open, the save is
refused, and after signing in again the review page brings the reviewer's answers back (kept in the browser),
until a save lands or the reviewer discards them."""
from __future__ import annotations

import pytest

from reviewapp.extensions import db
from reviewapp.services import reviews
from tests.support.factories import Factory
from tests.web.workbench import build

pytestmark = pytest.mark.e2e


def scorer(page, name: str):
    return page.locator("fieldset.scorer", has=page.locator(".scorer-name", has_text=name))


def test_answers_survive_a_session_that_ends_before_saving(page, live_server, sign_in, factory, screenshot):
    wb = build(factory, traces=2)
    pid = wb.project.id
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/{wb.queue.id}/")
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_url("**/review/*")
    review_url = page.url
    assert page.locator("#draft-notice").is_hidden()

    scorer(page, "Answer quality").get_by_label("Acceptable").check()
    scorer(page, "Rating").locator("input[type=number]").fill("7.5")
    page.get_by_label("Comment").fill("Half way through when the session ended")

    page.context.clear_cookies()  # signed out elsewhere, or the session expired
    page.get_by_role("button", name="Save & next").click()
    page.get_by_role("heading", name="Signed out").wait_for()  # the save went by fetch, then the plain post
    assert "nothing was saved" in page.locator(".error-page").inner_text()
    screenshot(page, "review_draft_signed_out")

    page.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email").fill(wb.reviewer.email)
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(review_url)

    assert page.locator("#draft-notice").is_visible()
    assert scorer(page, "Answer quality").get_by_label("Acceptable").is_checked()
    assert scorer(page, "Rating").locator("input[type=number]").input_value() == "7.5"
    assert page.get_by_label("Comment").input_value() == "Half way through when the session ended"
    screenshot(page, "review_draft_restored")

    page.get_by_role("button", name="Save & next").click()
    page.wait_for_selector("text=Saved your review of trace-001.")
    db.session.expire_all()
    saved = reviews.active_review_for_trace(pid, "trace-001")
    assert saved.comment == "Half way through when the session ended"
    assert sorted(str(s.numeric_value or s.categorical_values) for s in saved.scores) == ["7.500000", "['ok']"]

    # Once saved, the draft is not offered again: the edit page shows the saved review, with no notice.
    page.goto(live_server(f"/projects/{pid}/traces/trace-001/review"))
    assert page.locator("#draft-notice").is_hidden()
    assert page.get_by_label("Comment").input_value() == "Half way through when the session ended"


def test_a_restored_draft_can_be_discarded(page, live_server, sign_in, factory):
    wb = build(factory, traces=1)
    pid = wb.project.id
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/{wb.queue.id}/")
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_url("**/review/*")
    page.get_by_label("Comment").fill("Not sure yet")
    page.reload()  # or the tab closed and opened again
    assert page.locator("#draft-notice").is_visible()
    assert page.get_by_label("Comment").input_value() == "Not sure yet"
    page.get_by_role("button", name="Discard them").click()
    assert page.locator("#draft-notice").is_hidden()
    assert page.get_by_label("Comment").input_value() == ""
    page.reload()
    assert page.locator("#draft-notice").is_hidden()
    assert page.get_by_label("Comment").input_value() == ""
