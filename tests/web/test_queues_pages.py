"""The queues page (home) and the queue page: counts, progress, who reviews now, search, sort, admin actions
with confirmation, removing and moving items, and who may do what."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueue, ReviewQueueItem, utcnow
from reviewapp.services import claims, queue_items, queue_rules, queues, reviews
from tests.web.workbench import build, signed_in, store_trace


@pytest.fixture
def wb(factory):
    return build(factory)


def queues_url(wb) -> str:
    return f"/projects/{wb.project.id}/queues/"


def queue_url(wb, queue=None) -> str:
    return f"/projects/{wb.project.id}/queues/{(queue or wb.queue).id}/"


def text(response) -> str:
    return response.get_data(as_text=True)


def queries_for(client, count_queries, url: str) -> list[str]:
    """The SQL one page view runs. The test's session outlives requests, so a first view warms it up and the
    second is counted: both measurements start from the same state."""
    assert client.get(url).status_code == 200
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return statements


def live_queue_names(wb) -> list[str]:
    return [q.name for q, _ in queues.list_queues(wb.project.id)[0]]


# --- the queues page ----------------------------------------------------------------------------------

def test_queues_page_shows_pending_progress_and_who_is_reviewing(client, login, wb):
    # one trace reviewed through the queue, one claimed by the reviewer right now, one still waiting
    reviews.save_review(wb.project.id, wb.admin, trace_id=wb.trace_ids[0], scores=[], queue_id=wb.queue.id)
    claims.claim_next(wb.project.id, wb.reviewer, wb.queue.id)
    login(wb.viewer)
    page = text(client.get(queues_url(wb)))
    row = page[page.index("Support answers"):]
    assert re.search(r'class="num">2</td>', row)
    assert 'aria-valuenow="1"' in row and 'aria-valuemax="3"' in row
    assert "1 reviewed · 2 to go" in row
    assert "Rita Reviewer" in row
    assert "Judge the **answer**" in row  # the instructions, as text


def test_queues_page_runs_a_fixed_number_of_queries(client, login, wb, count_queries):
    login(wb.admin)
    few = queries_for(client, count_queries, queues_url(wb))
    for n in range(12):
        queue = queues.create_queue(wb.project.id, wb.admin, f"Extra {n:02d}")
        queue_items.add_item(wb.project.id, wb.admin, queue.id, f"extra-{n}")
        claims.claim_next(wb.project.id, wb.reviewer, queue.id)
    many = queries_for(client, count_queries, queues_url(wb))
    assert "Extra 11" in text(client.get(queues_url(wb)))
    assert len(many) == len(few), many


def test_queues_page_search_and_sort(client, login, wb):
    for name in ("Billing", "Zebra", "billing escalations"):
        queues.create_queue(wb.project.id, wb.admin, name)
    login(wb.reviewer)
    page = text(client.get(queues_url(wb) + "?search=BILL"))
    assert "Billing" in page and "billing escalations" in page
    assert "Zebra" not in page and "Support answers" not in page
    by_name = text(client.get(queues_url(wb)))
    assert by_name.index("Billing") < by_name.index("Support answers") < by_name.index("Zebra")
    newest = text(client.get(queues_url(wb) + "?order=-created_at"))
    assert newest.index("billing escalations") < newest.index("Zebra") < newest.index("Support answers")
    # an unknown sort falls back to the default instead of failing
    assert client.get(queues_url(wb) + "?order=drop table").status_code == 200


def test_queues_page_empty_states_say_what_to_do(app, client, login, factory):
    project = factory.project()
    admin = factory.user(project=project, role="admin")
    reviewer = factory.user(project=project, role="reviewer")
    login(admin)
    page = text(client.get(f"/projects/{project.id}/queues/"))
    assert "No queues yet." in page and "Create a queue below" in page
    assert "Create queue" in page
    no_match = text(client.get(f"/projects/{project.id}/queues/?search=nothing"))
    assert "No queue matches “nothing”." in no_match and "Clear the search" in no_match
    client, _ = signed_in(app, reviewer)
    page = text(client.get(f"/projects/{project.id}/queues/"))
    assert "An admin of this project creates queues" in page
    assert "Create queue" not in page


def test_admin_creates_a_queue_with_instructions_and_scorers(client, login, wb):
    token = login(wb.admin)
    response = client.post(f"/projects/{wb.project.id}/queues/new", data={
        "csrf_token": token, "name": "  Refunds  ", "description": "Check the policy.",
        "scorer_ids": [str(wb.rating.id), str(wb.quality.id)]})
    assert response.status_code == 302
    queue = db.session.scalar(select(ReviewQueue).where(ReviewQueue.name == "Refunds"))
    assert response.location == f"/projects/{wb.project.id}/queues/{queue.id}/"
    assert queue.description == "Check the policy."
    assert queues.queue_scorer_ids(queue) == [wb.rating.id, wb.quality.id]
    assert "Queue “Refunds” created." in text(client.get(response.location))


def test_every_scorer_is_required_by_default_and_the_form_can_choose_some(client, login, wb):
    token = login(wb.admin)
    form = text(client.get(f"/projects/{wb.project.id}/queues/new"))
    assert "Required before saving" in form
    assert re.search(r'<input checked id="required-0" name="required" type="radio" value="all">', form)
    response = client.post(f"/projects/{wb.project.id}/queues/new", data={
        "csrf_token": token, "name": "Refunds", "scorer_ids": [str(wb.rating.id), str(wb.quality.id)],
        "required": "some", "required_scorer_ids": [str(wb.rating.id)]})
    assert response.status_code == 302
    queue = db.session.scalar(select(ReviewQueue).where(ReviewQueue.name == "Refunds"))
    assert queue.required_scorer_ids == [str(wb.rating.id)]
    assert [d.name for d in queues.required_scorers(wb.project.id, queue)] == ["Rating"]
    assert [d.name for d in queues.required_scorers(wb.project.id, wb.queue)] == [
        "Answer quality", "Issues", "Rating", "Resolved the issue"]  # the default: every scorer it asks for
    edit = text(client.get(f"/projects/{wb.project.id}/queues/{queue.id}/edit"))
    assert re.search(r'<input checked id="required-1" name="required" type="radio" value="some">', edit)
    assert re.search(rf'<input checked id="required_scorer_ids-\d+" name="required_scorer_ids" type="checkbox" '
                     rf'value="{wb.rating.id}">', edit)
    # a required scorer must be one the queue asks for; the refusal shows beside the choice, input kept
    refused = client.post(f"/projects/{wb.project.id}/queues/{queue.id}/edit", data={
        "csrf_token": token, "name": "Refunds", "scorer_ids": [str(wb.rating.id)],
        "required": "some", "required_scorer_ids": [str(wb.helpful.id)]})
    assert refused.status_code == 400
    assert f"Scorer {wb.helpful.id} is required but is not one of this queue&#39;s scorers." in text(refused)
    client.post(f"/projects/{wb.project.id}/queues/{queue.id}/edit", data={
        "csrf_token": token, "name": "Refunds", "scorer_ids": [str(wb.rating.id)], "required": "all"})
    assert queues.load_queue(wb.project.id, queue.id).required_scorer_ids is None


@pytest.mark.parametrize("name,message", [
    ("", "This field is required."),
    ("   ", "This field is required."),
    ("Support answers", "A queue with this name already exists."),
    ("x" * 256, "Ensure this field has no more than 255 characters."),
])
def test_queue_creation_refusals_show_beside_the_name(client, login, wb, name, message):
    token = login(wb.admin)
    response = client.post(f"/projects/{wb.project.id}/queues/new", data={
        "csrf_token": token, "name": name, "description": "kept"})
    assert response.status_code == 400
    page = text(response)
    assert re.search(r'<div class="field\s+has-error">\s*<label for="name">', page), "error not beside the name"
    assert f'<p class="field-error" id="name-error">{message}</p>' in page
    assert re.search(r">\s*kept</textarea>", page)
    assert live_queue_names(wb) == ["Support answers"]


def test_queue_creation_needs_the_csrf_token(client, login, wb):
    login(wb.admin)
    response = client.post(f"/projects/{wb.project.id}/queues/new", data={"name": "No token"})
    assert response.status_code == 400
    assert live_queue_names(wb) == ["Support answers"]


def test_admin_renames_a_queue_and_changes_its_instructions(client, login, wb):
    other = queues.create_queue(wb.project.id, wb.admin, "Other")
    token = login(wb.admin)
    edit = text(client.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/edit"))
    assert 'value="Support answers"' in edit and "Judge the **answer**" in edit
    taken = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/edit",
                        data={"csrf_token": token, "name": "Other", "description": "x"})
    assert taken.status_code == 400
    assert "A queue with this name already exists." in text(taken)
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/edit", data={
        "csrf_token": token, "name": "Support, week 12", "description": "New rules."})
    assert response.status_code == 302
    queue = queues.load_queue(wb.project.id, wb.queue.id)
    assert (queue.name, queue.description) == ("Support, week 12", "New rules.")
    assert sorted(live_queue_names(wb)) == sorted(["Support, week 12", other.name])


def test_a_refused_edit_shows_the_stored_name_not_the_half_applied_one(client, login, wb):
    # The name is valid and the instructions are too long: the service had set the name before refusing.
    token = login(wb.admin)
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/edit", data={
        "csrf_token": token, "name": "Renamed", "description": "d" * 10_001})
    assert response.status_code == 400
    page = text(response)
    assert "<title>Edit Support answers" in page and 'value="Renamed"' in page
    assert live_queue_names(wb) == ["Support answers"]


def test_delete_asks_for_confirmation_without_javascript(client, login, wb):
    token = login(wb.admin)
    url = f"/projects/{wb.project.id}/queues/{wb.queue.id}/delete"
    # the list's button posts without confirmation (app.js would ask first): the server asks instead
    asked = client.post(url, data={"csrf_token": token})
    assert asked.status_code == 200
    page = text(asked)
    assert "Delete queue “Support answers”?" in page and "3 pending traces" in page
    assert 'name="confirmed" value="yes"' in page
    assert live_queue_names(wb) == ["Support answers"]
    assert client.get(url).status_code == 200  # the same confirmation page, reachable by link
    done = client.post(url, data={"csrf_token": token, "confirmed": "yes"})
    assert done.status_code == 302 and done.location == queues_url(wb)
    assert live_queue_names(wb) == []
    assert "Queue “Support answers” deleted" in text(client.get(done.location))
    assert queue_items.list_items(wb.project.id)[1] == 0


def test_reviewer_and_viewer_cannot_reach_admin_actions(app, wb):
    for user in (wb.reviewer, wb.viewer):
        client, token = signed_in(app, user)
        base = f"/projects/{wb.project.id}/queues/"
        assert client.get(base + "new").status_code == 403
        assert client.post(base + "new", data={"csrf_token": token, "name": "Sneaky"}).status_code == 403
        assert client.get(base + f"{wb.queue.id}/edit").status_code == 403
        assert client.post(base + f"{wb.queue.id}/delete",
                           data={"csrf_token": token, "confirmed": "yes"}).status_code == 403
        page = text(client.get(base))
        assert "Create queue" not in page and "Delete…" not in page and ">Edit</a>" not in page
    assert live_queue_names(wb) == ["Support answers"]


def test_viewer_sees_queues_read_only(client, login, wb):
    login(wb.viewer)
    for url in (queues_url(wb), queue_url(wb)):
        page = text(client.get(url))
        assert 'method="post"' not in page.split("</header>", 1)[1], url  # no form but sign-out
        assert "Start reviewing" not in page


def test_another_projects_queue_is_not_found(app, client, login, wb, factory):
    login(wb.outsider)
    assert client.get(queues_url(wb)).status_code == 404
    assert client.get(queue_url(wb)).status_code == 404
    other = factory.project()
    from reviewapp.services import accounts

    accounts.set_membership(wb.outsider, other, "admin")
    foreign = queues.create_queue(other.id, wb.outsider, "Foreign")
    client, _ = signed_in(app, wb.admin)
    assert client.get(f"/projects/{wb.project.id}/queues/{foreign.id}/").status_code == 404
    assert client.get(f"/projects/{wb.project.id}/queues/not-a-uuid/").status_code == 404


# --- the queue page -----------------------------------------------------------------------------------

def test_queue_page_lists_pending_traces_oldest_first_with_their_summaries(client, login, wb):
    queue_items.add_item(wb.project.id, wb.admin, wb.queue.id, "not-arrived-yet")
    login(wb.viewer)
    page = text(client.get(queue_url(wb)))
    positions = [page.index(f"Support chat {n}") for n in (1, 2, 3)]
    assert positions == sorted(positions)
    assert page.index("Support chat 3") < page.index("not-arrived-yet")
    assert "Where is my order?" in page  # the input preview
    row = page[page.index("not-arrived-yet"):]
    assert "not stored yet" in row[:600]
    assert "Judge the <strong>answer</strong>" in page  # instructions as sanitised Markdown


def test_queue_page_search_and_sort(client, login, wb):
    store_trace(wb.project.id, "special-id", name="Refund question")
    queue_items.add_item(wb.project.id, wb.admin, wb.queue.id, "special-id")
    login(wb.reviewer)
    by_name = text(client.get(queue_url(wb) + "?search=refund"))
    assert "Refund question" in by_name and "Support chat 1" not in by_name
    by_id = text(client.get(queue_url(wb) + "?search=TRACE-002"))
    assert "Support chat 2" in by_id and "Support chat 1" not in by_id
    newest = text(client.get(queue_url(wb) + "?order=-created_at"))
    assert newest.index("Refund question") < newest.index("Support chat 3") < newest.index("Support chat 1")
    none = text(client.get(queue_url(wb) + "?search=zzz"))
    assert "No pending trace matches “zzz”." in none


def test_queue_page_runs_a_fixed_number_of_queries(client, login, wb, count_queries):
    other = queues.create_queue(wb.project.id, wb.admin, "Other")
    login(wb.reviewer)
    few = queries_for(client, count_queries, queue_url(wb))
    for n in range(20):
        store_trace(wb.project.id, f"more-{n}", name=f"More {n}")
        queue_items.add_item(wb.project.id, wb.admin, wb.queue.id, f"more-{n}")
    claims.claim_next(wb.project.id, wb.reviewer, wb.queue.id)
    many = queries_for(client, count_queries, queue_url(wb))
    page = text(client.get(queue_url(wb)))
    assert "More 19" in page and other.name in page
    assert len(many) == len(few), many


def test_queue_page_statements_do_not_grow_with_queues_rules_reviews_or_claims(client, login, wb, count_queries):
    # Everything the page gained since its first statement test: the move picker's queues, the rules with their
    # additions, pass/fail per scorer over the queue's reviews, and who is reviewing now.
    queue_rules.create_rule(wb.project.id, wb.admin, wb.queue.id, {"name": "First rule"})
    login(wb.admin)
    few = queries_for(client, count_queries, queue_url(wb))
    for n in range(8):
        queues.create_queue(wb.project.id, wb.admin, f"Extra {n}")
        queue_rules.create_rule(wb.project.id, wb.admin, wb.queue.id, {"name": f"Rule {n}"})
        store_trace(wb.project.id, f"more-{n}", name=f"More {n}")  # the rules (no condition) add it
    for trace_id in wb.trace_ids[:2]:
        reviews.save_review(wb.project.id, wb.admin, trace_id=trace_id, queue_id=wb.queue.id,
                            scores=[{"definition_id": str(wb.helpful.id), "boolean_value": True}])
    claims.claim_next(wb.project.id, wb.reviewer, wb.queue.id)
    many = queries_for(client, count_queries, queue_url(wb))
    page = text(client.get(queue_url(wb)))
    assert "Extra 7" in page and "Rule 7" in page and "More 7" in page and "Rita Reviewer" in page
    assert len(many) == len(few), many


def test_queue_page_empty_state_points_to_the_traces(client, login, wb):
    empty = queues.create_queue(wb.project.id, wb.admin, "Empty")
    login(wb.admin)
    page = text(client.get(queue_url(wb, empty)))
    assert "Nothing is pending in this queue." in page
    assert "Find traces to add" in page
    assert "Start reviewing" not in page


def test_remove_an_item_with_confirmation(client, login, wb):
    item = wb.items()[0]
    token = login(wb.reviewer)
    url = f"/projects/{wb.project.id}/queues/{wb.queue.id}/items/{item.id}/remove"
    asked = client.post(url, data={"csrf_token": token})
    assert asked.status_code == 200 and "Remove trace trace-001 from “Support answers”?" in text(asked)
    assert len(wb.items()) == 3
    done = client.post(url, data={"csrf_token": token, "confirmed": "yes"})
    assert done.status_code == 302 and done.location == queue_url(wb)
    assert [i.trace_id for i in wb.items()] == ["trace-002", "trace-003"]
    assert "Trace trace-001 removed from “Support answers”." in text(client.get(done.location))
    gone = db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.id == item.id))
    assert gone.deleted_reason == "removed"


def test_move_an_item_to_another_queue(client, login, wb):
    other = queues.create_queue(wb.project.id, wb.admin, "Escalations")
    item = wb.items()[1]
    token = login(wb.reviewer)
    page = text(client.get(queue_url(wb)))
    assert f'<option value="{other.id}">Escalations</option>' in page
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/items/{item.id}/move",
                           data={"csrf_token": token, "queue_id": str(other.id)})
    assert response.status_code == 302
    assert "Trace trace-002 moved to “Escalations”." in text(client.get(response.location))
    assert [i.trace_id for i in queue_items.list_items(wb.project.id, queue_id=other.id)[0]] == ["trace-002"]


def test_move_to_an_unknown_queue_says_why(client, login, wb):
    item = wb.items()[0]
    token = login(wb.reviewer)
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/items/{item.id}/move",
                           data={"csrf_token": token, "queue_id": "01890000-0000-7000-8000-000000000000"})
    assert response.status_code == 302
    assert "Trace trace-001 was not moved: Review queue not found." in text(client.get(response.location))
    assert len(wb.items()) == 3


def test_an_item_of_another_queue_is_not_found_here(client, login, wb):
    other = queues.create_queue(wb.project.id, wb.admin, "Other")
    item = wb.items()[0]
    token = login(wb.admin)
    response = client.post(f"/projects/{wb.project.id}/queues/{other.id}/items/{item.id}/remove",
                           data={"csrf_token": token, "confirmed": "yes"})
    assert response.status_code == 404
    assert len(wb.items()) == 3


def test_viewer_cannot_remove_or_move(client, login, wb):
    item = wb.items()[0]
    token = login(wb.viewer)
    base = f"/projects/{wb.project.id}/queues/{wb.queue.id}/items/{item.id}"
    assert client.post(base + "/remove", data={"csrf_token": token, "confirmed": "yes"}).status_code == 403
    assert client.post(base + "/move", data={"csrf_token": token, "queue_id": str(wb.queue.id)}).status_code == 403
    assert len(wb.items()) == 3


def test_start_reviewing_is_a_post_that_claims_the_oldest(client, login, wb):
    token = login(wb.reviewer)
    assert client.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next").status_code == 405
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next",
                           data={"csrf_token": token})
    first = wb.items()[0]
    assert response.status_code == 302
    assert response.location == f"/projects/{wb.project.id}/review/{first.id}"
    db.session.refresh(first)
    assert first.claimed_by_id == wb.reviewer.id
    assert first.claim_expires_at > utcnow() + timedelta(minutes=9)
