"""The trace page's History card in Chromium: an admin's edit of a reviewer's review reads as a change with both
names, the scores' old and new values and verdicts; a hostile comment stays text; the card fits its column."""
import pytest

from reviewapp.services import reviews, scorers
from tests.web.workbench import build

pytestmark = pytest.mark.e2e

FITS = """(() => {
  const card = document.querySelector('#history').getBoundingClientRect();
  return Array.from(document.querySelectorAll('#history *'))
    .every(el => el.getBoundingClientRect().right <= card.right + 0.5);
})()"""


def test_the_history_card_tells_who_changed_what(page, live_server, sign_in, factory, screenshot):
    wb = build(factory)
    rating = scorers.create_definition(wb.project.id, wb.admin, name="Answer score", kind="numeric", config={
        "min": 1, "max": 5, "step": 1, "passing_rule": {"operator": "gte", "threshold": 4}})
    review = reviews.save_review(wb.project.id, wb.reviewer, trace_id="trace-001",
                                 comment='Too terse. <img src=x onerror="alert(1)">',
                                 scores=[{"definition_id": str(rating.id), "numeric_value": 3},
                                         {"definition_id": str(wb.quality.id), "categorical_values": ["ok"]}])
    reviews.save_review(wb.project.id, wb.admin, review_id=review.id, comment="Short, but it answers the question.",
                        scores=[{"definition_id": str(rating.id), "numeric_value": 4},
                                {"definition_id": str(wb.quality.id), "categorical_values": ["ok"]},
                                {"definition_id": str(wb.helpful.id), "boolean_value": True}])
    sign_in(page, wb.viewer, f"/projects/{wb.project.id}/traces/trace-001")
    card = page.locator("#history")
    entries = card.locator(".history-entry")
    assert entries.count() == 2
    newest = entries.nth(0)
    assert newest.locator(".history-what").inner_text() == "Ada Admin changed Rita Reviewer’s review"
    lines = newest.locator(".history-score").all_inner_texts()
    assert [" ".join(line.split()).replace("( ", "(") for line in lines] == [  # innerText spaces a flex box
        "Answer score: 3 → 4 (✗ Fail → ✓ Pass)", "Resolved the issue: added Resolved (✓ Pass)"]
    assert newest.locator(".comment").nth(0).inner_text() == 'Too terse. <img src=x onerror="alert(1)">'
    assert entries.nth(1).locator(".history-what").inner_text() == "Rita Reviewer reviewed this trace"
    assert page.evaluate(FITS)
    card.scroll_into_view_if_needed()
    screenshot(page, "trace_history")
