"""review_queue_items/: the one-pending-queue rule, its three refusals, move, remove, filters, bulk add."""
import pytest

from reviewapp.extensions import db
from reviewapp.models import TraceReview
from tests.support.api import ApiClient, assert_error


@pytest.fixture
def queues(api):
    return [api.post("review_queues/", {"name": n}).get_json() for n in ("First", "Second")]


def add(api, queue, trace_id):
    return api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": trace_id})


def mark_reviewed(api, trace_id):
    db.session.add(TraceReview(project_id=api.project_id, trace_id=trace_id))
    db.session.commit()


def test_add_returns_documented_fields(api, queues):
    response = add(api, queues[0], "  trace-1 ")
    assert response.status_code == 201
    body = response.get_json()
    assert body["trace_id"] == "trace-1"
    assert body["queue_id"] == queues[0]["id"] and body["queue_name"] == "First"
    assert set(body) >= {"id", "queue_id", "queue_name", "trace_id", "created_at", "updated_at", "created_by", "team"}
    assert body["created_by"]["email"] == api.user.email and body["team"] == api.project_id


def test_the_three_refusals_in_order(api, queues):
    add(api, queues[0], "t")
    assert_error(add(api, queues[0], "t"), 400, "invalid_input", "trace_id",
                 "This trace is already pending in this queue.")
    assert_error(add(api, queues[1], "t"), 400, "invalid_input", "trace_id",
                 "This trace is already pending in another queue.")
    mark_reviewed(api, "t")
    assert_error(add(api, queues[0], "t"), 400, "invalid_input", "trace_id",
                 "This trace is already reviewed and cannot be added to a queue.")
    mark_reviewed(api, "u")
    assert_error(add(api, queues[1], "u"), 400, "invalid_input", "trace_id",
                 "This trace is already reviewed and cannot be added to a queue.")


@pytest.mark.parametrize("body, attr, code", [
    ({"queue_id": None, "trace_id": "t"}, "queue_id", "required"),
    ({"trace_id": "  "}, "trace_id", "required"),
    ({"trace_id": "x" * 256}, "trace_id", "invalid_input"),
])
def test_add_field_refusals(api, queues, body, attr, code):
    body = {"queue_id": queues[0]["id"], **body} if "queue_id" not in body else body
    assert_error(api.post("review_queue_items/", body), 400, code, attr)


def test_missing_queue_id(api, queues):
    assert_error(api.post("review_queue_items/", {"trace_id": "t"}), 400, "required", "queue_id",
                 "This field is required.")


def test_missing_trace_id(api, queues):
    assert_error(api.post("review_queue_items/", {"queue_id": queues[0]["id"]}), 400, "required", "trace_id",
                 "This field is required.")


def test_queue_of_another_project_or_deleted_is_400(app, api, queues, factory):
    other_project = factory.project()
    other = ApiClient(app.test_client(), other_project.id, factory.api_key(factory.user(project=other_project)))
    theirs = other.post("review_queues/", {"name": "Theirs"}).get_json()
    assert_error(add(api, theirs, "t"), 400, "invalid_input", "queue_id", "Review queue not found.")
    api.delete(f"review_queues/{queues[1]['id']}/")
    assert_error(add(api, queues[1], "t"), 400, "invalid_input", "queue_id", "Review queue not found.")
    assert_error(api.post("review_queue_items/", {"queue_id": "nope", "trace_id": "t"}), 400, attr="queue_id")


def test_move_between_queues(api, queues):
    item = add(api, queues[0], "t").get_json()
    moved = api.patch(f"review_queue_items/{item['id']}/", {"queue_id": queues[1]["id"]})
    assert moved.status_code == 200
    body = moved.get_json()
    assert body["queue_id"] == queues[1]["id"] and body["queue_name"] == "Second"
    counts = {q["name"]: q["pending_item_count"] for q in api.get("review_queues/").get_json()["results"]}
    assert counts == {"First": 0, "Second": 1}
    same = api.patch(f"review_queue_items/{item['id']}/", {"queue_id": queues[1]["id"]}).get_json()
    assert same["updated_at"] >= body["updated_at"] and same["queue_id"] == queues[1]["id"]


def test_move_refusals(api, queues):
    item = add(api, queues[0], "t").get_json()
    url = f"review_queue_items/{item['id']}/"
    assert_error(api.patch(url, {}), 400, "required", "queue_id", "This field is required.")
    assert_error(api.patch(url, {"queue_id": "00000000-0000-0000-0000-000000000000"}), 400, "invalid_input",
                 "queue_id", "Review queue not found.")
    mark_reviewed(api, "t")
    assert_error(api.patch(url, {"queue_id": queues[1]["id"]}), 400, "invalid_input", "trace_id",
                 "This trace is already reviewed and cannot stay queued.")


def test_remove_then_requeue(api, queues):
    item = add(api, queues[0], "t").get_json()
    assert api.delete(f"review_queue_items/{item['id']}/").status_code == 204
    assert_error(api.get(f"review_queue_items/{item['id']}/"), 404)
    assert_error(api.delete(f"review_queue_items/{item['id']}/"), 404)
    assert add(api, queues[1], "t").status_code == 201


def test_list_filters_and_order(api, queues):
    for trace, queue in [("alpha", 0), ("beta", 1), ("gamma", 0)]:
        add(api, queues[queue], trace)
    ids = lambda q: [i["trace_id"] for i in api.get("review_queue_items/" + q).get_json()["results"]]  # noqa
    assert ids("") == ["alpha", "beta", "gamma"]
    assert ids(f"?queue_id={queues[0]['id']}") == ["alpha", "gamma"]
    assert ids("?trace_id=beta") == ["beta"]
    assert ids("?trace_id__in=alpha,gamma") == ["alpha", "gamma"]
    assert ids("?search=MM") == ["gamma"]
    assert ids("?order_by=-created_at") == ["gamma", "beta", "alpha"]
    assert_error(api.get("review_queue_items/?queue_id=xyz"), 400, "invalid_input", "queue_id")
    assert_error(api.get("review_queue_items/?order_by=trace_id"), 400, "invalid_choice", "order_by")


def test_items_of_other_projects_are_404(app, api, queues, factory):
    other_project = factory.project()
    other = ApiClient(app.test_client(), other_project.id, factory.api_key(factory.user(project=other_project)))
    theirs = other.post("review_queues/", {"name": "Theirs"}).get_json()
    item = add(other, theirs, "t").get_json()
    assert_error(api.get(f"review_queue_items/{item['id']}/"), 404)
    assert_error(api.patch(f"review_queue_items/{item['id']}/", {"queue_id": queues[0]["id"]}), 404)
    assert_error(api.delete(f"review_queue_items/{item['id']}/"), 404)
    assert api.get("review_queue_items/").get_json()["count"] == 0


def test_item_list_constant_queries(api, queues, count_queries):
    def count():
        with count_queries() as statements:
            assert api.get("review_queue_items/?limit=1000").status_code == 200
        return len(statements)

    add(api, queues[0], "t0")
    one = count()
    for i in range(1, 100):
        add(api, queues[i % 2], f"t{i}")
    assert count() == one


def test_reviewer_may_queue_viewer_may_not(app, api, queues, factory):
    reviewer = ApiClient(app.test_client(), api.project_id, factory.api_key(factory.member(api.project, "reviewer")))
    viewer = ApiClient(app.test_client(), api.project_id, factory.api_key(factory.member(api.project, "viewer")))
    assert add(reviewer, queues[0], "r").status_code == 201
    assert_error(add(viewer, queues[0], "v"), 403, "permission_denied")
    assert viewer.get("review_queue_items/").status_code == 200


def test_bulk_add_reports_per_trace(api, queues):
    add(api, queues[0], "here")
    add(api, queues[1], "elsewhere")
    mark_reviewed(api, "done")
    response = api.post("review_queue_items/bulk/", {
        "queue_id": queues[0]["id"],
        "trace_ids": ["new1", "here", "elsewhere", "done", "new2", "new1", ""],
    })
    assert response.status_code == 200
    body = response.get_json()
    assert [i["trace_id"] for i in body["added"]] == ["new1", "new2"]
    reasons = {s["trace_id"]: s["reason"] for s in body["skipped"]}
    assert reasons == {"here": "already_pending_in_queue", "elsewhere": "pending_in_another_queue",
                       "done": "already_reviewed", "new1": "duplicate", "": "invalid"}
    # idempotent: a repeat adds nothing
    again = api.post("review_queue_items/bulk/", {"queue_id": queues[0]["id"], "trace_ids": ["new1", "new2"]})
    assert again.get_json()["added"] == []
    assert {s["reason"] for s in again.get_json()["skipped"]} == {"already_pending_in_queue"}


def test_bulk_add_refusals(api, queues):
    assert_error(api.post("review_queue_items/bulk/", {"queue_id": queues[0]["id"]}), 400, "required", "trace_ids")
    assert_error(api.post("review_queue_items/bulk/", {"queue_id": queues[0]["id"], "trace_ids": "t"}), 400,
                 attr="trace_ids")
    assert_error(api.post("review_queue_items/bulk/", {"trace_ids": ["t"]}), 400, "required", "queue_id")
