"""API judgments/ (extension): create for a trace pending in a queue with several reviewers per trace, exact bodies,
the author alone edits, blind review applied to lists and details, and settling by consensus."""
from __future__ import annotations

import uuid

import pytest

from reviewapp.extensions import db
from reviewapp.models import QueueAssignee, ReviewQueue
from tests.support.api import assert_error
from tests.support.scoring import client_with_role, create_scorer


@pytest.fixture
def setup(app, api, factory):
    verdict = create_scorer(api, "Verdict", "boolean")
    queue = api.post("review_queues/", {"name": "Pairs"}).get_json()
    for trace in ("t-1", "t-2"):
        assert api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": trace}).status_code == 201
    row = db.session.get(ReviewQueue, uuid.UUID(queue["id"]))
    row.reviews_per_trace, row.blind = 2, True
    db.session.commit()
    ann = client_with_role(app, api, factory, "reviewer")
    bob = client_with_role(app, api, factory, "reviewer")
    return queue, verdict, ann, bob


def body(queue, verdict, trace="t-1", value=True, **extra):
    return {"queue_id": queue["id"], "trace_id": trace,
            "scores": [{"definition_id": verdict["id"], "boolean_value": value}], **extra}


def test_create_answers_the_judgment(setup):
    queue, verdict, ann, _bob = setup
    response = ann.post("judgments/", body(queue, verdict, comment="looks right", time_spent_seconds=12.5))
    assert response.status_code == 201, response.get_json()
    got = response.get_json()
    assert got["queue_id"] == queue["id"] and got["trace_id"] == "t-1" and got["item_id"]
    assert got["reviewer"]["email"] == ann.user.email
    assert (got["comment"], got["time_spent_seconds"]) == ("looks right", 12.5)
    assert [(s["definition_name"], s["boolean_value"], s["definition_version"]) for s in got["scores"]] == [
        ("Verdict", True, 1)]
    assert ann.get(f"judgments/{got['id']}/").get_json() == got
    item = ann.get(f"review_queue_items/{got['item_id']}/").get_json()
    assert item["trace_id"] == "t-1"


def test_refusals_name_the_field(setup, api):
    queue, verdict, ann, _bob = setup
    assert_error(ann.post("judgments/", body(queue, verdict, trace="nowhere")), 400, "invalid_input", "trace_id",
                 "This trace is not pending in this queue.")
    assert_error(ann.post("judgments/", {"trace_id": "t-1"}), 400, "required", "queue_id")
    single = api.post("review_queues/", {"name": "Single"}).get_json()
    api.post("review_queue_items/", {"queue_id": single["id"], "trace_id": "s-1"})
    assert_error(ann.post("judgments/", body(single, verdict, trace="s-1")), 400, "invalid_input", "queue_id")
    assert ann.post("judgments/", body(queue, verdict)).status_code == 201
    assert_error(ann.post("judgments/", body(queue, verdict)), 400, "invalid_input", "trace_id",
                 "You have already judged this trace in this queue. Edit your judgment instead.")
    assert_error(ann.post("judgments/", body(queue, verdict, trace="t-2", scores=[])), 400, "required", "scores")


def test_only_the_author_edits(setup, api):
    queue, verdict, ann, bob = setup
    mine = ann.post("judgments/", body(queue, verdict)).get_json()
    assert_error(bob.patch(f"judgments/{mine['id']}/", {"comment": "mine now"}), 403, "permission_denied")
    assert_error(api.patch(f"judgments/{mine['id']}/", {"comment": "admin"}), 403, "permission_denied")
    edited = ann.patch(f"judgments/{mine['id']}/", {"comment": "second thoughts"})
    assert edited.status_code == 200 and edited.get_json()["comment"] == "second thoughts"
    assert edited.get_json()["scores"][0]["boolean_value"] is True  # scores left out are kept
    timed = ann.patch(f"judgments/{mine['id']}/", {"comment": "third", "time_spent_seconds": 7.25})
    assert timed.get_json()["time_spent_seconds"] == (mine["time_spent_seconds"] or 0) + 7.25  # the edit's, added
    assert_error(ann.patch(f"judgments/{mine['id']}/", {"time_spent_seconds": "soon"}), 400, "invalid_input",
                 "time_spent_seconds")
    assert_error(ann.get("judgments/00000000-0000-0000-0000-000000000000/"), 404, "not_found")


def test_blind_review_hides_others_judgments_until_one_judges(setup, api):
    queue, verdict, ann, bob = setup
    mine = ann.post("judgments/", body(queue, verdict)).get_json()
    listed = bob.get("judgments/").get_json()
    assert (listed["count"], listed["results"]) == (0, [])
    assert_error(bob.get(f"judgments/{mine['id']}/"), 404, "not_found")
    assert api.get("judgments/").get_json()["count"] == 1  # admins see everything
    assert ann.get("judgments/").get_json()["results"][0]["id"] == mine["id"]  # one's own, always
    # bob judges the other way: the item now needs a decision, and bob sees ann's judgment
    theirs = bob.post("judgments/", body(queue, verdict, value=False)).get_json()
    seen = bob.get("judgments/", query_string={"trace_id": "t-1"}).get_json()
    assert {j["id"] for j in seen["results"]} == {mine["id"], theirs["id"]}
    assert bob.get("trace_reviews/").get_json()["count"] == 0


def test_agreeing_judgments_write_the_consensus_review(setup, api):
    queue, verdict, ann, bob = setup
    ann.post("judgments/", body(queue, verdict, trace="t-2"))
    bob.post("judgments/", body(queue, verdict, trace="t-2"))
    reviews = api.get("trace_reviews/", query_string={"trace_id": "t-2"}).get_json()["results"]
    assert len(reviews) == 1
    assert reviews[0]["reviewed_by"]["email"] == bob.user.email and reviews[0]["comment"] is None
    assert reviews[0]["scores"][0]["boolean_value"] is True
    assert api.get("review_queue_items/", query_string={"trace_id": "t-2"}).get_json()["count"] == 0


def test_list_filters_and_pages(setup, api):
    queue, verdict, ann, bob = setup
    ann.post("judgments/", body(queue, verdict))
    ann.post("judgments/", body(queue, verdict, trace="t-2"))
    bob.post("judgments/", body(queue, verdict, trace="t-2"))
    by_ann = api.get("judgments/", query_string={"reviewer_id": ann.user.id}).get_json()
    assert by_ann["count"] == 2 and {j["trace_id"] for j in by_ann["results"]} == {"t-1", "t-2"}
    page = api.get("judgments/", query_string={"limit": 1, "offset": 1, "queue_id": queue["id"]}).get_json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"] and page["previous"]
    assert api.get("judgments/", query_string={"definition_id": verdict["id"]}).get_json()["count"] == 3
    assert_error(api.get("judgments/", query_string={"reviewer_id": "ann"}), 400, "invalid_input", "reviewer_id")
    assert_error(api.get("judgments/", query_string={"queue_id": "nope"}), 400, attr="queue_id")


def test_claim_next_tells_a_non_assignee_why(setup, api):
    queue, _verdict, ann, bob = setup
    row = db.session.get(ReviewQueue, uuid.UUID(queue["id"]))
    row.assignees.append(QueueAssignee(queue_id=row.id, user_id=ann.user.id))
    db.session.commit()
    assert_error(bob.post(f"review_queues/{queue['id']}/claim_next/"), 403, "permission_denied",
                 detail="You are not assigned to this queue.")
    assert ann.post(f"review_queues/{queue['id']}/claim_next/").get_json()["trace_id"] == "t-1"


def test_claim_next_at_several_reviewers_names_the_callers_own_claim(setup, api):
    """Each reviewer holds their own claim on a shared trace: claim_next answers with the caller's."""
    queue, _verdict, ann, bob = setup
    first = ann.post(f"review_queues/{queue['id']}/claim_next/").get_json()
    second = bob.post(f"review_queues/{queue['id']}/claim_next/").get_json()
    assert first["trace_id"] == second["trace_id"] == "t-1"
    assert first["claimed_by"]["id"] == ann.user.id and first["claim_expires_at"]
    assert second["claimed_by"]["id"] == bob.user.id and second["claim_expires_at"]
