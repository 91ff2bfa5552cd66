"""The review page in a queue with several reviewers per trace: Save & next saves a judgment, the panel says which
judgment it is and that the queue is blind, nothing of the others' answers shows, a judged trace reopens as the
reviewer's own judgment, Previous reaches it, and assignees alone claim."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import Judgment, QueueAssignee, TraceReview
from tests.web.workbench import build, form_fields, signed_in


@pytest.fixture
def wb(factory):
    bench = build(factory, traces=2)
    bench.queue.reviews_per_trace, bench.queue.blind = 2, True
    db.session.commit()
    return bench


def answers(wb, *, quality="good", comment="Fine answer."):
    return {f"score-{wb.quality.id}": quality, f"score-{wb.tags.id}": "tone", f"score-{wb.rating.id}": "7.5",
            f"score-{wb.helpful.id}": "true", "comment": comment}


def start(client, wb, token) -> str:
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next", data={"csrf_token": token})
    assert response.status_code == 302
    return response.location


def judge(client, location: str, wb, **values):
    page = client.get(location).get_data(as_text=True)
    return client.post(location, data={**form_fields(page), **answers(wb, **values)}), page


def test_two_reviewers_judge_the_same_trace_and_it_settles_by_consensus(app, wb, factory):
    second = factory.user(project=wb.project, role="reviewer", first_name="Sam", last_name="Second")
    rita, rita_token = signed_in(app, wb.reviewer)
    sam, sam_token = signed_in(app, second)
    mine, theirs = start(rita, wb, rita_token), start(sam, wb, sam_token)
    assert mine == theirs  # both hold the first trace: two places on it

    saved, page = judge(rita, mine, wb, comment="Rita's secret reasoning")
    assert "Judgment 1 of 2" in page and "blind: others' answers are hidden until you submit" in page
    assert saved.status_code == 302
    assert "Saved your judgment of trace-001" in rita.get(saved.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Judgment.id))) == 1
    assert db.session.scalar(select(func.count(TraceReview.id))) == 0

    page = sam.get(theirs).get_data(as_text=True)
    assert "Judgment 2 of 2" in page and "Rita&#39;s secret reasoning" not in page
    assert "Rita" not in page.split('aria-label="Scoring"', 1)[1]  # no sign of her answer in the panel
    saved = sam.post(theirs, data={**form_fields(page), **answers(wb, comment="Sam's own")})
    assert saved.status_code == 302
    review = db.session.scalar(select(TraceReview))
    assert (review.trace_id, review.resolution) == ("trace-001", "consensus")


def test_different_answers_leave_the_trace_waiting_for_a_decision(app, wb, factory):
    second = factory.user(project=wb.project, role="reviewer")
    rita, rita_token = signed_in(app, wb.reviewer)
    sam, sam_token = signed_in(app, second)
    judge(rita, start(rita, wb, rita_token), wb, quality="good")
    judge(sam, start(sam, wb, sam_token), wb, quality="bad")
    assert db.session.scalar(select(func.count(TraceReview.id))) == 0
    item = wb.items()[0]
    assert (item.trace_id, item.state, item.judgment_count) == ("trace-001", "needs_decision", 2)


def test_a_judged_trace_reopens_as_ones_own_judgment_and_previous_finds_it(app, wb):
    rita, token = signed_in(app, wb.reviewer)
    first = start(rita, wb, token)
    saved, _ = judge(rita, first, wb, comment="first thoughts")
    assert saved.location.endswith(f"/review/{wb.items()[1].id}")  # next: the other trace, never the same
    previous = rita.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/previous?n=1")
    assert previous.location.split("?")[0].endswith(first)
    page = rita.get(previous.location).get_data(as_text=True)
    assert "Editing your judgment of" in page and "first thoughts" in page and "Judgment 1 of 2" in page
    edited = rita.post(first, data={**form_fields(page), **answers(wb, comment="second thoughts")})
    assert edited.status_code == 302
    judgments = db.session.scalars(select(Judgment)).all()
    assert [(j.reviewer_id, j.comment) for j in judgments] == [(wb.reviewer.id, "second thoughts")]


def test_editing_a_judgment_adds_the_edits_time_to_it(app, wb):
    """Time spent on an edit counts as a review's edit does: added to the judgment's, each save clamped to a day."""
    from itsdangerous import URLSafeSerializer

    rita, token = signed_in(app, wb.reviewer)
    first = start(rita, wb, token)
    stamp = URLSafeSerializer(app.config["SECRET_KEY"], salt="review-page-rendered")
    page = rita.get(first).get_data(as_text=True)
    rita.post(first, data={**form_fields(page), **answers(wb), "started": stamp.dumps(time.time() - 40)})
    judgment = db.session.scalar(select(Judgment))
    assert 40 <= judgment.time_spent_seconds < 70

    page = rita.get(first).get_data(as_text=True)
    assert "Editing your judgment of" in page
    rita.post(first, data={**form_fields(page), **answers(wb, comment="on reflection"),
                           "started": stamp.dumps(time.time() - 20)})
    db.session.refresh(judgment)
    assert judgment.comment == "on reflection" and 60 <= judgment.time_spent_seconds < 120

    page = rita.get(first).get_data(as_text=True)  # a tab left open for a week counts one day, not seven
    rita.post(first, data={**form_fields(page), **answers(wb), "started": stamp.dumps(time.time() - 7 * 86400)})
    db.session.refresh(judgment)
    assert 86400 + 60 <= judgment.time_spent_seconds < 86400 + 120


def test_a_refused_judgment_comes_back_with_the_input(app, wb):
    rita, token = signed_in(app, wb.reviewer)
    location = start(rita, wb, token)
    page = rita.get(location).get_data(as_text=True)
    response = rita.post(location, data={**form_fields(page), f"score-{wb.rating.id}": "7.25",
                                         "comment": "kept as typed"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "kept as typed" in html and "Judgment 1 of 2" in html
    assert db.session.scalar(select(func.count(Judgment.id))) == 0


def test_a_non_assignee_is_told_why_nothing_is_claimed(app, wb, factory):
    db.session.add(QueueAssignee(queue_id=wb.queue.id, user_id=wb.admin.id))
    db.session.commit()
    rita, token = signed_in(app, wb.reviewer)
    done = rita.get(start(rita, wb, token)).get_data(as_text=True)
    assert "You are not assigned to this queue." in done


def test_the_trace_page_sends_a_reviewer_to_judge_a_trace_of_such_a_queue_not_around_it(app, wb, factory):
    """A trace pending in a queue with several reviewers per trace is judged there: its page offers "Judge this
    trace", and the review form outside the queue sends there instead of writing a review around the judgments;
    once the judgments disagree, an admin is sent to decide and a reviewer is told an admin decides."""
    rita, _ = signed_in(app, wb.reviewer)
    base = f"/projects/{wb.project.id}"
    assert "Judge this trace" in rita.get(f"{base}/traces/trace-001").get_data(as_text=True)
    item = next(i for i in wb.items() if i.trace_id == "trace-001")
    opened = rita.get(f"{base}/traces/trace-001/review")
    assert opened.status_code == 302 and opened.location == f"{base}/review/{item.id}"
    assert db.session.scalar(select(func.count(TraceReview.id))) == 0

    item.state = "needs_decision"
    db.session.commit()
    told = rita.get(f"{base}/traces/trace-001/review", follow_redirects=True).get_data(as_text=True)
    assert "they differ, and an admin decides" in told and "Waiting for a decision" in told
    admin, _ = signed_in(app, wb.admin)
    sent = admin.get(f"{base}/traces/trace-001/review")
    assert sent.location == f"{base}/decisions/{item.id}"
