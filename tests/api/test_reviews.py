"""trace_reviews/: one active review per trace, comments, saving completes the queue item, the filtered list,
soft delete, roles and projects."""
from datetime import datetime

import pytest

from tests.support.api import assert_error
from tests.support.scoring import client_with_role, create_review, create_scorer, other_project_client

LIST = "trace_reviews/"
FIELDS = {"id", "trace_id", "trace_url", "comment", "created_at", "updated_at", "created_by", "reviewed_by", "team",
          "scores", "queue_id", "time_spent_seconds", "resolution"}


def queue(api, name="Inbox"):
    response = api.post("review_queues/", {"name": name})
    assert response.status_code == 201
    return response.get_json()


def enqueue(api, queue_body, trace_id):
    response = api.post("review_queue_items/", {"queue_id": queue_body["id"], "trace_id": trace_id})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pending(api, queue_body):
    return api.get(f"review_queues/{queue_body['id']}/").get_json()["pending_item_count"]


def test_create_returns_documented_fields(api):
    response = api.post(LIST, {"trace_id": "  trace-1 ", "comment": "  Looks right.  "})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == FIELDS
    assert (body["trace_id"], body["comment"], body["scores"]) == ("trace-1", "Looks right.", [])
    assert body["created_by"]["email"] == body["reviewed_by"]["email"] == api.user.email
    assert body["team"] == api.project_id and body["queue_id"] is None
    assert api.get(f"{LIST}{body['id']}/").get_json() == body


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_blank_comment_is_stored_as_null(api, comment):
    assert create_review(api, "t", comment=comment)["comment"] is None


@pytest.mark.parametrize("body, code, attr, detail", [
    ({}, "required", "trace_id", "This field is required."),
    ({"trace_id": "  "}, "required", "trace_id", "This field is required."),
    ({"trace_id": 12}, "invalid_input", "trace_id", "Not a valid string."),
    ({"trace_id": "x" * 256}, "invalid_input", "trace_id", "Ensure this field has no more than 255 characters."),
    ({"trace_id": "t", "comment": 5}, "invalid_input", "comment", "Not a valid string."),
    ({"trace_id": "t", "comment": "x" * 20_001}, "invalid_input", "comment",
     "Ensure this field has no more than 20000 characters."),
    ({"trace_id": "t", "scores": None}, "invalid_input", "scores", "This field may not be null."),
    ({"trace_id": "t", "scores": {"a": 1}}, "invalid_input", "scores", "Expected a list of scores."),
    ({"trace_id": "t", "queue_id": "nope"}, "invalid_input", "queue_id", "“nope” is not a valid UUID."),
    ({"trace_id": "t", "queue_id": "00000000-0000-0000-0000-000000000000"}, "invalid_input", "queue_id",
     "Review queue not found."),
    ({"trace_id": "t", "time_spent_seconds": -1}, "invalid_input", "time_spent_seconds",
     "Must be between 0 and 604800 seconds."),
    ({"trace_id": "t", "time_spent_seconds": "soon"}, "invalid_input", "time_spent_seconds",
     "A valid number of seconds is required."),
])
def test_create_refusals(api, body, code, attr, detail):
    assert_error(api.post(LIST, body), 400, code, attr, detail)
    assert api.get(LIST).get_json()["count"] == 0


def test_one_active_review_per_trace(api):
    first = create_review(api, "t")
    assert_error(api.post(LIST, {"trace_id": "t"}), 400, "invalid_input", "trace_id",
                 "An active review already exists for this trace.")
    assert api.delete(f"{LIST}{first['id']}/").status_code == 204
    second = create_review(api, "t", comment="again")
    assert second["id"] != first["id"]
    assert api.get(f"{LIST}?trace_id=t").get_json()["count"] == 1


def test_patch_keeps_what_is_absent_and_replaces_what_is_present(app, api, factory):
    scorer = create_scorer(api, kind="boolean")
    created = create_review(api, "t", comment="first", scores=[{"definition_id": scorer["id"], "boolean_value": True}])
    other = client_with_role(app, api, factory, "reviewer")
    response = other.patch(f"{LIST}{created['id']}/", {"comment": "second"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["comment"] == "second" and len(body["scores"]) == 1
    assert body["created_by"]["email"] == api.user.email
    assert body["reviewed_by"]["email"] == other.user.email
    assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(created["updated_at"])
    assert body["created_at"] == created["created_at"]
    cleared = api.patch(f"{LIST}{created['id']}/", {"scores": []}).get_json()
    assert cleared["scores"] == [] and cleared["comment"] == "second"
    assert cleared["reviewed_by"]["email"] == api.user.email
    assert api.patch(f"{LIST}{created['id']}/", {"comment": "  "}).get_json()["comment"] is None


def test_patch_cannot_move_a_review_to_another_trace(api):
    created = create_review(api, "t")
    assert_error(api.patch(f"{LIST}{created['id']}/", {"trace_id": "u"}), 400, "invalid_input", "trace_id",
                 "The trace of a review cannot be changed. Delete this review and review the other trace instead.")
    assert api.patch(f"{LIST}{created['id']}/", {"trace_id": " t ", "comment": "same trace"}).status_code == 200
    assert api.get(f"{LIST}{created['id']}/").get_json()["trace_id"] == "t"


def test_time_spent_adds_up_across_saves(api):
    created = create_review(api, "t", time_spent_seconds=12.5)
    assert created["time_spent_seconds"] == 12.5
    assert api.patch(f"{LIST}{created['id']}/", {"time_spent_seconds": 7}).get_json()["time_spent_seconds"] == 19.5
    assert api.patch(f"{LIST}{created['id']}/", {"comment": "x"}).get_json()["time_spent_seconds"] == 19.5


def test_delete_is_soft_and_hides_the_review(api):
    created = create_review(api, "t")
    assert api.delete(f"{LIST}{created['id']}/").status_code == 204
    for response in (api.get(f"{LIST}{created['id']}/"), api.patch(f"{LIST}{created['id']}/", {"comment": "x"}),
                     api.delete(f"{LIST}{created['id']}/")):
        assert_error(response, 404, "not_found", None, "Not found.")
    assert api.get(LIST).get_json()["count"] == 0
    assert_error(api.request("PUT", f"{LIST}{created['id']}/", {"trace_id": "t"}), 405)


# --- saving completes the queue item -----------------------------------------------------------------

def test_saving_completes_the_pending_item(api):
    inbox = queue(api)
    enqueue(api, inbox, "t")
    enqueue(api, inbox, "other")
    assert pending(api, inbox) == 2
    review = create_review(api, "t")
    assert pending(api, inbox) == 1
    assert review["queue_id"] == inbox["id"]
    items = api.get(f"review_queue_items/?queue_id={inbox['id']}").get_json()["results"]
    assert [i["trace_id"] for i in items] == ["other"]
    assert_error(api.post("review_queue_items/", {"queue_id": inbox["id"], "trace_id": "t"}), 400,
                 "invalid_input", "trace_id", "This trace is already reviewed and cannot be added to a queue.")


def test_queue_id_restricts_which_item_is_completed(api):
    inbox, other = queue(api, "Inbox"), queue(api, "Other")
    enqueue(api, inbox, "t")
    review = create_review(api, "t", queue_id=other["id"])
    assert pending(api, inbox) == 1  # the item in Inbox is not the one named
    assert review["queue_id"] == other["id"]
    # A later save without a queue completes whichever item is pending.
    patched = api.patch(f"{LIST}{review['id']}/", {"comment": "done"}).get_json()
    assert pending(api, inbox) == 0 and patched["queue_id"] == inbox["id"]


def test_saving_with_the_right_queue_completes_it(api):
    inbox = queue(api)
    enqueue(api, inbox, "t")
    create_review(api, "t", queue_id=inbox["id"])
    assert pending(api, inbox) == 0


def test_a_refused_save_leaves_the_item_pending(api):
    inbox = queue(api)
    enqueue(api, inbox, "t")
    assert_error(api.post(LIST, {"trace_id": "t", "scores": [{"definition_id": "nope"}]}), 400, attr="scores")
    deleted = queue(api, "Deleted")
    api.delete(f"review_queues/{deleted['id']}/")
    assert_error(api.post(LIST, {"trace_id": "t", "queue_id": deleted["id"]}), 400, "invalid_input", "queue_id",
                 "Review queue not found.")
    assert pending(api, inbox) == 1
    assert api.get(LIST).get_json()["count"] == 0


def test_queue_of_another_project_is_refused(app, api, factory):
    theirs = queue(other_project_client(app, factory), "Theirs")
    assert_error(api.post(LIST, {"trace_id": "t", "queue_id": theirs["id"]}), 400, "invalid_input", "queue_id",
                 "Review queue not found.")


def test_a_claimed_item_is_completed_with_its_claim(api):
    inbox = queue(api)
    enqueue(api, inbox, "t")
    claimed = api.post(f"review_queues/{inbox['id']}/claim_next/")
    assert claimed.status_code == 200 and claimed.get_json()["trace_id"] == "t"
    create_review(api, "t", queue_id=inbox["id"])
    assert pending(api, inbox) == 0
    assert api.post(f"review_queues/{inbox['id']}/claim_next/").status_code == 204


# --- list --------------------------------------------------------------------------------------------

def test_list_filters(api):
    quality = create_scorer(api, name="Quality")
    correct = create_scorer(api, name="Correct", kind="boolean")
    a = create_review(api, "trace-a", comment="Polite but WRONG",
                      scores=[{"definition_id": quality["id"], "categorical_values": ["bad"]}])
    b = create_review(api, "trace-b", scores=[{"definition_id": correct["id"], "boolean_value": True}])
    c = create_review(api, "other_100%")
    ids = lambda query: {r["id"] for r in api.get(LIST + query).get_json()["results"]}  # noqa: E731
    assert ids("") == {a["id"], b["id"], c["id"]}
    assert ids("?trace_id=trace-a") == {a["id"]}
    assert ids("?trace_id=trace") == set()
    assert ids("?trace_id__in=trace-a,other_100%25") == {a["id"], c["id"]}
    assert ids(f"?definition_id={quality['id']}") == {a["id"]}
    assert ids(f"?definition_id__in={quality['id']},{correct['id']}") == {a["id"], b["id"]}
    assert ids("?search=wrong") == {a["id"]}  # comment, case-insensitive
    assert ids("?search=TRACE-") == {a["id"], b["id"]}  # trace id
    assert ids("?search=_100%25") == {c["id"]}  # LIKE wildcards are literal
    assert_error(api.get(f"{LIST}?definition_id=nope"), 400, "invalid_input", "definition_id",
                 "“nope” is not a valid UUID.")
    assert_error(api.get(f"{LIST}?definition_id__in={quality['id']},nope"), 400, "invalid_input",
                 "definition_id__in")


def test_list_order(api):
    first, second, third = (create_review(api, t) for t in ("1", "2", "3"))
    api.patch(f"{LIST}{first['id']}/", {"comment": "touched"})
    ids = lambda order="": [r["id"] for r in api.get(LIST + order).get_json()["results"]]  # noqa: E731
    assert ids() == [first["id"], third["id"], second["id"]]  # newest update first
    assert ids("?order_by=-updated_at") == ids()
    assert ids("?order_by=updated_at") == [second["id"], third["id"], first["id"]]
    assert ids("?order_by=created_at") == [first["id"], second["id"], third["id"]]
    assert ids("?order_by=-created_at") == [third["id"], second["id"], first["id"]]
    assert_error(api.get(f"{LIST}?order_by=trace_id"), 400, "invalid_choice", "order_by")


def test_list_is_a_constant_number_of_queries(api, count_queries):
    scorers = [create_scorer(api, name=f"s{i}", kind="boolean") for i in range(3)]

    def review(trace_id):
        create_review(api, trace_id, comment="c",
                      scores=[{"definition_id": s["id"], "boolean_value": True} for s in scorers])

    review("t0")
    with count_queries() as one:
        assert api.get(LIST).get_json()["count"] == 1
    for i in range(1, 100):
        review(f"t{i}")
    with count_queries() as hundred:
        body = api.get(LIST).get_json()
    assert len(body["results"]) == 100 and all(len(r["scores"]) == 3 for r in body["results"])
    assert len(hundred) == len(one)


# --- trace_url -----------------------------------------------------------------------------------------

def link(base: str, project_id: int, trace_id: str) -> str:
    return f"{base}/project/{project_id}/ai-observability/traces/{trace_id}"


def test_every_review_answer_carries_the_trace_url(api):
    """Without REVIEWAPP_SITE_URL the link is on the address the request came to."""
    created = create_review(api, "trace_link_check")
    expected = link("http://localhost", api.project_id, "trace_link_check")
    assert created["trace_url"] == expected
    assert api.get(f"{LIST}{created['id']}/").get_json()["trace_url"] == expected
    assert api.get(LIST).get_json()["results"][0]["trace_url"] == expected
    assert api.patch(f"{LIST}{created['id']}/", {"comment": "x"}).get_json()["trace_url"] == expected


def test_the_trace_url_is_on_the_configured_site(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://us.posthog.com")
    created = create_review(api, "trace_link_check")
    assert created["trace_url"] == f"https://us.posthog.com/project/{api.project_id}/ai-observability/traces/" \
                                   "trace_link_check"


def test_the_trace_id_is_not_url_encoded(api):
    trace_id = "runs/2024 06/é?x=1#frag"
    created = create_review(api, trace_id)
    assert created["trace_url"] == link("http://localhost", api.project_id, trace_id)
    assert not created["trace_url"].endswith("/")


def test_the_trace_url_follows_the_scheme_a_trusted_proxy_gives(app, api, monkeypatch):
    from reviewapp import trust_proxies

    created = create_review(api, "t")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusted = api.get(f"{LIST}{created['id']}/", headers=headers).get_json()
    assert untrusted["trace_url"] == link("http://localhost", api.project_id, "t")  # no proxy is trusted
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back after the test
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    trust_proxies(app)
    trusted = api.get(f"{LIST}{created['id']}/", headers=headers).get_json()
    assert trusted["trace_url"] == link("https://localhost", api.project_id, "t")


def test_the_trace_detail_review_carries_the_trace_url(api):
    from tests.traces.helpers import chat_trace

    chat_trace(api.project_id, "t-1")
    create_review(api, "t-1")
    review = api.get("traces/t-1/").get_json()["review"]
    assert review["trace_url"] == link("http://localhost", api.project_id, "t-1")


# --- access ------------------------------------------------------------------------------------------

def test_reviews_of_other_projects_are_404(app, api, factory):
    other = other_project_client(app, factory)
    theirs = create_review(other, "t")
    for response in (api.get(f"{LIST}{theirs['id']}/"), api.patch(f"{LIST}{theirs['id']}/", {"comment": "x"}),
                     api.delete(f"{LIST}{theirs['id']}/"), api.get(f"{LIST}not-a-uuid/")):
        assert_error(response, 404, "not_found", None, "Not found.")
    assert api.get(LIST).get_json()["count"] == 0
    create_review(api, "t")  # the same trace id is a different trace in this project
    assert other.get(f"{LIST}{theirs['id']}/").get_json()["comment"] is None


def test_reviewer_writes_reviews(app, api, factory):
    reviewer = client_with_role(app, api, factory, "reviewer")
    created = create_review(reviewer, "t", comment="mine")
    assert reviewer.patch(f"{LIST}{created['id']}/", {"comment": "edited"}).status_code == 200
    assert reviewer.delete(f"{LIST}{created['id']}/").status_code == 204


def test_viewer_and_read_only_key_cannot_write(app, api, factory):
    created = create_review(api, "t", comment="kept")
    viewer = client_with_role(app, api, factory, "viewer")
    read_only = api.as_key(factory.api_key(api.user, "llm_analytics:read"))
    for client in (viewer, read_only):
        assert client.get(LIST).get_json()["count"] == 1
        for response in (client.post(LIST, {"trace_id": "u"}),
                         client.patch(f"{LIST}{created['id']}/", {"comment": "changed"}),
                         client.delete(f"{LIST}{created['id']}/")):
            assert_error(response, 403, "permission_denied", None)
    assert api.get(f"{LIST}{created['id']}/").get_json()["comment"] == "kept"
    assert api.get(LIST).get_json()["count"] == 1
