"""review_queues/: create, list, filters, ordering, rename, soft delete, counts."""
import pytest

from tests.support.api import ApiClient, assert_error

USER_FIELDS = {"id", "uuid", "distinct_id", "first_name", "last_name", "email", "is_email_verified",
               "hedgehog_config", "role_at_organization"}


def make_queue(api, name="Queue"):
    response = api.post("review_queues/", {"name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_returns_documented_fields(api):
    body = make_queue(api, "  Support answers  ")
    assert body["name"] == "Support answers"
    assert body["pending_item_count"] == 0
    assert body["team"] == api.project_id
    assert set(body) >= {"id", "name", "pending_item_count", "created_at", "updated_at", "created_by", "team"}
    assert set(body["created_by"]) == USER_FIELDS
    assert body["created_by"]["email"] == api.user.email
    assert body["created_at"].endswith("Z")


def test_form_encoded_body_like_the_reference_curl(api):
    response = api.post("review_queues/", raw="name=From+curl", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    assert response.get_json()["name"] == "From curl"


@pytest.mark.parametrize("body, code, detail", [
    ({}, "required", "This field is required."),
    ({"name": "   "}, "required", "This field is required."),
    ({"name": 5}, "invalid_input", "Not a valid string."),
    ({"name": "x" * 256}, "invalid_input", "Ensure this field has no more than 255 characters."),
])
def test_create_refusals(api, body, code, detail):
    assert_error(api.post("review_queues/", body), 400, code, "name", detail)


def test_duplicate_live_name_refused_but_reusable_after_delete(api):
    first = make_queue(api, "Dupes")
    assert_error(api.post("review_queues/", {"name": "Dupes"}), 400, "invalid_input", "name",
                 "A queue with this name already exists.")
    # exact comparison: other case is a different name
    assert api.post("review_queues/", {"name": "dupes"}).status_code == 201
    assert api.delete(f"review_queues/{first['id']}/").status_code == 204
    assert api.post("review_queues/", {"name": "Dupes"}).status_code == 201


def test_list_default_order_filters_and_ordering(api):
    for name in ["beta", "Alpha", "gamma"]:
        make_queue(api, name)
    names = lambda r: [q["name"] for q in r.get_json()["results"]]  # noqa: E731
    response = api.get("review_queues/")
    assert response.get_json()["count"] == 3
    assert names(response) == ["Alpha", "beta", "gamma"]
    assert names(api.get("review_queues/?search=AM")) == ["gamma"]
    assert names(api.get("review_queues/?name=beta")) == ["beta"]
    assert names(api.get("review_queues/?name=Beta")) == []
    assert names(api.get("review_queues/?order_by=-name")) == ["gamma", "beta", "Alpha"]
    assert names(api.get("review_queues/?order_by=-created_at")) == ["gamma", "Alpha", "beta"]


def test_search_escapes_like_wildcards(api):
    make_queue(api, "100% done")
    make_queue(api, "1000 done")
    assert [q["name"] for q in api.get("review_queues/?search=0%25").get_json()["results"]] == ["100% done"]


@pytest.mark.parametrize("query, attr", [("order_by=size", "order_by"), ("limit=abc", "limit"),
                                         ("offset=-1", "offset"), ("limit=0", "limit")])
def test_bad_query_parameters_are_400(api, query, attr):
    assert_error(api.get(f"review_queues/?{query}"), 400, attr=attr)


def test_pagination_links_keep_filters(api):
    for i in range(5):
        make_queue(api, f"q{i}")
    body = api.get("review_queues/?limit=2&search=q").get_json()
    assert body["count"] == 5 and len(body["results"]) == 2
    assert body["previous"] is None
    assert body["next"].startswith("http://localhost/api/")
    assert "search=q" in body["next"] and "offset=2" in body["next"] and "limit=2" in body["next"]
    second = api.get(body["next"]).get_json()
    assert [q["name"] for q in second["results"]] == ["q2", "q3"]
    assert "offset" not in second["previous"]
    last = api.get(second["next"]).get_json()
    assert last["next"] is None and [q["name"] for q in last["results"]] == ["q4"]


def test_huge_limit_is_capped(api):
    make_queue(api)
    assert api.get("review_queues/?limit=100000").status_code == 200


def test_retrieve_rename_and_delete(api):
    queue = make_queue(api, "Old")
    make_queue(api, "Taken")
    url = f"review_queues/{queue['id']}/"
    assert api.get(url).get_json()["name"] == "Old"
    assert_error(api.patch(url, {"name": "Taken"}), 400, "invalid_input", "name",
                 "A queue with this name already exists.")
    assert api.patch(url, {"name": "Old"}).status_code == 200  # its own name is not a duplicate
    renamed = api.patch(url, {"name": "New"}).get_json()
    assert renamed["name"] == "New" and renamed["updated_at"] >= queue["updated_at"]
    assert api.delete(url).status_code == 204
    assert_error(api.get(url), 404, "not_found", None, "Not found.")
    assert api.get("review_queues/").get_json()["count"] == 1


def test_delete_soft_deletes_items_with_the_queue(api):
    queue = make_queue(api)
    item = api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "t1"}).get_json()
    assert api.delete(f"review_queues/{queue['id']}/").status_code == 204
    assert_error(api.get(f"review_queue_items/{item['id']}/"), 404)
    other = make_queue(api, "Other")
    # the trace is free to be queued again
    assert api.post("review_queue_items/", {"queue_id": other["id"], "trace_id": "t1"}).status_code == 201


def test_non_uuid_and_other_project_ids_are_404(api, factory, app):
    assert_error(api.get("review_queues/not-a-uuid/"), 404)
    other_project = factory.project()
    other_admin = factory.user(project=other_project)
    other = ApiClient(app.test_client(), other_project.id, factory.api_key(other_admin))
    theirs = make_queue(other, "Theirs")
    for method in ("get", "patch", "delete"):
        assert_error(getattr(api, method)(f"review_queues/{theirs['id']}/"), 404, "not_found")


def test_pending_item_count(api):
    queue = make_queue(api)
    for trace in ("a", "b", "c"):
        api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": trace})
    assert api.get(f"review_queues/{queue['id']}/").get_json()["pending_item_count"] == 3
    assert api.get("review_queues/").get_json()["results"][0]["pending_item_count"] == 3


def test_list_is_a_constant_number_of_queries(api, count_queries):
    def queries_for_list():
        with count_queries() as statements:
            assert api.get("review_queues/?limit=1000").status_code == 200
        return len(statements)

    make_queue(api, "only")
    one = queries_for_list()
    for i in range(99):
        queue = make_queue(api, f"q{i}")
        api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": f"t{i}"})
    assert queries_for_list() == one


def test_reviewer_cannot_manage_queues(app, api, factory):
    reviewer = factory.member(api.project, "reviewer")
    client = ApiClient(app.test_client(), api.project_id, factory.api_key(reviewer))
    queue = make_queue(api)
    assert client.get("review_queues/").status_code == 200
    assert_error(client.post("review_queues/", {"name": "mine"}), 403, "permission_denied")
    assert_error(client.patch(f"review_queues/{queue['id']}/", {"name": "x"}), 403, "permission_denied")
    assert_error(client.delete(f"review_queues/{queue['id']}/"), 403, "permission_denied")
