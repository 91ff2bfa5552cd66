"""The review history extension: trace_reviews/{id}/history/ and traces/{trace_id}/review_history/ (newest first,
paginated, deleted reviews included), and every API write of a review recording exactly one entry."""
from __future__ import annotations

from tests.support.api import assert_error
from tests.support.scoring import client_with_role, create_review, create_scorer, other_project_client

RATING = {"min": 1, "max": 5, "step": 1, "passing_rule": {"operator": "gte", "threshold": 4}}


def history(api, review_id: str, query: str = "") -> dict:
    response = api.get(f"trace_reviews/{review_id}/history/{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def trace_history(api, trace_id: str, query: str = "") -> dict:
    response = api.get(f"traces/{trace_id}/review_history/{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def user_of(api_client) -> dict:
    user = api_client.user
    return {"id": user.id, "uuid": str(user.uuid), "distinct_id": user.distinct_id, "first_name": user.first_name,
            "last_name": user.last_name, "email": user.email, "is_email_verified": user.is_email_verified,
            "hedgehog_config": user.hedgehog_config, "role_at_organization": user.role_at_organization}


def test_a_review_and_its_edit_by_someone_else_answer_their_history_exactly(app, api, factory):
    rating = create_scorer(api, "Answer quality", "numeric", RATING)
    rita = client_with_role(app, api, factory, "reviewer")
    review = create_review(rita, "t-1", [{"definition_id": rating["id"], "numeric_value": 3}], comment="ok")
    patched = api.patch(f"trace_reviews/{review['id']}/", {"scores": [{"definition_id": rating["id"],
                                                                         "numeric_value": "4.5"}]})
    assert patched.status_code == 400  # off the step: refused, and nothing recorded
    patched = api.patch(f"trace_reviews/{review['id']}/", {"scores": [{"definition_id": rating["id"],
                                                                         "numeric_value": 4}]})
    assert patched.status_code == 200
    assert patched.get_json()["created_by"]["id"] == rita.user.id  # the author stays
    assert patched.get_json()["reviewed_by"]["id"] == api.user.id
    body = history(api, review["id"])
    rita_name = rita.user.display_name
    score = {"definition_id": rating["id"], "definition_name": "Answer quality", "definition_kind": "numeric",
             "definition_version_id": rating["current_version_id"], "definition_version": 1,
             "categorical_values": None, "boolean_value": None}
    before = {"comment": "ok", "reviewed_by": {"id": rita.user.id, "name": rita_name}, "scores": [
        {**score, "numeric_value": "3.000000", "display_value": "3", "passed": False}]}
    after = {"comment": "ok", "reviewed_by": {"id": api.user.id, "name": api.user.display_name}, "scores": [
        {**score, "numeric_value": "4.000000", "display_value": "4", "passed": True}]}
    edited, created = body["results"]
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert edited == {"id": edited["id"], "subject": "review", "review_id": review["id"], "trace_id": "t-1",
                      "action": "updated", "actor": user_of(api), "created_at": patched.get_json()["updated_at"],
                      "before": before, "after": after, "team": api.project_id}
    assert created == {"id": created["id"], "subject": "review", "review_id": review["id"], "trace_id": "t-1",
                       "action": "created", "actor": user_of(rita), "created_at": review["created_at"],
                       "before": None, "after": before, "team": api.project_id}
    assert trace_history(api, "t-1") == body


def test_patch_with_an_empty_body_records_who_saved_only_when_the_reviewer_changes(app, api, factory):
    review = create_review(api, "t-1", comment="fine")
    assert api.patch(f"trace_reviews/{review['id']}/", {}).status_code == 200
    assert history(api, review["id"])["count"] == 1
    rita = client_with_role(app, api, factory, "reviewer")
    assert rita.patch(f"trace_reviews/{review['id']}/", {}).status_code == 200
    latest = history(api, review["id"])["results"][0]
    assert latest["action"] == "updated" and latest["actor"]["id"] == rita.user.id
    assert latest["before"]["reviewed_by"]["id"] == api.user.id
    assert latest["after"] == {**latest["before"], "reviewed_by": {"id": rita.user.id,
                                                                    "name": rita.user.display_name}}


def test_a_deleted_reviews_history_stays_readable_by_its_id_and_its_trace(api):
    review = create_review(api, "t-1", comment="soon gone")
    assert api.delete(f"trace_reviews/{review['id']}/").status_code == 204
    assert api.delete(f"trace_reviews/{review['id']}/").status_code == 404  # refused: nothing more recorded
    assert api.get(f"trace_reviews/{review['id']}/").status_code == 404
    deleted, created = history(api, review["id"])["results"]
    assert (deleted["action"], deleted["before"], deleted["after"]) == ("deleted", created["after"], None)
    second = create_review(api, "t-1", comment="again")
    assert [(e["action"], e["review_id"]) for e in trace_history(api, "t-1")["results"]] == [
        ("created", second["id"]), ("deleted", review["id"]), ("created", review["id"])]
    assert history(api, second["id"])["count"] == 1


def test_a_refused_create_records_nothing(api):
    create_review(api, "t-1", comment="first")
    assert api.post("trace_reviews/", {"trace_id": "t-1", "comment": "second"}).status_code == 400
    assert api.post("trace_reviews/", {"trace_id": "t-2", "scores": [{"definition_id": "nope"}]}).status_code == 400
    assert trace_history(api, "t-1")["count"] == 1
    assert trace_history(api, "t-2")["count"] == 0


def test_the_history_pages_newest_first_and_orders_on_request(api):
    review = create_review(api, "t-1", comment="c0")
    for n in range(1, 5):
        assert api.patch(f"trace_reviews/{review['id']}/", {"comment": f"c{n}"}).status_code == 200
    first = history(api, review["id"], "?limit=2")
    assert first["count"] == 5 and first["previous"] is None
    assert [e["after"]["comment"] for e in first["results"]] == ["c4", "c3"]
    second = api.get(first["next"]).get_json()
    assert [e["after"]["comment"] for e in second["results"]] == ["c2", "c1"]
    last = api.get(second["next"]).get_json()
    assert [e["action"] for e in last["results"]] == ["created"] and last["next"] is None
    oldest = history(api, review["id"], "?order_by=created_at&limit=2")
    assert [e["after"]["comment"] for e in oldest["results"]] == ["c0", "c1"]
    assert [e["after"]["comment"] for e in trace_history(api, "t-1", "?offset=3")["results"]] == ["c1", "c0"]
    assert_error(api.get(f"trace_reviews/{review['id']}/history/?order_by=comment"), 400, "invalid_choice",
                 "order_by")
    assert_error(api.get("traces/t-1/review_history/?limit=0"), 400, "invalid_input", "limit")


def test_a_trace_id_with_slashes_or_any_character_and_an_unknown_trace(api):
    create_review(api, "conv/42/turn", comment="slashes")
    assert [e["trace_id"] for e in trace_history(api, "conv/42/turn")["results"]] == ["conv/42/turn"]
    review = create_review(api, "café ?#", comment="c0")
    api.patch(f"trace_reviews/{review['id']}/", {"comment": "c1"})
    first = trace_history(api, "caf%C3%A9%20%3F%23", "?limit=1")
    assert first["next"].isascii() and "/traces/caf%C3%A9%20%3F%23/review_history/?" in first["next"]
    assert [e["after"]["comment"] for e in api.get(first["next"]).get_json()["results"]] == ["c0"]
    assert trace_history(api, "never-reviewed") == {"count": 0, "next": None, "previous": None, "results": []}


def test_another_projects_review_is_not_found_and_its_trace_history_is_empty(app, api, factory):
    review = create_review(api, "t-1", comment="ours")
    other = other_project_client(app, factory)
    theirs = create_review(other, "t-1", comment="theirs")
    for review_id in (theirs["id"], "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert_error(api.get(f"trace_reviews/{review_id}/history/"), 404, "not_found", None, "Not found.")
    assert [e["after"]["comment"] for e in trace_history(api, "t-1")["results"]] == ["ours"]
    assert_error(other.get(f"trace_reviews/{review['id']}/history/"), 404, "not_found")
    assert_error(api.in_project(other.project_id).get("traces/t-1/review_history/"), 404, "not_found")


def test_viewers_and_read_only_keys_read_the_history(app, api, factory):
    review = create_review(api, "t-1", comment="ours")
    viewer = client_with_role(app, api, factory, "viewer", scopes="llm_analytics:read")
    assert history(viewer, review["id"])["count"] == 1
    assert trace_history(viewer, "t-1")["count"] == 1
    write_only = client_with_role(app, api, factory, "admin", scopes="llm_analytics:write")
    assert_error(write_only.get(f"trace_reviews/{review['id']}/history/"), 403, "permission_denied")
    assert_error(write_only.get("traces/t-1/review_history/"), 403, "permission_denied")
    assert_error(api.as_key(None).get("traces/t-1/review_history/"), 401)


def test_a_page_of_history_is_a_fixed_number_of_queries(app, api, factory, count_queries):
    review = create_review(api, "t-1", comment="c0")
    rita = client_with_role(app, api, factory, "reviewer")

    def read() -> tuple[int, int]:
        with count_queries() as statements:
            body = history(api, review["id"])
        # Beyond authentication (whose user may come from the session's identity map): the review, the count
        # and the page with its actors.
        ours = [s for s in statements if not s.lstrip().startswith(("SELECT personal_api_keys", "SELECT users.",
                                                                   "SELECT memberships"))]
        return len(ours), len(body["results"])

    one_queries, one = read()
    for n in range(1, 30):
        assert (rita if n % 2 else api).patch(f"trace_reviews/{review['id']}/", {"comment": f"c{n}"}).status_code == 200
    many_queries, many = read()
    assert (one, many) == (1, 30) and one_queries == many_queries == 3
