"""Blind review on the trace page and the traces list: a reviewer who has not judged a trace pending in a blind
queue sees no one else's judgment, no final review and no one else's history entry, and is told why; once they
have judged it they see everything, as admins always do, and as everyone does in a queue that is not blind. The
trace page names each judge with their values, verdicts, comment and time, and where the item stands."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem
from reviewapp.services import queue_items, queues, reviews, score_validation
from tests.support.blind_rows import judge, live_item, review_beside_live_item, several_reviewers
from tests.web.workbench import build, signed_in

NOTE = "Blind review: other reviewers' answers are hidden until you submit your own."
BOB_SAYS = "Bob thinks the refund policy answer is spot on"
ADA_SAYS = "Ada gives the final word on the shipping question"


def text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def flat(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())


def card(html: str, section_id: str) -> str:
    start = html.index(">", html.index(f'id="{section_id}"')) + 1
    return flat(html[start:html.index("</section>", start)])


def review_card(html: str) -> str:
    start = html.index('aria-labelledby="review-heading"')
    return flat(html[start:html.index("</section>", start)])


def quality(wb, key: str) -> list[dict]:
    return [{"definition_id": str(wb.quality.id), "categorical_values": [key]}]


@pytest.fixture
def world(factory):
    """trace-001: judged by Bob in a blind queue of three per trace; trace-002: a final review by Ada standing
    beside its live item; trace-003: untouched. Rita is a reviewer who judged none of them."""
    wb = build(factory)
    bob = factory.user(email=f"bob{wb.project.id}@example.com", project=wb.project, role="reviewer",
                       first_name="Bob", last_name="Other")
    several_reviewers(wb.queue, reviews_per_trace=3, blind=True)
    judge(live_item(wb.project.id, "trace-001"), bob, quality(wb, "good") + [
        {"definition_id": str(wb.helpful.id), "boolean_value": False}], BOB_SAYS, minutes_ago=5)
    review_beside_live_item(wb.project.id, wb.admin, wb.queue, "trace-002", quality(wb, "bad"), ADA_SAYS)
    return SimpleNamespace(wb=wb, bob=bob)


def trace_page(app, user, project_id: int, trace_id: str) -> str:
    client, _ = signed_in(app, user)
    return text(client.get(f"/projects/{project_id}/traces/{trace_id}"))


# --- the trace page ------------------------------------------------------------------------------------

def test_a_reviewer_who_has_not_judged_sees_no_other_judgment_and_is_told_why(app, world):
    wb = world.wb
    html = trace_page(app, wb.reviewer, wb.project.id, "trace-001")
    assert "Bob Other" not in html and BOB_SAYS not in html
    assert NOTE in review_card(html)
    judgments = card(html, "judgments")
    assert "Others' judgments are hidden until you submit yours." in judgments
    assert "1 of 3 judgments · waiting" in judgments
    assert card(html, "history") == "History Others' changes are hidden until you submit your judgment."


def test_a_reviewer_who_has_not_judged_sees_no_final_review(app, world):
    wb = world.wb
    html = trace_page(app, wb.reviewer, wb.project.id, "trace-002")
    assert ADA_SAYS not in html
    review = flat(html[html.index('aria-labelledby="review-heading"'):])
    assert NOTE in review
    assert "Reviewed" not in review.split("Judgments")[0]
    assert "Pending in Support answers" in review
    assert "Ada Admin reviewed this trace" not in html  # nor the review's history entry


def test_an_admin_sees_every_judgment_with_its_values_verdicts_comment_and_time(app, world):
    wb = world.wb
    html = trace_page(app, wb.admin, wb.project.id, "trace-001")
    assert NOTE not in flat(html)
    judgments = card(html, "judgments")
    assert "1 of 3 judgments · waiting" in judgments
    assert "Bob Other" in judgments and BOB_SAYS in judgments
    assert "Answer quality v1 Good" in judgments
    assert "Resolved the issue v1 Not resolved" in judgments
    assert re.search(r"· Support answers · <time datetime=\"\d{4}-", html)
    assert "Bob Other judged this trace" in card(html, "history")
    assert ADA_SAYS in trace_page(app, wb.admin, wb.project.id, "trace-002")


def test_once_the_reviewer_has_judged_it_they_see_the_others_too(app, world):
    wb = world.wb
    judge(live_item(wb.project.id, "trace-001"), wb.reviewer, quality(wb, "bad"), "Rita disagrees")
    html = trace_page(app, wb.reviewer, wb.project.id, "trace-001")
    assert NOTE not in flat(html)
    judgments = card(html, "judgments")
    assert "2 of 3 judgments · waiting" in judgments
    assert judgments.index("Bob Other") < judgments.index("Rita Reviewer")  # oldest first
    assert BOB_SAYS in judgments and "Rita disagrees" in judgments
    history = card(html, "history")
    assert history.index("Rita Reviewer judged this trace") < history.index("Bob Other judged this trace")


def test_their_own_earlier_judgment_is_always_shown_even_while_others_are_hidden(app, world):
    """Rita judged the trace in an earlier round (its item is done); it is pending again in the blind queue."""
    wb = world.wb
    earlier = queues.create_queue(wb.project.id, wb.admin, "Earlier round")
    several_reviewers(earlier, reviews_per_trace=2, blind=True)
    old_item = ReviewQueueItem(project_id=wb.project.id, queue_id=earlier.id, trace_id="trace-001",
                               deleted_at=datetime(2026, 1, 1, tzinfo=UTC), deleted_reason="reviewed")
    db.session.add(old_item)
    db.session.commit()
    judge(old_item, wb.reviewer, quality(wb, "ok"), "Rita took a first look", minutes_ago=60)
    html = trace_page(app, wb.reviewer, wb.project.id, "trace-001")
    judgments = card(html, "judgments")
    assert NOTE in review_card(html) and "Others' judgments are hidden" in judgments
    assert "Rita Reviewer" in judgments and "Rita took a first look" in judgments and "Earlier round" in judgments
    assert "Bob Other" not in html and BOB_SAYS not in html
    history = card(html, "history")
    assert "Rita Reviewer judged this trace" in history and "Bob Other" not in history


def test_in_a_queue_that_is_not_blind_everyone_sees_the_judgments(app, world):
    wb = world.wb
    several_reviewers(wb.queue, reviews_per_trace=3, blind=False)
    for user in (wb.reviewer, wb.viewer):
        html = trace_page(app, user, wb.project.id, "trace-001")
        assert NOTE not in flat(html)
        assert "Bob Other" in card(html, "judgments") and BOB_SAYS in html
        assert ADA_SAYS in trace_page(app, user, wb.project.id, "trace-002")


def test_a_viewer_is_below_admin_and_sees_nothing_of_a_blind_queue(app, world):
    wb = world.wb
    html = trace_page(app, wb.viewer, wb.project.id, "trace-001")
    assert "Bob Other" not in html and BOB_SAYS not in html and NOTE in flat(html)


def test_the_item_states_needs_a_decision_consensus_and_decided_by(app, world):
    wb = world.wb
    item = live_item(wb.project.id, "trace-001")
    judge(item, wb.admin, quality(wb, "bad"), "Ada says bad", state="needs_decision")
    assert "needs a decision" in card(trace_page(app, wb.admin, wb.project.id, "trace-001"), "judgments")
    # Not even the state is a way round blind review: Rita still sees no one's values.
    rita_html = trace_page(app, wb.reviewer, wb.project.id, "trace-001")
    assert "needs a decision" in card(rita_html, "judgments") and "Ada says bad" not in rita_html

    validated = score_validation.validate_scores(wb.project.id, quality(wb, "good"))
    reviews.write_settled_review(wb.project.id, wb.admin, trace_id="trace-001", scores=validated,
                                 comment="Good after all", queue=wb.queue, resolution="adjudicated")
    html = trace_page(app, wb.reviewer, wb.project.id, "trace-001")  # done: the blind lifts
    assert NOTE not in flat(html)
    assert "decided by Ada Admin" in card(html, "judgments")
    assert "Bob Other" in card(html, "judgments") and "Good after all" in html
    assert "Ada Admin decided this trace’s review" in card(html, "history")

    three = live_item(wb.project.id, "trace-003")
    for n, who in enumerate((world.bob, wb.reviewer, wb.admin)):
        judge(three, who, quality(wb, "ok"), minutes_ago=10 - n)
    agreed = score_validation.validate_scores(wb.project.id, quality(wb, "ok"))
    reviews.write_settled_review(wb.project.id, wb.admin, trace_id="trace-003", scores=agreed, comment=None,
                                 queue=wb.queue, resolution="consensus")
    html = trace_page(app, wb.viewer, wb.project.id, "trace-003")
    assert "consensus" in card(html, "judgments")
    assert "Consensus" in flat(html[html.index('aria-labelledby="review-heading"'):html.index('id="judgments"')])


def test_a_trace_judged_by_no_one_in_a_queue_of_several_says_so(app, world):
    html = trace_page(app, world.wb.admin, world.wb.project.id, "trace-003")
    assert "0 of 3 judgments · waiting" in card(html, "judgments")
    assert "Nobody has judged this trace yet." in card(html, "judgments")


def test_a_queue_of_one_reviewer_per_trace_shows_no_judgments_card(app, factory):
    wb = build(factory)
    assert 'id="judgments"' not in trace_page(app, wb.reviewer, wb.project.id, "trace-001")


def test_the_trace_page_costs_the_same_queries_with_one_or_many_judgments(app, factory, count_queries):
    wb = build(factory, traces=2)
    several_reviewers(wb.queue, reviews_per_trace=8, blind=True)
    judges = [factory.user(project=wb.project, role="reviewer") for _ in range(6)]
    first, second = live_item(wb.project.id, "trace-001"), live_item(wb.project.id, "trace-002")
    judge(first, wb.reviewer, quality(wb, "good"), "mine")
    judge(first, judges[0], quality(wb, "bad"), "one other")
    judge(second, wb.reviewer, quality(wb, "good"), "mine")
    for n, who in enumerate(judges):
        judge(second, who, quality(wb, "ok") + [{"definition_id": str(wb.rating.id), "numeric_value": n}], f"c{n}")

    def queries(client, trace_id: str) -> tuple[int, int]:
        db.session.expire_all()
        with count_queries() as statements:
            html = text(client.get(f"/projects/{wb.project.id}/traces/{trace_id}"))
        return len(statements), card(html, "judgments").count("· Support answers ·")

    for user in (wb.reviewer, wb.admin):  # Rita judged both traces: she sees every judgment
        client, _ = signed_in(app, user)
        (few, few_shown), (many, many_shown) = queries(client, "trace-001"), queries(client, "trace-002")
        assert (few_shown, many_shown) == (2, 7)
        assert few == many, user.email


# --- the traces list -----------------------------------------------------------------------------------

def list_rows(app, user, project_id: int, query: str = "") -> dict[str, str]:
    client, _ = signed_in(app, user)
    html = text(client.get(f"/projects/{project_id}/traces/{query}"))
    rows = re.findall(r'<tr class="[^"]*">(.*?)</tr>', html, re.S)
    found = {}
    for row in rows:
        trace_id = re.search(r'name="trace_ids" value="([^"]+)"', row).group(1)
        found[trace_id] = flat(row[row.index('class="col-status">') + len('class="col-status">'):])
    return found


def test_the_traces_list_shows_a_hidden_review_as_pending_and_leaves_it_out_of_reviewed(app, world):
    wb = world.wb
    rita = list_rows(app, wb.reviewer, wb.project.id)
    assert rita["trace-002"] == "Pending in Support answers"
    assert list_rows(app, wb.reviewer, wb.project.id, "?review_state=reviewed") == {}
    assert set(list_rows(app, wb.reviewer, wb.project.id, "?review_state=pending")) == {
        "trace-001", "trace-002", "trace-003"}

    assert list_rows(app, wb.admin, wb.project.id)["trace-002"] == "Reviewed"
    assert set(list_rows(app, wb.admin, wb.project.id, "?review_state=reviewed")) == {"trace-002"}


def test_the_traces_list_shows_the_review_once_the_reviewer_has_judged_or_the_queue_is_not_blind(app, world):
    wb = world.wb
    judge(live_item(wb.project.id, "trace-002"), wb.reviewer, quality(wb, "bad"))
    assert list_rows(app, wb.reviewer, wb.project.id)["trace-002"] == "Reviewed"
    several_reviewers(wb.queue, reviews_per_trace=3, blind=False)
    assert list_rows(app, wb.viewer, wb.project.id)["trace-002"] == "Reviewed"


def test_the_traces_list_costs_the_same_queries_for_a_blind_reviewer(app, factory, count_queries):
    wb = build(factory, traces=1)
    several_reviewers(wb.queue, blind=True)
    other = build(factory, traces=12)
    from reviewapp.services import accounts

    accounts.set_membership(wb.reviewer, other.project, "reviewer")
    several_reviewers(other.queue, blind=True)
    for trace_id in other.trace_ids[:4]:
        judge(live_item(other.project.id, trace_id), other.reviewer, quality(other, "good"))
    client, _ = signed_in(app, wb.reviewer)

    def queries(project_id: int) -> tuple[int, int]:
        db.session.expire_all()
        with count_queries() as statements:
            html = text(client.get(f"/projects/{project_id}/traces/"))
        return len(statements), html.count('name="trace_ids"')

    (one, one_rows), (many, many_rows) = queries(wb.project.id), queries(other.project.id)
    assert (one_rows, many_rows) == (1, 12)
    assert one == many


def test_removing_the_item_lifts_the_blind(app, world):
    wb = world.wb
    item = db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.trace_id == "trace-001",
                                                           ReviewQueueItem.deleted_at.is_(None)))
    queue_items.remove_item(wb.project.id, wb.admin, item.id)
    html = trace_page(app, wb.reviewer, wb.project.id, "trace-001")
    assert NOTE not in flat(html) and BOB_SAYS in html
