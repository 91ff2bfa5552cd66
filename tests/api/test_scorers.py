"""score_definitions/: create with version 1, the documented fields, list filters and order, metadata edits,
archiving, no DELETE, roles and projects."""
from datetime import datetime

import pytest

from tests.support.api import assert_error
from tests.support.scoring import CONFIGS, client_with_role, create_scorer, other_project_client

LIST = "score_definitions/"
FIELDS = {"id", "name", "description", "kind", "archived", "current_version", "current_version_id", "config",
          "created_by", "created_at", "updated_at", "team"}


@pytest.mark.parametrize("kind", ["categorical", "numeric", "boolean"])
def test_create_each_kind_with_version_one(api, kind):
    response = api.post(LIST, {"name": "  Helpfulness ", "description": "How helpful", "kind": kind,
                               "config": CONFIGS[kind]})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == FIELDS
    assert (body["name"], body["description"], body["kind"]) == ("Helpfulness", "How helpful", kind)
    assert body["archived"] is False and body["current_version"] == 1
    assert body["created_by"]["email"] == api.user.email and body["team"] == api.project_id
    assert body["created_at"].endswith("Z")
    versions = api.get(f"{LIST}{body['id']}/versions/").get_json()
    assert versions["count"] == 1
    assert versions["results"][0]["id"] == body["current_version_id"]
    assert versions["results"][0]["config"] == body["config"]


def test_config_is_returned_normalised(api):
    body = create_scorer(api, config={"options": [{"key": " Good ", "label": " Good "}]})
    assert body["config"] == {"options": [{"key": "good", "label": "Good"}]}
    assert create_scorer(api, kind="numeric", config={})["config"] == {}
    assert create_scorer(api, kind="boolean", config={})["config"] == {}


def test_names_need_not_be_unique_and_description_defaults_empty(api):
    first = create_scorer(api, name="Same")
    second = create_scorer(api, name="Same")
    assert first["id"] != second["id"] and second["description"] == ""


def test_archived_false_is_accepted_at_creation(api):
    for archived in (False, "false", None):
        body = {"name": "Q", "kind": "boolean", "config": {}, "archived": archived}
        assert api.post(LIST, body).get_json()["archived"] is False


@pytest.mark.parametrize("body, code, attr, detail", [
    ({"kind": "boolean", "config": {}}, "required", "name", "This field is required."),
    ({"name": "   ", "kind": "boolean", "config": {}}, "required", "name", "This field is required."),
    ({"name": 5, "kind": "boolean", "config": {}}, "invalid_input", "name", "Not a valid string."),
    ({"name": "x" * 256, "kind": "boolean", "config": {}}, "invalid_input", "name",
     "Ensure this field has no more than 255 characters."),
    ({"name": "Q", "description": ["x"], "kind": "boolean", "config": {}}, "invalid_input", "description",
     "Not a valid string."),
    ({"name": "Q", "config": {}}, "required", "kind", "This field is required."),
    ({"name": "Q", "kind": "rating", "config": {}}, "invalid_choice", "kind",
     '"rating" is not a valid choice.'),
    ({"name": "Q", "kind": "boolean", "config": {}, "archived": True}, "invalid_input", "archived",
     "New scorers must be created as active."),
    ({"name": "Q", "kind": "boolean", "config": {}, "archived": "maybe"}, "invalid_input", "archived",
     "Must be a valid boolean."),
    ({"name": "Q", "kind": "boolean"}, "required", "config", "This field is required."),
    ({"name": "Q", "kind": "boolean", "config": "yes"}, "invalid_input", "config__non_field_errors",
     "Invalid data. Expected a dictionary, but got str."),
    ({"name": "Q", "kind": "numeric", "config": {"min": 1, "maximum": 2}}, "invalid_input", "config",
     "Unsupported keys for `kind` `numeric`: ['maximum']. Allowed keys: ['max', 'min', 'passing_rule', 'step']."),
    ({"name": "Q", "kind": "categorical", "config": {"options": []}}, "invalid_input", "config__options",
     "Provide at least one categorical option."),
    ({"name": "Q", "kind": "categorical", "config": {"options": [{"key": "a", "label": "A"}],
                                                     "min_selections": 1}},
     "invalid_input", "config__min_selections",
     "`min_selections` is only supported when `selection_mode` is `multiple`."),
    ({"name": "Q", "kind": "numeric", "config": {"step": 0}}, "invalid_input", "config__step",
     "Ensure `step` is greater than 0."),
    ({"name": "Q", "kind": "numeric", "config": {"min": 2, "max": 1}}, "invalid_input", "config__max",
     "Ensure `max` is greater than or equal to `min`."),
    ({"name": "Q", "kind": "boolean", "config": {"true_label": " "}}, "blank", "config__true_label",
     "This field may not be blank."),
])
def test_create_refusals(api, body, code, attr, detail):
    body = assert_error(api.post(LIST, body), 400, code, attr, detail)
    assert body["type"] == "validation_error"
    assert api.get(f"{LIST}?archived=true").get_json()["count"] == 0
    assert api.get(LIST).get_json()["count"] == 0


def test_list_shows_active_by_default_and_archived_on_request(api):
    active = create_scorer(api, name="Active")
    archived = create_scorer(api, name="Old")
    api.patch(f"{LIST}{archived['id']}/", {"archived": True})
    names = lambda query="": [d["name"] for d in api.get(LIST + query).get_json()["results"]]  # noqa: E731
    assert names() == ["Active"]
    assert names("?archived=false") == ["Active"]
    assert names("?archived=true") == ["Old"]
    assert active["id"] != archived["id"]
    assert names("?archived=maybe") == ["Active"]  # never a 400: tests/api/test_scorer_list_archived.py


def test_list_filters_by_kind_and_search(api):
    create_scorer(api, name="Tone", description="Is the TONE right?")
    create_scorer(api, name="Rating", kind="numeric")
    create_scorer(api, name="Correct", kind="boolean", description="factually correct")
    create_scorer(api, name="100% sure", kind="boolean")
    names = lambda query: [d["name"] for d in api.get(LIST + query).get_json()["results"]]  # noqa: E731
    assert names("?kind=boolean") == ["100% sure", "Correct"]
    assert names("?search=tone") == ["Tone"]
    assert names("?search=FACTUALLY") == ["Correct"]  # description matches too
    assert names("?search=%25") == ["100% sure"]  # a literal percent sign, not a wildcard
    assert names("?search=rat&kind=numeric") == ["Rating"]
    assert_error(api.get(LIST + "?kind=rating"), 400, "invalid_choice", "kind",
                 "Select a valid choice. rating is not one of the available choices.")


def test_list_order(api):
    b = create_scorer(api, name="b", kind="numeric")
    a = create_scorer(api, name="a", kind="boolean")
    c = create_scorer(api, name="c", kind="categorical")
    api.post(f"{LIST}{c['id']}/new_version/", {"config": CONFIGS["categorical"]})
    api.patch(f"{LIST}{b['id']}/", {"description": "touched"})
    ids = lambda order: [d["id"] for d in api.get(f"{LIST}?order_by={order}").get_json()["results"]]  # noqa: E731
    assert [d["name"] for d in api.get(LIST).get_json()["results"]] == ["a", "b", "c"]
    assert ids("name") == [a["id"], b["id"], c["id"]]
    assert ids("-name") == [c["id"], b["id"], a["id"]]
    assert ids("kind") == [a["id"], c["id"], b["id"]]
    assert ids("-kind") == [b["id"], c["id"], a["id"]]
    assert ids("created_at") == [b["id"], a["id"], c["id"]]
    assert ids("-created_at") == [c["id"], a["id"], b["id"]]
    assert ids("-updated_at")[0] == b["id"]
    assert ids("-current_version")[0] == c["id"]
    assert ids("current_version")[-1] == c["id"]
    assert_error(api.get(f"{LIST}?order_by=colour"), 400, "invalid_choice", "order_by")


def test_list_paginates(api):
    for name in "abcde":
        create_scorer(api, name=name, kind="boolean")
    page = api.get(f"{LIST}?limit=2&offset=2&kind=boolean").get_json()
    assert page["count"] == 5 and [d["name"] for d in page["results"]] == ["c", "d"]
    assert "kind=boolean" in page["next"] and "offset=4" in page["next"]
    assert "kind=boolean" in page["previous"] and "offset" not in page["previous"]
    assert_error(api.get(f"{LIST}?limit=x"), 400, "invalid_input", "limit")


def test_list_is_a_constant_number_of_queries(api, count_queries):
    create_scorer(api, name="first")
    with count_queries() as one:
        assert api.get(LIST).get_json()["count"] == 1
    for i in range(99):
        create_scorer(api, name=f"s{i:02}", kind=("categorical", "numeric", "boolean")[i % 3])
    with count_queries() as hundred:
        assert len(api.get(LIST).get_json()["results"]) == 100
    assert len(hundred) == len(one)


def test_retrieve(api):
    created = create_scorer(api)
    response = api.get(f"{LIST}{created['id']}/")
    assert response.status_code == 200 and response.get_json() == created
    assert api.get(f"/api/projects/{api.project_id}/llm_analytics/score_definitions/{created['id']}").get_json() \
        == created


def test_patch_changes_metadata_only(api):
    created = create_scorer(api)
    response = api.patch(f"{LIST}{created['id']}/", {"name": " Renamed ", "description": "New words",
                                                     "kind": "numeric", "config": {"min": 1}})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["description"], body["kind"]) == ("Renamed", "New words", "categorical")
    assert body["config"] == created["config"]
    assert body["current_version"] == 1 and body["current_version_id"] == created["current_version_id"]
    assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(created["updated_at"])
    assert api.get(f"{LIST}{created['id']}/versions/").get_json()["count"] == 1


def test_archive_and_unarchive(api):
    created = create_scorer(api)
    archived = api.patch(f"{LIST}{created['id']}/", {"archived": True}).get_json()
    assert archived["archived"] is True
    assert api.get(f"{LIST}{created['id']}/").get_json()["archived"] is True  # still retrievable
    assert api.patch(f"{LIST}{created['id']}/", {"archived": False}).get_json()["archived"] is False
    assert api.get(LIST).get_json()["count"] == 1


@pytest.mark.parametrize("body, code, attr, detail", [
    ({"name": ""}, "required", "name", "This field is required."),
    ({"name": None}, "required", "name", "This field is required."),
    ({"archived": "sometimes"}, "invalid_input", "archived", "Must be a valid boolean."),
    ({"description": 12}, "invalid_input", "description", "Not a valid string."),
])
def test_patch_refusals(api, body, code, attr, detail):
    created = create_scorer(api)
    assert_error(api.patch(f"{LIST}{created['id']}/", body), 400, code, attr, detail)
    assert api.get(f"{LIST}{created['id']}/").get_json() == created


def test_delete_and_put_are_405(api):
    created = create_scorer(api)
    body = assert_error(api.delete(f"{LIST}{created['id']}/"), 405, "method_not_allowed", None)
    assert body["detail"] == 'Method "DELETE" not allowed.'
    assert_error(api.request("PUT", f"{LIST}{created['id']}/", {"name": "x"}), 405)
    assert api.get(f"{LIST}{created['id']}/").status_code == 200


def test_other_projects_and_bad_ids_are_404(app, api, factory):
    other = other_project_client(app, factory)
    theirs = create_scorer(other)
    for response in (
        api.get(f"{LIST}{theirs['id']}/"),
        api.patch(f"{LIST}{theirs['id']}/", {"name": "mine now"}),
        api.post(f"{LIST}{theirs['id']}/new_version/", {"config": CONFIGS["categorical"]}),
        api.get(f"{LIST}{theirs['id']}/versions/"),
        api.get(f"{LIST}{theirs['id']}/versions/{theirs['current_version_id']}/"),
        api.get(f"{LIST}not-a-uuid/"),
        api.get(f"{LIST}00000000-0000-0000-0000-000000000000/"),
    ):
        assert_error(response, 404, "not_found", None, "Not found.")
    assert api.get(LIST).get_json()["count"] == 0
    assert other.get(f"{LIST}{theirs['id']}/").get_json()["name"] == "Quality"


def test_reviewer_and_viewer_read_but_cannot_write(app, api, factory):
    created = create_scorer(api)
    for role in ("reviewer", "viewer"):
        client = client_with_role(app, api, factory, role)
        assert client.get(LIST).get_json()["count"] == 1
        assert client.get(f"{LIST}{created['id']}/versions/").status_code == 200
        for response in (
            client.post(LIST, {"name": "x", "kind": "boolean", "config": {}}),
            client.patch(f"{LIST}{created['id']}/", {"archived": True}),
            client.post(f"{LIST}{created['id']}/new_version/", {"config": CONFIGS["categorical"]}),
        ):
            assert_error(response, 403, "permission_denied", None,
                         "You do not have permission to perform this action.")
    assert api.get(f"{LIST}{created['id']}/").get_json() == created


def test_read_only_key_cannot_write(api, factory):
    created = create_scorer(api)
    read_only = api.as_key(factory.api_key(api.user, "llm_analytics:read"))
    assert read_only.get(LIST).status_code == 200
    for response in (
        read_only.post(LIST, {"name": "x", "kind": "boolean", "config": {}}),
        read_only.patch(f"{LIST}{created['id']}/", {"name": "y"}),
        read_only.post(f"{LIST}{created['id']}/new_version/", {"config": CONFIGS["categorical"]}),
    ):
        body = assert_error(response, 403, "permission_denied", None)
        assert "llm_analytics:write" in body["detail"]
