"""Blind review in the API, for the caller (a personal API key acts as its user's membership): a review hidden
from them is left out of trace_reviews/ and is a 404 there, as is its history; the traces list and a trace's
detail show no hidden review; the trace-scoped history leaves out the entries they may not see. Admins see
everything, a reviewer who has judged the trace sees it, and nothing is hidden in a queue that is not blind."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from reviewapp.services import reviews
from tests.support.api import ApiClient, assert_error
from tests.support.blind_rows import judge, live_item, review_beside_live_item, several_reviewers
from tests.web.workbench import build

ADA_SAYS = "Ada gives the final word on the shipping question"


def quality(wb, key: str) -> list[dict]:
    return [{"definition_id": str(wb.quality.id), "categorical_values": [key]}]


@pytest.fixture
def world(app, factory):
    """trace-002 has a final review by Ada while it is live in a blind queue; Rita (reviewer) has not judged it."""
    wb = build(factory)
    bob = factory.user(project=wb.project, role="reviewer", first_name="Bob", last_name="Other")
    several_reviewers(wb.queue, reviews_per_trace=3, blind=True)
    judge(live_item(wb.project.id, "trace-002"), bob, quality(wb, "good"), "Bob likes it", minutes_ago=5)
    review = review_beside_live_item(wb.project.id, wb.admin, wb.queue, "trace-002", quality(wb, "bad"), ADA_SAYS)

    def client(user) -> ApiClient:
        return ApiClient(app.test_client(), wb.project.id, factory.api_key(user), user=user, project=wb.project)

    return SimpleNamespace(wb=wb, review_id=str(review.id), rita=client(wb.reviewer), ada=client(wb.admin),
                           vic=client(wb.viewer))


def ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def review_ids(client: ApiClient, query: str = "") -> list[str]:
    return [review["id"] for review in ok(client.get(f"trace_reviews/{query}"))["results"]]


def test_the_review_list_leaves_out_a_hidden_review_and_counts_without_it(world):
    body = ok(world.rita.get("trace_reviews/"))
    assert (body["count"], body["results"]) == (0, [])
    assert review_ids(world.rita, "?trace_id=trace-002") == []
    assert review_ids(world.vic) == []
    assert review_ids(world.ada) == [world.review_id]


def test_a_hidden_review_is_a_404_and_so_is_its_history(world):
    for path in (f"trace_reviews/{world.review_id}/", f"trace_reviews/{world.review_id}/history/"):
        assert_error(world.rita.get(path), 404, "not_found")
        assert_error(world.vic.get(path), 404, "not_found")
        ok(world.ada.get(path))
    assert ok(world.ada.get(f"trace_reviews/{world.review_id}/"))["comment"] == ADA_SAYS


def test_a_hidden_review_cannot_be_changed_or_deleted_through_its_id(world):
    assert_error(world.rita.patch(f"trace_reviews/{world.review_id}/", {"comment": "Overwritten"}), 404,
                 "not_found")
    assert_error(world.rita.delete(f"trace_reviews/{world.review_id}/"), 404, "not_found")
    review = ok(world.ada.get(f"trace_reviews/{world.review_id}/"))
    assert review["comment"] == ADA_SAYS
    assert ok(world.ada.get(f"trace_reviews/{world.review_id}/history/"))["count"] == 1  # nothing recorded


def test_the_trace_history_leaves_out_what_the_caller_may_not_see(world):
    assert ok(world.rita.get("traces/trace-002/review_history/"))["count"] == 0
    entries = ok(world.ada.get("traces/trace-002/review_history/?limit=1"))
    assert entries["count"] == 2 and entries["next"]  # Bob's judgment and Ada's review


def test_the_traces_list_and_detail_show_no_hidden_review(world):
    rows = {row["trace_id"]: row for row in ok(world.rita.get("traces/"))["results"]}
    assert (rows["trace-002"]["review_state"], rows["trace-002"]["review_id"]) == ("pending", None)
    assert ok(world.rita.get("traces/?review_state=reviewed"))["results"] == []
    detail = ok(world.rita.get("traces/trace-002/"))
    assert (detail["review_state"], detail["review_id"], detail["review"]) == ("pending", None, None)
    assert ADA_SAYS not in str(detail)

    rows = {row["trace_id"]: row for row in ok(world.ada.get("traces/"))["results"]}
    assert (rows["trace-002"]["review_state"], rows["trace-002"]["review_id"]) == ("reviewed", world.review_id)
    assert ok(world.ada.get("traces/trace-002/"))["review"]["comment"] == ADA_SAYS


def test_once_the_caller_has_judged_the_trace_they_see_its_review(world):
    wb = world.wb
    judge(live_item(wb.project.id, "trace-002"), wb.reviewer, quality(wb, "ok"))
    assert review_ids(world.rita) == [world.review_id]
    assert ok(world.rita.get(f"trace_reviews/{world.review_id}/"))["comment"] == ADA_SAYS
    assert ok(world.rita.get("traces/trace-002/"))["review"]["id"] == world.review_id
    assert review_ids(world.vic) == []  # not for anyone else


def test_nothing_is_hidden_in_a_queue_that_is_not_blind(world):
    several_reviewers(world.wb.queue, reviews_per_trace=3, blind=False)
    for client in (world.rita, world.vic):
        assert review_ids(client) == [world.review_id]
        ok(client.get(f"trace_reviews/{world.review_id}/history/"))
        assert ok(client.get("traces/trace-002/"))["review"]["comment"] == ADA_SAYS


def test_creating_a_review_tells_nothing_blind_review_hides(world):
    """trace-002 has a review hidden from Rita, trace-003 none: both refusals read the same, never "already exists"."""
    wb = world.wb
    for trace_id in ("trace-002", "trace-003"):
        assert_error(world.rita.post("trace_reviews/", {"trace_id": trace_id, "scores": quality(wb, "good")}), 400,
                     attr="trace_id", detail=reviews.JUDGE_IT_FIRST)
    live_item(wb.project.id, "trace-003")  # still waiting for its judgments
    assert_error(world.ada.post("trace_reviews/", {"trace_id": "trace-002"}), 400, attr="trace_id",
                 detail=reviews.ALREADY_REVIEWED)
    judge(live_item(wb.project.id, "trace-002"), wb.reviewer, quality(wb, "ok"))
    assert_error(world.rita.post("trace_reviews/", {"trace_id": "trace-002"}), 400, attr="trace_id",
                 detail=reviews.ALREADY_REVIEWED)  # once she may see the review, she may be told it exists


def test_a_blind_queue_with_one_reviewer_per_trace_is_still_reviewed_through_the_api(world):
    wb = world.wb
    several_reviewers(wb.queue, reviews_per_trace=1, blind=True)
    assert_error(world.rita.post("trace_reviews/", {"trace_id": "trace-003"}), 400, attr="trace_id",
                 detail=reviews.JUDGE_IT_FIRST)
    saved = world.rita.post("trace_reviews/", {"trace_id": "trace-003", "queue_id": str(wb.queue.id),
                                               "scores": quality(wb, "good")})
    assert saved.status_code == 201, saved.get_data(as_text=True)
    assert sorted(item.trace_id for item in wb.items()) == ["trace-001", "trace-002"]
