"""The queue settings as API extensions: a queue at the defaults answers as PostHog's plus four fields; each
setting is readable and writable with exact 400s; items carry judgment_count and state; reviews resolution."""
from __future__ import annotations

import uuid

import pytest

from reviewapp.extensions import db
from reviewapp.models import ReviewQueue, ReviewQueueItem
from tests.support import judgment_rows
from tests.support.api import assert_error
from tests.support.scoring import create_scorer


def test_a_default_queue_answers_as_before_plus_the_settings(api):
    body = api.post("review_queues/", {"name": "Inbox"}).get_json()
    user = api.user
    assert body == {
        "id": body["id"], "name": "Inbox", "description": "", "pending_item_count": 0, "scorer_ids": [],
        "required_scorer_ids": None, "created_at": body["created_at"], "updated_at": body["updated_at"],
        "created_by": body["created_by"], "team": api.project_id,
        "reviews_per_trace": 1, "blind": False, "numeric_tolerance": None, "assignee_ids": [],
    }
    assert body["created_by"]["id"] == user.id
    assert api.get(f"review_queues/{body['id']}/").get_json() == body
    assert api.get("review_queues/").get_json()["results"] == [body]


def test_settings_are_written_on_create_and_patch(api, factory):
    rita = factory.member(api.project, "reviewer")
    body = api.post("review_queues/", {"name": "Panel", "reviews_per_trace": 3, "blind": True,
                                       "numeric_tolerance": 0.5, "assignee_ids": [rita.id]}).get_json()
    assert (body["reviews_per_trace"], body["blind"], body["numeric_tolerance"], body["assignee_ids"]) == (
        3, True, "0.500000", [rita.id])
    patched = api.patch(f"review_queues/{body['id']}/", {"numeric_tolerance": "2", "assignee_ids": []}).get_json()
    assert (patched["reviews_per_trace"], patched["blind"], patched["numeric_tolerance"], patched["assignee_ids"]) == (
        3, True, "2.000000", [])
    cleared = api.patch(f"review_queues/{body['id']}/", {"numeric_tolerance": None}).get_json()
    assert cleared["numeric_tolerance"] is None


@pytest.mark.parametrize("body, code, attr, detail", [
    ({"reviews_per_trace": 0}, "min_value", "reviews_per_trace", "Ensure this value is greater than or equal to 1."),
    ({"reviews_per_trace": 11}, "max_value", "reviews_per_trace", "Ensure this value is less than or equal to 10."),
    ({"reviews_per_trace": "x"}, "invalid", "reviews_per_trace", "A valid integer is required."),
    ({"reviews_per_trace": None}, "null", "reviews_per_trace", "This field may not be null."),
    ({"blind": "perhaps"}, "invalid", "blind", "Must be a valid boolean."),
    ({"blind": None}, "null", "blind", "This field may not be null."),
    ({"numeric_tolerance": -1}, "min_value", "numeric_tolerance", "Ensure this value is greater than or equal to 0."),
    ({"numeric_tolerance": "soon"}, "invalid_input", "numeric_tolerance", "A valid number is required."),
    ({"assignee_ids": 5}, "not_a_list", "assignee_ids", "Expected a list of items but got type “int”."),
    ({"assignee_ids": [True]}, "invalid", "assignee_ids", "A valid integer is required."),
    ({"assignee_ids": [999999]}, "invalid_input", "assignee_ids",
     "User 999999 is not a reviewer or admin of this project."),
    ({"assignee_ids": [2 ** 70]}, "invalid_input", "assignee_ids",
     f"User {2 ** 70} is not a reviewer or admin of this project."),
    ({"assignee_ids": [-3]}, "invalid_input", "assignee_ids", "User -3 is not a reviewer or admin of this project."),
    ({"reviews_per_trace": "9" * 400}, "invalid", "reviews_per_trace", "A valid integer is required."),
    ({"numeric_tolerance": True}, "invalid_input", "numeric_tolerance", "A valid number is required."),
])
def test_bad_settings_are_exact_400s_on_create_and_patch(api, body, code, attr, detail):
    assert_error(api.post("review_queues/", {"name": "Q", **body}), 400, code, attr, detail)
    queue = api.post("review_queues/", {"name": "Kept"}).get_json()
    assert_error(api.patch(f"review_queues/{queue['id']}/", body), 400, code, attr, detail)
    assert api.get(f"review_queues/{queue['id']}/").get_json() == queue
    assert api.get("review_queues/").get_json()["count"] == 1


def test_a_viewer_cannot_be_assigned(api, factory):
    vic = factory.member(api.project, "viewer")
    assert_error(api.post("review_queues/", {"name": "Q", "assignee_ids": [vic.id]}), 400, "invalid_input",
                 "assignee_ids", f"User {vic.id} is not a reviewer or admin of this project.")


def test_lowering_below_the_judgments_in_is_refused(api, factory):
    queue = api.post("review_queues/", {"name": "Panel", "reviews_per_trace": 3}).get_json()
    row = judgment_rows.item(db.session.get(ReviewQueue, uuid.UUID(queue["id"])), "t-1")
    for user in (api.user, factory.member(api.project, "reviewer")):
        judgment_rows.judge(row, user, [])
    assert_error(api.patch(f"review_queues/{queue['id']}/", {"reviews_per_trace": 1}), 400, "invalid_input",
                 "reviews_per_trace",
                 "A trace still pending in this queue already has 2 judgments: reviews per trace can go down to 3, "
                 "not 1.")
    assert api.patch(f"review_queues/{queue['id']}/", {"reviews_per_trace": 2}).status_code == 400
    assert api.patch(f"review_queues/{queue['id']}/", {"reviews_per_trace": 4}).get_json()["reviews_per_trace"] == 4


def test_items_carry_their_judgment_count_and_state(api, factory):
    queue = api.post("review_queues/", {"name": "Panel", "reviews_per_trace": 2}).get_json()
    item = api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "t-1"}).get_json()
    assert (item["judgment_count"], item["state"]) == (0, "pending")
    row = db.session.get(ReviewQueueItem, uuid.UUID(item["id"]))
    judgment_rows.judge(row, api.user, [])
    judgment_rows.judge(row, factory.member(api.project, "reviewer"), [])
    row.state = "needs_decision"
    db.session.commit()
    listed = api.get(f"review_queue_items/?queue_id={queue['id']}").get_json()["results"][0]
    assert (listed["judgment_count"], listed["state"]) == (2, "needs_decision")
    assert api.get(f"review_queue_items/{item['id']}/").get_json() == listed


def test_an_item_of_a_default_queue_answers_as_before_plus_count_and_state(api):
    queue = api.post("review_queues/", {"name": "Inbox"}).get_json()
    item = api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "t-1"}).get_json()
    assert set(item) == {"id", "queue_id", "queue_name", "trace_id", "created_at", "updated_at", "created_by", "team",
                         "claimed_by", "claim_expires_at", "judgment_count", "state"}
    assert (item["judgment_count"], item["state"], item["claimed_by"]) == (0, "pending", None)


def test_reviews_carry_their_resolution(api):
    quality = create_scorer(api, "Quality")
    assert api.post("trace_reviews/", {"trace_id": "t-1"}).get_json()["resolution"] == "single"
    queue = api.post("review_queues/", {"name": "Panel", "reviews_per_trace": 2}).get_json()
    row = judgment_rows.item(db.session.get(ReviewQueue, uuid.UUID(queue["id"])), "t-2")
    answer = [{"definition_id": quality["id"], "categorical_values": ["good"]}]
    review = judgment_rows.settle(row, api.user, answer, resolution="adjudicated", comment="Both close enough")
    body = api.get(f"trace_reviews/{review.id}/").get_json()
    assert (body["resolution"], body["comment"], body["queue_id"]) == ("adjudicated", "Both close enough", queue["id"])
    listed = {r["trace_id"]: r["resolution"] for r in api.get("trace_reviews/").get_json()["results"]}
    assert listed == {"t-1": "single", "t-2": "adjudicated"}


def test_a_patch_without_settings_leaves_them_alone(api, factory):
    rita = factory.member(api.project, "reviewer")
    queue = api.post("review_queues/", {"name": "Panel", "reviews_per_trace": 4, "blind": True,
                                        "numeric_tolerance": "1.25", "assignee_ids": [rita.id]}).get_json()
    renamed = api.patch(f"review_queues/{queue['id']}/", {"name": "Panel two"}).get_json()
    assert {k: renamed[k] for k in ("reviews_per_trace", "blind", "numeric_tolerance", "assignee_ids")} == {
        "reviews_per_trace": 4, "blind": True, "numeric_tolerance": "1.250000", "assignee_ids": [rita.id]}
