"""Pass/fail in Chromium: on the review page each scorer's Pass / Fail changes as the reviewer picks and types,
before saving (review.js decides from the rule's data); what is saved is what was shown, and the Reviews list's
"Failing only" filter then finds the review."""
from __future__ import annotations

import pytest

from reviewapp.extensions import db
from reviewapp.services import reviews
from tests.support.rules import give_rule
from tests.web.workbench import build

pytestmark = pytest.mark.e2e


def scorer(page, name: str):
    return page.locator("fieldset.scorer", has=page.locator(".scorer-name", has_text=name))


def shown(page, name: str) -> str:
    """The verdict a scorer shows right now, as read out: "Pass", "Fail" or "No verdict" (the marks are hidden
    from screen readers)."""
    text = scorer(page, name).locator("[data-verdict] > span:not([hidden])").inner_text().strip()
    return text.replace("✓", "").replace("✗", "").replace("–", "").strip()


def test_pass_fail_changes_live_then_shows_on_the_reviews_list(page, live_server, sign_in, factory, screenshot):
    wb = build(factory, traces=2)
    give_rule(wb.quality, passing_rule={"categories": ["good", "ok"]})
    give_rule(wb.tags, passing_rule={"categories": ["tone"]})
    give_rule(wb.rating, passing_rule={"operator": "gte", "threshold": 7.0})
    give_rule(wb.helpful, true_is_failure=True)  # "Not resolved" passes: the rule is the scorer's, not ours
    pid = wb.project.id
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/{wb.queue.id}/")
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_url("**/review/*")

    # Nothing picked: no verdict, only the rules in words.
    assert [shown(page, name) for name in ("Answer quality", "Issues", "Rating", "Resolved the issue")] == \
        ["No verdict"] * 4
    assert scorer(page, "Rating").get_by_text("≥ 7 passes").is_visible()
    assert scorer(page, "Resolved the issue").get_by_text("Not resolved means pass").is_visible()

    quality = scorer(page, "Answer quality")
    quality.get_by_label("Bad").check()
    assert shown(page, "Answer quality") == "Fail"
    quality.get_by_label("Acceptable").check()
    assert shown(page, "Answer quality") == "Pass"

    tags = scorer(page, "Issues")
    tags.get_by_label("Tone").check()
    assert shown(page, "Issues") == "Pass"
    tags.get_by_label("Wrong facts").check()
    assert shown(page, "Issues") == "Fail"  # every chosen key must pass
    tags.get_by_label("Tone").uncheck()
    tags.get_by_label("Wrong facts").uncheck()
    assert shown(page, "Issues") == "No verdict"  # nothing chosen again: neutral
    tags.get_by_label("Wrong facts").check()

    rating = scorer(page, "Rating").locator("input[type=number]")
    rating.fill("6.5")
    assert shown(page, "Rating") == "Fail"
    rating.fill("7")  # at the threshold: passes
    assert shown(page, "Rating") == "Pass"
    rating.fill("")
    assert shown(page, "Rating") == "No verdict"
    rating.click()
    page.keyboard.type("9.5")  # typed key by key, as a reviewer does
    assert shown(page, "Rating") == "Pass"

    page.keyboard.press("Escape")
    page.keyboard.press("j")  # to the boolean, then answer with the keyboard
    page.keyboard.press("y")
    assert shown(page, "Resolved the issue") == "Fail"
    page.keyboard.press("n")
    assert shown(page, "Resolved the issue") == "Pass"
    assert scorer(page, "Resolved the issue").locator(".passfail-pass").get_attribute("title") == \
        "Pass: Not resolved means pass"
    before_saving = {name: shown(page, name) for name in ("Answer quality", "Issues", "Rating", "Resolved the issue")}
    assert before_saving == {"Answer quality": "Pass", "Issues": "Fail", "Rating": "Pass",
                             "Resolved the issue": "Pass"}
    screenshot(page, "pass_fail_review_page")
    page.get_by_role("button", name="Save & next").click()
    page.wait_for_selector("text=Saved your review of trace-001.")

    # The server decided the same, and stored it.
    db.session.expire_all()
    review = reviews.active_review_for_trace(pid, "trace-001")
    stored = {score.definition.name: score.passed for score in review.scores}
    assert stored == {name: verdict == "Pass" for name, verdict in before_saving.items()}

    # The Reviews list: the failing review is found by "Failing only", with its Fail beside the score.
    reviews.save_review(pid, wb.admin, trace_id="trace-002", scores=[
        {"definition_id": str(wb.quality.id), "categorical_values": ["good"]}], queue_id=wb.queue.id)
    page.goto(live_server(f"/projects/{pid}/reviews/"))
    assert page.locator("table tbody tr").count() == 2
    page.get_by_label("Failing only").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**failing=1**")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "trace-001" in rows.first.inner_text()
    issues = rows.first.locator(".score-line", has=page.locator(".score-name", has_text="Issues"))
    assert issues.locator(".passfail-fail").inner_text().replace("✗", "").strip() == "Fail"
    assert page.get_by_label("Failing only").is_checked()
    assert "failing=1" in page.get_by_role("link", name="Export CSV").get_attribute("href")
    screenshot(page, "pass_fail_reviews_failing_only")

    # The queue page counts them per scorer.
    page.goto(live_server(f"/projects/{pid}/queues/{wb.queue.id}/"))
    assert page.get_by_role("heading", name="Pass/fail in this queue's reviews").is_visible()
    screenshot(page, "pass_fail_queue_page")
    page.goto(live_server(f"/projects/{pid}/traces/trace-001"))
    screenshot(page, "pass_fail_trace_page")
