"""Blind review in Chromium, as a reviewer of a blind queue: on every page they can reach for a trace someone else
judged — the trace page, the traces list, the Reviews list, and the API fetched with their session — nothing of
the other judgment or of the trace's final review shows (no name, no comment), and the page says why. Once their
own judgment exists, the others' show."""
from __future__ import annotations

import json

import pytest

from tests.support.blind_rows import judge, live_item, review_beside_live_item, several_reviewers
from tests.web.workbench import build

pytestmark = pytest.mark.e2e

NOTE = "Blind review: other reviewers' answers are hidden until you submit your own."
BOB_SAYS = "Bob thinks the refund policy answer is spot on"
ADA_SAYS = "Ada gives the final word on the shipping question"


# The page's text but for its drop-downs' options (the reviewer filter names every member of the project).
OUTSIDE_PICKERS = """(() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('select').forEach(el => el.remove());
  return copy.innerText || copy.textContent;
})()"""


def quality(wb, key: str) -> list[dict]:
    return [{"definition_id": str(wb.quality.id), "categorical_values": [key]}]


def api_text(page, project_id: int, path: str) -> str:
    """The API's answer as the signed-in browser gets it (the session authenticates a read)."""
    answer = page.evaluate("""async (url) => {
        const response = await fetch(url, {headers: {Accept: 'application/json'}});
        return {status: response.status, body: await response.text()};
    }""", f"/api/environments/{project_id}/llm_analytics/{path}")
    assert answer["status"] in (200, 404), answer
    return answer["body"]


def test_a_blind_reviewer_sees_nothing_of_others_work_until_they_have_judged(page, live_server, sign_in, factory,
                                                                              screenshot):
    wb = build(factory)
    bob = factory.user(email=f"bob{wb.project.id}@example.com", project=wb.project, role="reviewer",
                       first_name="Bob", last_name="Other")
    several_reviewers(wb.queue, reviews_per_trace=3, blind=True)
    judge(live_item(wb.project.id, "trace-001"), bob, quality(wb, "good") + [
        {"definition_id": str(wb.helpful.id), "boolean_value": False}], BOB_SAYS, minutes_ago=5)
    review = review_beside_live_item(wb.project.id, wb.admin, wb.queue, "trace-002", quality(wb, "bad"), ADA_SAYS)
    project = wb.project.id
    secrets = ("Bob Other", BOB_SAYS, ADA_SAYS)

    def shows_none_of_the_others(text: str) -> None:
        for secret in secrets:
            assert secret not in text, secret

    sign_in(page, wb.reviewer, f"/projects/{project}/traces/trace-001")
    shows_none_of_the_others(page.inner_text("body"))
    assert page.locator("section[aria-labelledby='review-heading'] .blind-note").inner_text() == NOTE
    assert page.locator("#history .blind-hidden").inner_text() == (
        "Others' changes are hidden until you submit your judgment.")
    assert "1 of 3 judgments · waiting" in page.locator("#judgments").inner_text()
    screenshot(page, "blind_trace_page_hidden")

    page.goto(live_server(f"/projects/{project}/traces/trace-002"))
    shows_none_of_the_others(page.inner_text("body"))
    assert page.locator("section[aria-labelledby='review-heading'] .blind-note").inner_text() == NOTE

    page.goto(live_server(f"/projects/{project}/traces/"))
    shows_none_of_the_others(page.inner_text("body"))
    row = page.locator("tr", has=page.locator("input[value='trace-002']"))
    assert row.locator(".col-status").inner_text().strip() == "Pending in Support answers"
    screenshot(page, "blind_traces_list")

    page.goto(live_server(f"/projects/{project}/reviews/"))
    shows_none_of_the_others(page.evaluate(OUTSIDE_PICKERS))  # the reviewer filter lists every member
    screenshot(page, "blind_reviews_list")

    for path in ("trace_reviews/", f"trace_reviews/{review.id}/", f"trace_reviews/{review.id}/history/",
                 "traces/", "traces/trace-001/", "traces/trace-002/", "traces/trace-001/review_history/",
                 "traces/trace-002/review_history/"):
        shows_none_of_the_others(api_text(page, project, path))
    assert json.loads(api_text(page, project, "trace_reviews/"))["count"] == 0

    # Rita judges both traces (inserted): now the others' work is hers to see.
    judge(live_item(project, "trace-001"), wb.reviewer, quality(wb, "bad"), "Rita disagrees")
    judge(live_item(project, "trace-002"), wb.reviewer, quality(wb, "ok"))
    page.goto(live_server(f"/projects/{project}/traces/trace-001"))
    judgments = page.locator("#judgments")
    assert page.locator(".blind-note, .blind-hidden").count() == 0
    assert "2 of 3 judgments · waiting" in judgments.inner_text()
    assert judgments.locator(".judgment").count() == 2
    assert "Bob Other" in judgments.inner_text() and BOB_SAYS in judgments.inner_text()
    assert "Bob Other judged this trace" in page.locator("#history").inner_text()
    screenshot(page, "blind_trace_page_after_judging")

    page.goto(live_server(f"/projects/{project}/traces/trace-002"))
    assert ADA_SAYS in page.locator("section[aria-labelledby='review-heading']").inner_text()
    page.goto(live_server(f"/projects/{project}/traces/"))
    assert row.locator(".col-status").inner_text().strip() == "Reviewed"
    page.goto(live_server(f"/projects/{project}/reviews/"))
    assert ADA_SAYS in page.inner_text("body")
    assert ADA_SAYS in api_text(page, project, f"trace_reviews/{review.id}/")
    assert BOB_SAYS in api_text(page, project, "traces/trace-001/review_history/")
