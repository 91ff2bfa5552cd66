"""An admin settles a disagreement in Chromium with the keyboard only: from the queue page to the list of traces
that need a decision, then on the decision page j/k between scorers, a digit to take a reviewer's value, o and a
number for their own, c for the note, Ctrl+Enter to save. The final review reads back adjudicated, by the admin."""
from __future__ import annotations

from decimal import Decimal

import pytest

from reviewapp.extensions import db
from reviewapp.services import reviews
from tests.support.judgments import three_judges

pytestmark = pytest.mark.e2e

# Runs before any page script: every Content-Security-Policy violation and uncaught error is recorded.
WATCH = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', e => window.__problems.push('csp ' + e.violatedDirective));
window.addEventListener('error', e => window.__problems.push('error ' + e.message));
"""


def active_scorer(page) -> str | None:
    return page.evaluate("() => { const r = document.querySelector('[data-scorer].is-active');"
                         " return r ? r.querySelector('.scorer-name').textContent : null; }")


def chosen(page, scorer: str) -> str | None:
    row = page.locator("[data-scorer]", has=page.locator(".scorer-name", has_text=scorer))
    values = row.locator("input[name^=choice-]:checked").evaluate_all("els => els.map(e => e.value)")
    return values[0] if values else None


def test_an_admin_adjudicates_from_the_keyboard(page, live_server, sign_in, factory, screenshot):
    case = three_judges(factory, traces=2, waiting=2)
    wb = case.wb
    pid = wb.project.id
    page.add_init_script(WATCH)
    sign_in(page, wb.admin, f"/projects/{pid}/queues/{wb.queue.id}/")
    page.get_by_role("link", name="Needs a decision (2)").click()
    page.wait_for_url(f"**/queues/{wb.queue.id}/decisions/")
    assert page.title().startswith("Needs a decision (2)")
    screenshot(page, "decisions-list")
    page.get_by_role("link", name="Start deciding").click()
    page.wait_for_url("**/decisions/*")

    # The first scorer the reviewers differ on is focused as the page opens; nothing is chosen for it yet.
    assert active_scorer(page) == "Answer quality"
    assert chosen(page, "Answer quality") is None
    page.keyboard.press("?")
    assert page.locator("#shortcut-sheet").get_attribute("open") is not None
    page.keyboard.press("?")
    assert page.locator("#shortcut-sheet").get_attribute("open") is None
    page.keyboard.press("2")  # Bob's value: Bad
    assert chosen(page, "Answer quality") == "j2"
    page.keyboard.press("j")
    assert active_scorer(page) == "Issues"
    assert chosen(page, "Issues") == "j1"  # all three left it unanswered: agreed
    page.keyboard.press("j")
    assert active_scorer(page) == "Rating"
    page.keyboard.press("1")
    assert chosen(page, "Rating") == "j1"
    page.keyboard.press("o")  # then my own value instead: the box is focused, its pre-filled value selected
    assert chosen(page, "Rating") == "own"
    page.keyboard.type("6.5")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    assert active_scorer(page) == "Resolved the issue" and chosen(page, "Resolved the issue") == "j1"
    page.keyboard.press("k")
    assert active_scorer(page) == "Rating"
    page.keyboard.press("c")
    page.keyboard.type("Bob spotted the wrong refund policy.")
    screenshot(page, "decision-view")
    assert page.evaluate("window.__problems") == []

    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda url: str(case.item.id) not in url)
    assert "Decided trace-001: its final review is saved." in page.locator(".flash").first.inner_text()
    assert "Needs a decision (1)" in page.locator(".breadcrumbs").inner_text()
    assert "Decide trace-002" in page.locator("h1").inner_text()  # the next trace that needs a decision
    page.set_viewport_size({"width": 820, "height": 900})  # narrow: the decision above the trace
    screenshot(page, "decision-view-narrow")
    assert page.evaluate("window.__problems") == []

    db.session.expire_all()
    review = reviews.active_review_for_trace(pid, "trace-001")
    assert review.resolution == "adjudicated"
    assert review.reviewed_by_id == wb.admin.id and review.created_by_id == wb.admin.id
    assert review.comment == "Bob spotted the wrong refund policy."
    assert {s.definition.name: (s.categorical_values, s.numeric_value, s.boolean_value) for s in review.scores} == {
        "Answer quality": (["bad"], None, None), "Rating": (None, Decimal("6.5"), None),
        "Resolved the issue": (None, None, True)}
