"""A reviewer works through a queue in Chromium with the keyboard only: picks options with digits, moves with
j/k, types a number, answers a boolean with y/n, saves with Ctrl+Enter, skips with s. The reviews then read
back through the JSON API with the right scores and scorer versions."""
from __future__ import annotations

import json
import urllib.request

import pytest

from reviewapp.services import accounts, queue_items, scorers
from tests.e2e.review_panel import checked, focused_scorer
from tests.web.workbench import build

pytestmark = pytest.mark.e2e


def api_get(live_server, key: str, path: str) -> dict:
    request = urllib.request.Request(live_server(path), headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_a_reviewer_works_through_a_queue_with_the_keyboard(page, live_server, sign_in, factory, screenshot):
    wb = build(factory, traces=4)
    accounts.set_auto_advance(wb.reviewer, False)  # each scorer moved to by hand: test_review_loop has the other way
    scorers.new_version(wb.project.id, wb.admin, wb.rating.id, {"min": 0, "max": 10, "step": 0.5})  # now v2
    pid = wb.project.id
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/")
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_url("**/review/*")

    # 1st trace: the first scorer has focus as the page opens.
    assert page.get_by_role("heading", name="Support chat 1").is_visible()
    assert focused_scorer(page) == "Answer quality"
    page.keyboard.press("1")
    assert checked(page, "Answer quality") == ["good"]
    page.keyboard.press("2")  # digits re-pick on a single-choice scorer
    assert checked(page, "Answer quality") == ["ok"]
    page.keyboard.press("j")
    assert focused_scorer(page) == "Issues"
    for key in ("1", "2", "3"):  # at most two: the third is refused
        page.keyboard.press(key)
    assert checked(page, "Issues") == ["tone", "facts"]
    page.keyboard.press("2")  # untick one, then the third fits
    page.keyboard.press("3")
    assert checked(page, "Issues") == ["tone", "format"]
    page.keyboard.press("ArrowDown")
    assert focused_scorer(page) == "Rating"
    page.keyboard.type("7.5")
    assert page.locator("input[type=number]").input_value() == "7.5"
    page.keyboard.press("Enter")  # leaves the number box for the next scorer, does not save
    assert focused_scorer(page) == "Resolved the issue"
    page.keyboard.press("y")
    assert checked(page, "Resolved the issue") == ["true"]
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert focused_scorer(page) == "Issues"
    page.keyboard.press("c")
    page.keyboard.type("Polite; j and k typed here stay text.")
    page.keyboard.press("?")  # typing: no sheet
    assert not page.locator("#shortcut-sheet").evaluate("d => d.open")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    assert page.locator("#shortcut-sheet").evaluate("d => d.open")
    screenshot(page, "review_page_shortcuts")
    page.keyboard.press("?")
    screenshot(page, "review_page")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Saved your review of trace-001.")

    # 2nd trace: skip it with a reason.
    assert page.get_by_role("heading", name="Support chat 2").is_visible()
    page.keyboard.press("s")
    page.keyboard.type("needs a billing expert")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Skipped trace-002")

    # 3rd trace: a number off the step grid is refused beside its scorer, and the answers stay.
    assert page.get_by_role("heading", name="Support chat 3").is_visible()
    page.keyboard.press("3")
    page.keyboard.press("j")
    page.keyboard.press("4")
    page.keyboard.press("j")
    page.keyboard.type("7.25")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("n")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("fieldset.scorer.has-error")
    error = page.locator("fieldset.scorer.has-error")
    assert "Rating" in error.locator("legend").inner_text()
    assert "Value 7.25 is not on the step grid (step 0.5 from 0)." in error.locator(".field-error").inner_text()
    assert checked(page, "Answer quality") == ["bad"] and checked(page, "Issues") == ["length"]
    assert checked(page, "Resolved the issue") == ["false"]
    assert focused_scorer(page) == "Rating"  # the scorer at fault has focus
    screenshot(page, "review_page_error")
    page.keyboard.type("8")  # typing replaces the refused number
    assert page.locator("input[type=number]").input_value() == "8"
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Saved your review of trace-003.")

    # 4th trace, then the skipped one comes back last.
    assert page.get_by_role("heading", name="Support chat 4").is_visible()
    page.keyboard.press("1")
    page.keyboard.press("j")
    page.keyboard.press("2")
    page.keyboard.press("j")
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    page.keyboard.press("y")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Saved your review of trace-004.")
    assert page.get_by_role("heading", name="Support chat 2").is_visible()
    assert "You skipped this trace before: “needs a billing expert”." in page.locator(".note").inner_text()

    # The queue holds only the skipped trace; the reviews read back through the JSON API.
    assert [item.trace_id for item in queue_items.list_items(pid, queue_id=wb.queue.id)[0]] == ["trace-002"]
    key = factory.api_key(wb.reviewer, "llm_analytics:read")
    body = api_get(live_server, key, f"/api/projects/{pid}/llm_analytics/trace_reviews/?order_by=created_at")
    assert [r["trace_id"] for r in body["results"]] == ["trace-001", "trace-003", "trace-004"]
    first = {s["definition_name"]: s for s in body["results"][0]["scores"]}
    assert first["Answer quality"]["categorical_values"] == ["ok"]
    assert first["Issues"]["categorical_values"] == ["tone", "format"]
    assert first["Rating"]["numeric_value"] == "7.500000" and first["Rating"]["definition_version"] == 2
    assert first["Resolved the issue"]["boolean_value"] is True
    assert first["Answer quality"]["definition_version"] == 1
    assert body["results"][0]["comment"] == "Polite; j and k typed here stay text.?"  # the ? was typed
    assert body["results"][0]["reviewed_by"]["email"] == wb.reviewer.email
    third = {s["definition_name"]: s for s in body["results"][1]["scores"]}
    assert third["Rating"]["numeric_value"] == "8.000000" and third["Resolved the issue"]["boolean_value"] is False
    assert third["Answer quality"]["categorical_values"] == ["bad"]
    fourth = {s["definition_name"]: s for s in body["results"][2]["scores"]}
    assert fourth["Rating"]["numeric_value"] == "10.000000" and fourth["Issues"]["categorical_values"] == ["facts"]


def test_the_review_page_works_without_javascript(browser, live_server, sign_in, factory):
    wb = build(factory, traces=1)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, wb.reviewer, f"/projects/{wb.project.id}/queues/")
        page.get_by_role("button", name="Start reviewing").click()
        page.get_by_label("Good").check()
        page.get_by_label("Tone").check()
        page.get_by_label("Rating").fill("3")
        page.get_by_label("Not resolved").check()
        page.get_by_role("button", name="Save & next").click()
        page.wait_for_selector("text=All done in “Support answers”")
    finally:
        context.close()
    review = queue_items.list_items(wb.project.id, queue_id=wb.queue.id)[1]
    assert review == 0


def test_an_empty_ctrl_enter_is_refused_and_a_conflict_keeps_what_was_typed(page, live_server, sign_in, factory,
                                                                           screenshot):
    from reviewapp.services import reviews

    wb = build(factory, traces=2)
    pid = wb.project.id
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/")
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_url("**/review/*")

    # Right after "Start reviewing", Ctrl+Enter saves nothing: every missing scorer is named, beside it.
    page.keyboard.press("Control+Enter")
    page.get_by_text("before saving, or write a comment saying why you cannot.").wait_for()
    message = page.locator(".flash-error").inner_text()
    assert "“Answer quality”, “Issues”, “Rating” and “Resolved the issue”" in message
    assert page.locator("fieldset.scorer.has-error").count() == 4
    assert focused_scorer(page) == "Answer quality"  # the first scorer at fault has focus
    screenshot(page, "review_required_scorers")
    assert [i.trace_id for i in queue_items.list_items(pid, queue_id=wb.queue.id)[0]] == ["trace-001", "trace-002"]

    # Type a review (a pick on a single-choice scorer moves on by itself); meanwhile an admin reviews the same
    # trace from its page.
    page.keyboard.press("1")
    page.keyboard.press("1")
    page.keyboard.press("j")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    page.keyboard.press("n")
    page.keyboard.press("c")
    page.keyboard.type("Mine, typed with care.")
    reviews.save_review(pid, wb.admin, trace_id="trace-001", comment="The admin was faster.", scores=[])
    page.keyboard.press("Control+Enter")
    conflict = page.locator("#conflict")
    conflict.wait_for()
    assert "Ada Admin reviewed this trace meanwhile" in conflict.inner_text()
    assert "The admin was faster." in conflict.inner_text()
    assert page.locator("#review-comment").input_value() == "Mine, typed with care."
    assert checked(page, "Answer quality") == ["good"] and checked(page, "Issues") == ["tone"]
    assert page.locator("input[type=number]").input_value() == "4"
    assert checked(page, "Resolved the issue") == ["false"]
    screenshot(page, "review_conflict")
    page.get_by_role("button", name="Save over the other review").click()
    page.wait_for_selector("text=Saved your review of trace-001.")
    saved = reviews.active_review_for_trace(pid, "trace-001")
    assert saved.comment == "Mine, typed with care." and len(saved.scores) == 4
