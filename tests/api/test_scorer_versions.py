"""new_version/ and versions/: immutable versions with their name and description changes, stale-edit conflicts,
the unique backstop, the cursor-paged history newest first, and the strict version detail."""
import base64
import json
import uuid

import pytest

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinitionVersion
from reviewapp.services.common import as_uuid
from tests.support.api import assert_error
from tests.support.scoring import CONFIGS, create_scorer, other_project_client

LIST = "score_definitions/"
# Every key given, so the config comes back as sent whatever the stored form fills in.
NEW_CONFIG = {"options": [{"key": "pass", "label": "Pass"}, {"key": "fail", "label": "Fail"}],
              "selection_mode": "multiple", "min_selections": 1, "max_selections": 2}
STALE = "The scorer changed since you opened it. Reload the latest version and try again."


def new_version(api, definition, body):
    return api.post(f"{LIST}{definition['id']}/new_version/", body)


def versions(api, definition, query=""):
    return api.get(f"{LIST}{definition['id']}/versions/{query}")


def version_count(api, definition) -> int:
    return versions(api, definition).get_json()["count"]


def with_versions(api, total: int) -> dict:
    """A scorer with versions 1..total."""
    created = create_scorer(api)
    for n in range(2, total + 1):
        assert new_version(api, created, {"config": {"options": [{"key": f"k{n}", "label": f"K{n}"}]}}).status_code \
            == 200
    return created


def cursor_of(parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts, separators=(",", ":")).encode()).decode().rstrip("=")


# --- new_version ---------------------------------------------------------------------------------------

def test_new_version_returns_the_whole_definition_one_version_up(api):
    created = create_scorer(api)
    response = new_version(api, created, {"config": NEW_CONFIG, "base_version": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == created["id"] and body["current_version"] == 2
    assert body["current_version_id"] != created["current_version_id"]
    assert body["config"] == NEW_CONFIG
    assert (body["name"], body["description"], body["kind"], body["created_at"]) == (
        created["name"], created["description"], "categorical", created["created_at"])
    assert api.get(f"{LIST}{created['id']}/").get_json() == body
    third = new_version(api, created, {"config": CONFIGS["categorical"]}).get_json()  # no base_version: no check
    assert third["current_version"] == 3


def test_an_unchanged_config_still_makes_a_version(api):
    created = create_scorer(api)
    again = new_version(api, created, {"config": CONFIGS["categorical"], "base_version": 1}).get_json()
    assert again["current_version"] == 2 and again["config"] == created["config"]
    assert version_count(api, created) == 2


def test_new_version_validates_against_the_stored_kind(api):
    created = create_scorer(api, kind="numeric")
    assert_error(new_version(api, created, {"config": CONFIGS["categorical"]}), 400, "invalid_input", "config")
    assert_error(new_version(api, created, {"config": {"step": -1}}), 400, "invalid_input", "config__step")
    assert_error(new_version(api, created, {}), 400, "required", "config", "This field is required.")
    sent = {"min": 0, "max": 100, "step": 1}
    changed = new_version(api, created, {"config": sent, "kind": "boolean"}).get_json()
    assert changed["kind"] == "numeric" and changed["config"] == sent
    assert version_count(api, created) == 2  # the refused ones made none


def test_new_version_applies_name_and_description_with_the_version(api):
    created = create_scorer(api, description="Old words")
    response = new_version(api, created, {"config": NEW_CONFIG, "base_version": 1, "name": "  Helpfulness  ",
                                          "description": "How much it helped."})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["description"], body["current_version"]) == ("Helpfulness", "How much it helped.", 2)
    assert body["config"] == NEW_CONFIG
    assert api.get(f"{LIST}{created['id']}/").get_json() == body
    assert [d["name"] for d in api.get(LIST).get_json()["results"]] == ["Helpfulness"]


def test_new_version_leaves_metadata_that_is_not_sent(api):
    created = create_scorer(api, description="Kept")
    body = new_version(api, created, {"config": NEW_CONFIG, "name": "Renamed"}).get_json()
    assert (body["name"], body["description"]) == ("Renamed", "Kept")
    body = new_version(api, created, {"config": NEW_CONFIG, "description": "Only this"}).get_json()
    assert (body["name"], body["description"], body["current_version"]) == ("Renamed", "Only this", 3)


def test_a_null_description_is_stored_as_empty_text(api):
    created = create_scorer(api, description="Something")
    body = new_version(api, created, {"config": NEW_CONFIG, "description": None}).get_json()
    assert body["description"] == "" and body["current_version"] == 2


def test_the_sent_name_wins_over_a_rename_made_meanwhile(api):
    """The name is compared with the row under the lock: a rename made after the client loaded the scorer is
    overwritten by the request's value, as PostHog does."""
    created = create_scorer(api, name="Original")
    api.patch(f"{LIST}{created['id']}/", {"name": "Someone else's"})
    body = new_version(api, created, {"config": NEW_CONFIG, "base_version": 1, "name": "Original"}).get_json()
    assert body["name"] == "Original" and body["current_version"] == 2


@pytest.mark.parametrize("fields, code, attr, detail", [
    ({"name": ""}, "required", "name", "This field is required."),
    ({"name": "   "}, "required", "name", "This field is required."),
    ({"name": None}, "required", "name", "This field is required."),
    ({"name": "x" * 256}, "invalid_input", "name", "Ensure this field has no more than 255 characters."),
    ({"name": 12}, "invalid_input", "name", "Not a valid string."),
    ({"description": 12}, "invalid_input", "description", "Not a valid string."),
    ({"description": "x" * 10_001}, "invalid_input", "description",
     "Ensure this field has no more than 10000 characters."),
])
def test_new_version_refuses_metadata_as_patch_does(api, fields, code, attr, detail):
    created = create_scorer(api)
    assert_error(new_version(api, created, {"config": NEW_CONFIG, **fields}), 400, code, attr, detail)
    assert_error(api.patch(f"{LIST}{created['id']}/", fields), 400, code, attr, detail)  # the same rule
    assert api.get(f"{LIST}{created['id']}/").get_json() == created  # no version, no change


def test_a_name_of_255_characters_is_accepted(api):
    created = create_scorer(api)
    assert new_version(api, created, {"config": NEW_CONFIG, "name": "n" * 255}).get_json()["name"] == "n" * 255


def test_stale_base_version_is_409_with_the_current_version(api):
    created = create_scorer(api)
    assert new_version(api, created, {"config": NEW_CONFIG, "base_version": 1}).status_code == 200
    response = new_version(api, created, {"config": CONFIGS["categorical"], "base_version": 1})
    assert response.status_code == 409
    assert response.get_json() == {"detail": STALE, "current_version": 2}
    response = new_version(api, created, {"config": CONFIGS["categorical"], "base_version": 7})
    assert response.get_json() == {"detail": STALE, "current_version": 2}
    assert version_count(api, created) == 2


def test_a_stale_base_version_changes_neither_name_nor_description(api):
    created = create_scorer(api, name="Before", description="Before too")
    current = new_version(api, created, {"config": NEW_CONFIG}).get_json()
    response = new_version(api, created, {"config": NEW_CONFIG, "base_version": 1, "name": "After",
                                          "description": "After too"})
    assert response.status_code == 409
    assert response.get_json() == {"detail": STALE, "current_version": 2}
    assert api.get(f"{LIST}{created['id']}/").get_json() == current
    assert (current["name"], current["description"]) == ("Before", "Before too")


@pytest.mark.parametrize("base, detail", [
    ("one", "A valid integer is required."),
    (1.5, "A valid integer is required."),
    (True, "A valid integer is required."),
    (0, "Ensure this value is greater than or equal to 1."),
])
def test_base_version_must_be_a_positive_integer(api, base, detail):
    created = create_scorer(api)
    assert_error(new_version(api, created, {"config": NEW_CONFIG, "base_version": base}), 400, "invalid_input",
                 "base_version", detail)


def test_a_version_number_taken_meanwhile_is_409_not_500(api):
    """The unique (definition, version) constraint backs the row lock up: a clash answers 409, and the name sent
    with it is not applied."""
    created = create_scorer(api, name="Kept")
    db.session.add(ScoreDefinitionVersion(definition_id=as_uuid(created["id"]), project_id=api.project_id,
                                          version=2, kind="categorical", config=CONFIGS["categorical"]))
    db.session.commit()
    response = new_version(api, created, {"config": NEW_CONFIG, "name": "Lost"})
    assert response.status_code == 409
    assert response.get_json() == {"detail": STALE, "current_version": 1}
    after = api.get(f"{LIST}{created['id']}/").get_json()
    assert (after["current_version"], after["name"]) == (1, "Kept")


def test_archived_definitions_can_still_get_versions(api):
    created = create_scorer(api)
    api.patch(f"{LIST}{created['id']}/", {"archived": True})
    body = new_version(api, created, {"config": NEW_CONFIG, "name": "Retired"}).get_json()
    assert body["archived"] is True and body["current_version"] == 2 and body["name"] == "Retired"


# --- versions/: the cursor-paged history --------------------------------------------------------------

def test_versions_newest_first_with_their_configs(api):
    created = create_scorer(api)
    new_version(api, created, {"config": NEW_CONFIG})
    new_version(api, created, {"config": {"options": [{"key": "x", "label": "X"}]}})
    response = versions(api, created)
    assert response.status_code == 200
    page = response.get_json()
    assert set(page) == {"count", "next_cursor", "results"}
    assert page["count"] == 3 and page["next_cursor"] is None
    assert [v["version"] for v in page["results"]] == [3, 2, 1]
    first = page["results"][2]
    assert set(first) == {"id", "definition_id", "version", "kind", "config", "created_at", "created_by"}
    assert first["config"] == created["config"] and first["definition_id"] == created["id"]
    assert first["id"] == created["current_version_id"]
    assert first["kind"] == "categorical" and first["created_by"]["email"] == api.user.email


def test_pages_follow_the_cursor_to_the_end(api):
    created = with_versions(api, 5)
    ids = {v["version"]: v["id"] for v in versions(api, created).get_json()["results"]}
    seen, query = [], "?limit=2"
    cursors = []
    while True:
        page = versions(api, created, query).get_json()
        assert page["count"] == 5
        seen += [v["version"] for v in page["results"]]
        if page["next_cursor"] is None:
            break
        cursors.append(page["next_cursor"])
        query = f"?limit=2&cursor={page['next_cursor']}"
    assert seen == [5, 4, 3, 2, 1]
    # The cursor is the last row's [version, id] as compact JSON, base64url without padding.
    assert cursors == [cursor_of(["4", ids[4]]), cursor_of(["2", ids[2]])]
    assert all("=" not in c for c in cursors)


def test_a_full_last_page_has_no_cursor(api):
    created = with_versions(api, 2)
    page = versions(api, created, "?limit=2").get_json()
    assert [v["version"] for v in page["results"]] == [2, 1] and page["next_cursor"] is None


def test_the_default_page_is_fifty(api):
    created = with_versions(api, 51)
    page = versions(api, created).get_json()
    assert len(page["results"]) == 50 and page["count"] == 51 and page["next_cursor"] is not None
    rest = versions(api, created, f"?cursor={page['next_cursor']}").get_json()
    assert [v["version"] for v in rest["results"]] == [1] and rest["next_cursor"] is None


def test_a_version_added_between_pages_does_not_shift_the_next_page(api):
    created = with_versions(api, 2)
    first = versions(api, created, "?limit=1").get_json()
    assert first["count"] == 2 and [v["version"] for v in first["results"]] == [2]
    new_version(api, created, {"config": NEW_CONFIG})
    second = versions(api, created, f"?limit=1&cursor={first['next_cursor']}").get_json()
    assert second["count"] == 3  # counted now
    assert [v["version"] for v in second["results"]] == [1] and second["next_cursor"] is None


@pytest.mark.parametrize("query", ["?limit=", "?cursor=", "?limit=&cursor="])
def test_empty_parameters_are_absent(api, query):
    created = with_versions(api, 2)
    page = versions(api, created, query).get_json()
    assert [v["version"] for v in page["results"]] == [2, 1]


@pytest.mark.parametrize("limit, shown", [("1", 1), ("100", 2), ("2.0", 2), (" 1", 1)])
def test_limit_is_read_as_an_integer(api, limit, shown):
    created = with_versions(api, 2)
    assert len(versions(api, created, f"?limit={limit}").get_json()["results"]) == shown


@pytest.mark.parametrize("query, code, attr, detail", [
    ("?limit=0", "min_value", "limit", "Ensure this value is greater than or equal to 1."),
    ("?limit=-3", "min_value", "limit", "Ensure this value is greater than or equal to 1."),
    ("?limit=101", "max_value", "limit", "Ensure this value is less than or equal to 100."),
    ("?limit=ten", "invalid_input", "limit", "A valid integer is required."),
    ("?limit=1.5", "invalid_input", "limit", "A valid integer is required."),
    ("?limit=" + "9" * 1001, "max_string_length", "limit", "String value too large."),
    ("?cursor=" + "a" * 2049, "max_length", "cursor", "Ensure this field has no more than 2048 characters."),
    ("?limit=1&limit=2", "invalid_input", "limit", "Supply this parameter once."),
    ("?cursor=a&cursor=b", "invalid_input", "cursor", "Supply this parameter once."),
    ("?search=x", "invalid_input", "search", "Unsupported query parameter."),
    ("?offset=2", "invalid_input", "offset", "Unsupported query parameter."),
    ("?limit=2&order_by=version", "invalid_input", "order_by", "Unsupported query parameter."),
    # A bad field is reported before an unknown or repeated parameter.
    ("?search=x&limit=0", "min_value", "limit", "Ensure this value is greater than or equal to 1."),
    ("?search=x&limit=1&limit=2", "invalid_input", "limit", "Supply this parameter once."),
    ("?offset=1&cursor=" + "a" * 2049, "max_length", "cursor", "Ensure this field has no more than 2048 characters."),
])
def test_bad_queries_are_400_with_their_attr(api, query, code, attr, detail):
    created = create_scorer(api)
    assert_error(versions(api, created, query), 400, code, attr, detail)


VERSION_ID = "0190a8f0-0000-7000-8000-000000000001"


@pytest.mark.parametrize("cursor", [
    "not base64!",  # not base64url
    "YWJj=ZA",  # padding in the middle: not strict base64
    "a",  # a length no padding mends
    base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("="),  # not UTF-8
    cursor_of({"version": "1"})[:-1] + "x",  # not JSON once altered
    base64.urlsafe_b64encode(b"not json").decode().rstrip("="),
    cursor_of({"version": "1", "id": VERSION_ID}),  # an object, not a list
    cursor_of(["1"]),  # too short
    cursor_of(["1", VERSION_ID, "x"]),  # too long
    cursor_of([1, VERSION_ID]),  # not strings
    cursor_of(["one", VERSION_ID]),
    cursor_of(["0", VERSION_ID]),  # versions start at 1
    cursor_of(["2147483648", VERSION_ID]),  # past the largest integer column
    cursor_of(["1", "not-a-uuid"]),
    "é" * 4,  # not ASCII
])
def test_a_malformed_cursor_is_400(api, cursor):
    created = create_scorer(api)
    response = api.get(f"{LIST}{created['id']}/versions/", query_string={"cursor": cursor})
    assert_error(response, 400, "invalid_input", "cursor", "Provide a valid continuation cursor.")


def test_the_largest_version_number_is_a_valid_cursor(api):
    created = with_versions(api, 2)
    page = versions(api, created, "?cursor=" + cursor_of(["2147483647", VERSION_ID])).get_json()
    assert [v["version"] for v in page["results"]] == [2, 1]


def test_the_history_is_a_fixed_number_of_queries(api, count_queries):
    created = with_versions(api, 12)
    with count_queries() as small:
        assert len(versions(api, created, "?limit=1").get_json()["results"]) == 1
    with count_queries() as large:
        assert len(versions(api, created, "?limit=100").get_json()["results"]) == 12
    assert len(small) == len(large)


def test_versions_of_an_archived_scorer_are_readable(api):
    created = create_scorer(api)
    api.patch(f"{LIST}{created['id']}/", {"archived": True})
    assert versions(api, created).get_json()["count"] == 1


def test_versions_of_a_missing_or_foreign_scorer_are_404(app, api, factory):
    theirs = create_scorer(other_project_client(app, factory))
    assert_error(versions(api, theirs), 404, "not_found", None, "Not found.")
    assert_error(api.get(f"{LIST}{uuid.uuid4()}/versions/"), 404, "not_found", None, "Not found.")


# --- versions/{version_id}/ -----------------------------------------------------------------------------

def test_retrieve_one_version(api):
    created = create_scorer(api)
    new_version(api, created, {"config": NEW_CONFIG})
    response = api.get(f"{LIST}{created['id']}/versions/{created['current_version_id']}/")
    assert response.status_code == 200
    assert response.get_json()["version"] == 1 and response.get_json()["config"] == created["config"]


@pytest.mark.parametrize("query, attr", [("?limit=1", "limit"), ("?cursor=x", "cursor"), ("?format=json", "format"),
                                         ("?a=1&b=2", "a")])
def test_the_version_detail_refuses_any_query_parameter(api, query, attr):
    created = create_scorer(api)
    assert_error(api.get(f"{LIST}{created['id']}/versions/{created['current_version_id']}/{query}"), 400,
                 "invalid_input", attr, "This parameter is not supported.")
    # Checked before the scorer is looked up: a missing scorer answers the same.
    assert_error(api.get(f"{LIST}{uuid.uuid4()}/versions/{created['current_version_id']}/{query}"), 400,
                 "invalid_input", attr, "This parameter is not supported.")


def test_a_version_id_that_is_no_uuid_is_400(api):
    created = create_scorer(api)
    assert_error(api.get(f"{LIST}{created['id']}/versions/not-a-uuid/"), 400, "invalid_input", "version_id",
                 "“not-a-uuid” is not a valid UUID.")


def test_a_version_is_found_only_under_its_own_definition(app, api, factory):
    first, second = create_scorer(api, name="First"), create_scorer(api, name="Second")
    for path in (
        f"{LIST}{second['id']}/versions/{first['current_version_id']}/",
        f"{LIST}{first['id']}/versions/{first['id']}/",
        f"{LIST}{first['id']}/versions/{uuid.uuid4()}/",
    ):
        response = api.get(path)
        assert response.status_code == 404
        assert response.get_json() == {"type": "invalid_request", "code": "not_found",
                                       "detail": "Scorer version not found.", "attr": None}
    assert_error(api.get(f"{LIST}{uuid.uuid4()}/versions/{first['current_version_id']}/"), 404, "not_found", None,
                 "Not found.")
    theirs = create_scorer(other_project_client(app, factory))
    assert_error(api.get(f"{LIST}{theirs['id']}/versions/{theirs['current_version_id']}/"), 404, "not_found", None,
                 "Not found.")
    assert_error(new_version(api, theirs, {"config": NEW_CONFIG}), 404, "not_found")
