"""Two reviewers judge the same trace in Chromium, each in their own browser context, in a blind queue with two
reviewers per trace: the second sees nothing of the first's answer before submitting; after both, the trace is
done by consensus when they agree, and waits for a decision when they do not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem, TraceReview
from tests.web.workbench import build

pytestmark = pytest.mark.e2e


@pytest.fixture
def contexts(browser):
    made = []

    def new_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        made.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield new_page
    for context in made:
        context.close()


def judge(page, wb, *, quality: str, comment: str) -> None:
    """Answer every scorer from the keyboard-ready panel and Save & next with Ctrl+Enter."""
    page.locator(f"input[name='score-{wb.quality.id}'][value='{quality}']").check()
    page.locator(f"input[name='score-{wb.tags.id}'][value='tone']").check()
    page.locator(f"input[name='score-{wb.rating.id}']").fill("7.5")
    page.locator(f"input[name='score-{wb.helpful.id}'][value='true']").check()
    page.locator("#review-comment").fill(comment)
    with page.expect_navigation():
        page.locator("#review-comment").press("Control+Enter")


@pytest.mark.parametrize("second_quality, outcome", [("good", "consensus"), ("bad", "needs_decision")])
def test_two_reviewers_judge_one_trace_blind(contexts, live_server, sign_in, factory, screenshot,
                                             second_quality, outcome):
    wb = build(factory, traces=1)
    wb.queue.reviews_per_trace, wb.queue.blind = 2, True
    db.session.commit()
    second = factory.user(project=wb.project, role="reviewer", first_name="Sam", last_name="Second")
    queue_path = f"/projects/{wb.project.id}/queues/{wb.queue.id}/"
    db.session.commit()  # end this thread's read: the server thread writes sessions and claims

    rita, sam = contexts(), contexts()
    for page, user in ((rita, wb.reviewer), (sam, second)):
        sign_in(page, user, queue_path)
        page.get_by_role("button", name="Start reviewing").first.click()
        page.wait_for_url("**/review/*")

    assert "Judgment 1 of 2" in rita.locator(".review-panel").inner_text()
    judge(rita, wb, quality="good", comment="Rita thinks it is good")
    assert "Saved your judgment of trace-001" in rita.content()

    # Sam has the same trace open; reloading it after Rita's save still shows nothing of hers.
    sam.reload()
    panel = sam.locator(".review-panel").inner_text()
    assert "Judgment 2 of 2" in panel and "blind: others' answers are hidden until you submit" in panel
    assert "Rita" not in sam.content()
    assert sam.locator(f"input[name='score-{wb.quality.id}']:checked").count() == 0
    assert sam.locator("#review-comment").input_value() == ""
    screenshot(sam, f"two-reviewers-blind-{outcome}")
    judge(sam, wb, quality=second_quality, comment="Sam's view")
    assert "Saved your judgment of trace-001" in sam.content()

    db.session.expire_all()
    item = db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.trace_id == "trace-001"))
    review = db.session.scalar(select(TraceReview).where(TraceReview.trace_id == "trace-001"))
    if outcome == "consensus":
        assert item.deleted_reason == "reviewed" and review.resolution == "consensus"
        assert review.scores and {s.definition_id for s in review.scores} == {d.id for d in wb.scorers}
    else:
        assert (item.deleted_at, item.state, item.judgment_count, review) == (None, "needs_decision", 2, None)
