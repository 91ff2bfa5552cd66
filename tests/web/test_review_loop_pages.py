"""The review loop on the server: Save & next answering review-loop.js with the next trace's page region in the
same response (no extra round trip, no claim ahead of time), redirects handed to the script, the auto-advance
setting, "open the next queue with work", and a fixed number of statements per step."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.services import claims, queue_items, queues
from tests.web.workbench import build, form_fields, signed_in

FRAGMENT = {"X-Review-Fragment": "1"}


@pytest.fixture
def wb(factory):
    return build(factory)


def text(response) -> str:
    return response.get_data(as_text=True)


def start(client, wb, token) -> str:
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next", data={"csrf_token": token})
    assert response.status_code == 302
    return response.location


def answers(wb) -> dict:
    return {f"score-{wb.quality.id}": "good", f"score-{wb.tags.id}": ["tone"], f"score-{wb.rating.id}": "7.5",
            f"score-{wb.helpful.id}": "true", "comment": "Fine."}


def held_by(wb, user) -> list[str]:
    items, _ = queue_items.list_items(wb.project.id, queue_id=wb.queue.id)
    return [i.trace_id for i in items if i.claimed_by_id == user.id and claims.active_claim(i)]


def test_save_and_next_answers_the_script_with_the_next_trace(app, wb):
    client, token = signed_in(app, wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = client.post(location, data={**form_fields(page), **answers(wb)}, headers=FRAGMENT)
    assert response.status_code == 200
    assert response.headers["X-Review-Fragment"] == "1"
    html = text(response)
    assert "<html" not in html and "Saved your review of trace-001." in html
    assert 'data-title="Review ' in html and "trace-002" in html
    next_id = response.headers["X-Review-Url"].rsplit("/", 1)[1]
    assert f'action="/projects/{wb.project.id}/review/{next_id}"' in html
    assert held_by(wb, wb.reviewer) == ["trace-002"]  # the next one only: nothing claimed ahead
    assert "X-Review-Fragment" in response.headers.get("Vary", "")
    # The address it gives is a real page: opened whole, it shows the same trace, still held.
    whole = client.get(response.headers["X-Review-Url"])
    assert whole.status_code == 200 and "<html" in text(whole) and "trace-002" in text(whole)


def test_a_redirect_is_handed_to_the_script(app, wb):
    client, token = signed_in(app, wb.reviewer)
    location = start(client, wb, token)
    response = client.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/previous?item="
                          + location.rsplit("/", 1)[1], headers=FRAGMENT)
    assert response.status_code == 204 and response.headers["X-Review-Go"] == location
    # Without the script, the same request is a plain redirect, as before.
    plain = client.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/previous?item="
                       + location.rsplit("/", 1)[1])
    assert plain.status_code == 302 and plain.location == location


def test_the_last_save_goes_to_the_done_page_whole(app, factory):
    wb = build(factory, traces=1)
    client, token = signed_in(app, wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = client.post(location, data={**form_fields(page), **answers(wb)}, headers=FRAGMENT)
    assert response.status_code == 204
    assert response.headers["X-Review-Go"].endswith(f"/queues/{wb.queue.id}/review/done")
    assert "Saved your review of trace-001." in text(client.get(response.headers["X-Review-Go"]))  # flash kept


def test_auto_advance_is_saved_per_user_and_shown_on_the_page(app, wb):
    client, token = signed_in(app, wb.reviewer)
    location = start(client, wb, token)
    assert 'data-auto-advance="1"' in text(client.get(location))
    response = client.post("/account/auto-advance", data={"csrf_token": token, "auto_advance": "off",
                                                          "next": location})
    assert response.status_code == 302 and response.location == location
    db.session.refresh(wb.reviewer)
    assert wb.reviewer.auto_advance is False
    assert 'data-auto-advance="0"' in text(client.get(location))
    # Elsewhere than a local path, it goes home instead.
    response = client.post("/account/auto-advance", data={"csrf_token": token, "auto_advance": "on",
                                                          "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response.location
    db.session.refresh(wb.reviewer)
    assert wb.reviewer.auto_advance is True
    assert client.post("/account/auto-advance", data={"auto_advance": "off"}).status_code == 400  # no CSRF token


def test_the_next_queue_with_work(app, wb):
    pid = wb.project.id
    queues.create_queue(pid, wb.admin, "Accounts", "")  # nothing pending: passed over
    tax = queues.create_queue(pid, wb.admin, "Tax answers", "")
    queue_items.add_item(pid, wb.admin, tax.id, "tax-001")
    client, token = signed_in(app, wb.reviewer)
    response = client.post(f"/projects/{pid}/review/next-queue", data={"csrf_token": token, "queue_id": wb.queue.id})
    assert response.status_code == 302
    assert "tax-001" in text(client.get(response.location))
    # From the last queue by name it goes round to the first with work.
    response = client.post(f"/projects/{pid}/review/next-queue", data={"csrf_token": token, "queue_id": tax.id})
    assert "trace-001" in text(client.get(response.location))

def test_no_other_queue_with_work_says_so(app, factory):
    wb = build(factory, traces=1)
    client, token = signed_in(app, wb.reviewer)
    start(client, wb, token)
    response = client.post(f"/projects/{wb.project.id}/review/next-queue",
                           data={"csrf_token": token, "queue_id": wb.queue.id}, follow_redirects=True)
    assert "No other queue has a trace for you right now." in text(response)


def test_the_queues_page_numbers_queues_with_work(app, wb):
    queues.create_queue(wb.project.id, wb.admin, "Accounts", "")  # nothing pending: no key
    client, _ = signed_in(app, wb.reviewer)
    html = text(client.get(f"/projects/{wb.project.id}/queues/"))
    assert re.findall(r'data-key="(\d)"', html) == ["1"]


# Statements per step of the loop (the signed-in user and their memberships, read in one, included). Each is a
# round trip on PostgreSQL, where they are most of a step's time: a change that adds one should be a choice, not an
# accident.
PAGE_STATEMENTS = 5  # was 18: the trace view reuses the page's review and item, a held claim is not read back,
# the queue's assignees are read only when a claim asks, a lease with more than half to run is not renewed; the
# trace, its review, whether it has judgments (read only then), the queue's pending count and the reviewer's last
# skip of the trace come in one statement
SAVE_STATEMENTS = 9  # was 21: the claim reuses the saved item's queue and keeps the item it took; the review
# the panel shows is read once, locked for the save; the save checks the scores against the scorers the panel
# read; the save takes the item and completes it in one guarded update; the claim asks for assignees inside its
# candidate look-up, and its first two look-ups and its guarded update go in one statement
SAVE_AND_PAGE_STATEMENTS = 11  # was 28: the same, and the project's scorers are read once for both panels


def test_statements_per_step_are_fixed(app, factory, count_queries):
    wb = build(factory, traces=4)
    client, token = signed_in(app, wb.reviewer)
    location = start(client, wb, token)
    client.get(location)  # the first view warms what every request loads once (the app's caches)
    with count_queries() as statements:
        page = text(client.get(location))
    assert len(statements) == PAGE_STATEMENTS, statements
    with count_queries() as statements:
        response = client.post(location, data={**form_fields(page), **answers(wb)})
    assert response.status_code == 302 and len(statements) == SAVE_STATEMENTS, statements
    location = response.location
    page = text(client.get(location))
    with count_queries() as statements:
        response = client.post(location, data={**form_fields(page), **answers(wb)}, headers=FRAGMENT)
    assert response.status_code == 200 and "trace-003" in text(response)
    assert len(statements) == SAVE_AND_PAGE_STATEMENTS, statements


def test_a_queue_deleted_while_saving_is_not_claimed_from(app, wb, monkeypatch):
    """Save & next claims from the queue the save loaded, not read again: a deletion committed between the save
    and the claim still ends on "this queue no longer exists", with the review saved and nothing claimed."""
    from sqlalchemy import update

    from reviewapp.models import ReviewQueue, ReviewQueueItem, TraceReview, utcnow
    from reviewapp.services import submissions

    client, token = signed_in(app, wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    saved = submissions.submit_review

    def save_then_delete_the_queue(*args, **kwargs):
        review = saved(*args, **kwargs)
        with db.engine.begin() as other:  # an admin's delete_queue, committed by another connection
            other.execute(update(ReviewQueue).where(ReviewQueue.id == wb.queue.id).values(deleted_at=utcnow()))
            other.execute(update(ReviewQueueItem).where(ReviewQueueItem.queue_id == wb.queue.id,
                                                        ReviewQueueItem.deleted_at.is_(None))
                          .values(deleted_at=utcnow(), deleted_reason="queue_deleted", claimed_by_id=None,
                                  claim_expires_at=None))
        return review

    monkeypatch.setattr(submissions, "submit_review", save_then_delete_the_queue)
    response = client.post(location, data={**form_fields(page), **answers(wb)}, headers=FRAGMENT)
    assert response.status_code == 204
    assert response.headers["X-Review-Go"].endswith(f"/projects/{wb.project.id}/queues/")
    assert "This queue no longer exists." in text(client.get(response.headers["X-Review-Go"]))
    db.session.expire_all()
    assert db.session.scalar(select(TraceReview.trace_id).where(TraceReview.project_id == wb.project.id)) == "trace-001"
    assert db.session.scalar(select(ReviewQueueItem.id).where(ReviewQueueItem.claimed_by_id.is_not(None))) is None


def test_the_review_page_sends_collapsed_bodies_on_demand(app, wb):
    client, token = signed_in(app, wb.reviewer)
    location = start(client, wb, token)
    html = text(client.get(location))
    bodies = re.findall(r'data-lazy-body="([^"]+)"', html)
    assert bodies and "Raw event as JSON" in html and "<h4>Raw event</h4>" not in html
    span = text(client.get(next(b for b in bodies if b.endswith("part=span")).replace("&amp;", "&")))
    assert "<h4>Raw event</h4>" in span and "trace-001" in span
    # The trace page keeps rendering them in place; another project's event is not found.
    page = text(client.get(f"/projects/{wb.project.id}/traces/trace-001"))
    assert "<h4>Raw event</h4>" in page and "data-lazy-body" not in page
    outsider, _ = signed_in(app, wb.outsider)
    assert outsider.get(bodies[0].replace("&amp;", "&")).status_code == 404


def test_a_long_conversation_paints_its_first_messages_and_sends_the_rest_on_demand(app, factory):
    from reviewapp.services import ingest

    wb = build(factory, traces=1, stored=False)
    messages = [{"role": "user" if n % 2 == 0 else "assistant", "content": f"Message number {n}"} for n in range(60)]
    ingest.ingest_batch(wb.project.id, [{"event": "$ai_generation", "distinct_id": "u", "timestamp":
                                         "2025-03-01T12:00:00Z", "properties": {
                                             "$ai_trace_id": "trace-001", "$ai_model": "gpt-4o", "$ai_input": messages,
                                             "$ai_output_choices": [{"role": "assistant", "content": "Bye"}]}}])
    client, token = signed_in(app, wb.reviewer)
    html = text(client.get(start(client, wb, token)))
    assert "Message number 19" in html and "Message number 20" not in html
    more = re.search(r'data-lazy-more="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "41 more messages" in html  # 60 sent, plus the output
    rest = text(client.get(more))
    assert "Message number 20" in rest and "Message number 59" in rest and "Bye" in rest
    assert "Message number 19" not in rest and "<html" not in rest
    # The trace page shows them all at once.
    page = text(client.get(f"/projects/{wb.project.id}/traces/trace-001"))
    assert "Message number 59" in page and "data-lazy-more" not in page


def test_a_long_span_tree_paints_its_first_rows_and_sends_the_rest_on_demand(app, factory):
    from reviewapp.services import ingest
    from reviewapp.services.span_tree import TREE_FIRST_PAINT

    wb = build(factory, traces=1, stored=False)
    events = [{"event": "$ai_trace", "distinct_id": "u", "timestamp": "2025-03-01T12:00:00Z",
               "properties": {"$ai_trace_id": "trace-001", "$ai_span_name": "Agent"}}]
    events += [{"event": "$ai_span", "distinct_id": "u", "timestamp": f"2025-03-01T12:00:{n:02d}Z",
                "properties": {"$ai_trace_id": "trace-001", "$ai_span_id": f"s{n}", "$ai_span_name": f"Step {n}",
                               **({"$ai_parent_id": f"s{n - 1}"} if n % 3 else {})}} for n in range(40)]
    ingest.ingest_batch(wb.project.id, events)
    client, token = signed_in(app, wb.reviewer)
    html = text(client.get(start(client, wb, token)))
    names = re.findall(r'<span class="node-name">([^<]+)</span>', html)
    assert names == ["Agent"] + [f"Step {n}" for n in range(TREE_FIRST_PAINT - 1)]
    assert html.count('<ul class="tree">') == html.count("</ul></li>")  # every list the first rows open is closed
    more = re.search(r'data-lazy-more="([^"]+spans[^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"{41 - TREE_FIRST_PAINT} more spans" in html
    assert f'href="/projects/{wb.project.id}/traces/trace-001#spans" target="_blank"' in html  # without JavaScript
    rest = text(client.get(more))
    assert re.findall(r'<span class="node-name">([^<]+)</span>', rest) == [
        f"Step {n}" for n in range(TREE_FIRST_PAINT - 1, 40)]
    # Its first row sits under Agent and the steps before it in its chain, painted first: it starts below their gaps.
    depth = (TREE_FIRST_PAINT - 1) % 3 + 1
    assert "<html" not in rest and rest.count('<li class="tree-node tree-gap">') == depth
    assert rest.count('<ul class="tree">') == rest.count("</ul></li>")
    assert 'data-lazy-body="' in rest and 'target="_blank"' in rest  # like the rows painted first
    # The trace page lists them all at once; another project does not see them.
    page = text(client.get(f"/projects/{wb.project.id}/traces/trace-001"))
    assert "Step 39" in page and "data-lazy-more" not in page
    outsider, _ = signed_in(app, wb.outsider)
    assert outsider.get(more).status_code == 404
