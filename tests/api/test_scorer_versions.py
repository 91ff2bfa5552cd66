"""new_version/ and versions/: immutable versions, stale-edit conflicts, the unique backstop, history newest first."""
import pytest

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinitionVersion
from reviewapp.services.common import as_uuid
from tests.support.api import assert_error
from tests.support.scoring import CONFIGS, create_scorer, other_project_client

LIST = "score_definitions/"
NEW_CONFIG = {"options": [{"key": "pass", "label": "Pass"}, {"key": "fail", "label": "Fail"}],
              "selection_mode": "multiple", "max_selections": 2}


def new_version(api, definition, body):
    return api.post(f"{LIST}{definition['id']}/new_version/", body)


def test_new_version_returns_the_whole_definition_one_version_up(api):
    created = create_scorer(api)
    response = new_version(api, created, {"config": NEW_CONFIG, "base_version": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == created["id"] and body["current_version"] == 2
    assert body["current_version_id"] != created["current_version_id"]
    assert body["config"] == NEW_CONFIG
    assert (body["name"], body["kind"], body["created_at"]) == (created["name"], "categorical", created["created_at"])
    assert api.get(f"{LIST}{created['id']}/").get_json() == body
    third = new_version(api, created, {"config": CONFIGS["categorical"]}).get_json()  # no base_version: no check
    assert third["current_version"] == 3


def test_new_version_validates_against_the_stored_kind(api):
    created = create_scorer(api, kind="numeric")
    assert_error(new_version(api, created, {"config": CONFIGS["categorical"]}), 400, "invalid_input", "config",
                 "Unsupported keys for `kind` `numeric`: ['options']. Allowed keys: ['max', 'min', 'passing_rule', "
                 "'step'].")
    assert_error(new_version(api, created, {"config": {"step": -1}}), 400, "invalid_input", "config__step",
                 "Ensure `step` is greater than 0.")
    assert_error(new_version(api, created, {}), 400, "required", "config", "This field is required.")
    changed = new_version(api, created, {"config": {"max": 100}, "kind": "boolean"}).get_json()
    assert changed["kind"] == "numeric" and changed["config"] == {"max": 100.0}


def test_stale_base_version_is_409_with_the_current_version(api):
    created = create_scorer(api)
    assert new_version(api, created, {"config": NEW_CONFIG, "base_version": 1}).status_code == 200
    response = new_version(api, created, {"config": CONFIGS["categorical"], "base_version": 1})
    assert response.status_code == 409
    assert response.get_json() == {
        "detail": "This scorer was changed since you opened it: it is now at version 2, not 1. "
                  "Reload it and apply your change again.",
        "current_version": 2,
    }
    assert new_version(api, created, {"config": CONFIGS["categorical"], "base_version": 7}).status_code == 409
    assert api.get(f"{LIST}{created['id']}/versions/").get_json()["count"] == 2


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
    """The unique (definition, version) constraint backs the row lock up: a clash answers 409."""
    created = create_scorer(api)
    db.session.add(ScoreDefinitionVersion(definition_id=as_uuid(created["id"]), project_id=api.project_id,
                                          version=2, kind="categorical", config=CONFIGS["categorical"]))
    db.session.commit()
    response = new_version(api, created, {"config": NEW_CONFIG})
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 1
    assert "changed by someone else" in response.get_json()["detail"]
    assert api.get(f"{LIST}{created['id']}/").get_json()["current_version"] == 1


def test_versions_newest_first_with_their_configs(api):
    created = create_scorer(api)
    new_version(api, created, {"config": NEW_CONFIG})
    new_version(api, created, {"config": {"options": [{"key": "x", "label": "X"}]}})
    page = api.get(f"{LIST}{created['id']}/versions/").get_json()
    assert page["count"] == 3 and page["next"] is None
    assert [v["version"] for v in page["results"]] == [3, 2, 1]
    first = page["results"][2]
    assert set(first) == {"id", "definition_id", "version", "kind", "config", "created_at", "created_by"}
    assert first["config"] == created["config"] and first["definition_id"] == created["id"]
    assert first["kind"] == "categorical" and first["created_by"]["email"] == api.user.email
    one = api.get(f"{LIST}{created['id']}/versions/?limit=1&offset=1").get_json()
    assert [v["version"] for v in one["results"]] == [2] and "offset=2" in one["next"]


def test_retrieve_one_version(api):
    created = create_scorer(api)
    new_version(api, created, {"config": NEW_CONFIG})
    response = api.get(f"{LIST}{created['id']}/versions/{created['current_version_id']}/")
    assert response.status_code == 200
    assert response.get_json()["version"] == 1 and response.get_json()["config"] == created["config"]


def test_a_version_is_found_only_under_its_own_definition(app, api, factory):
    first, second = create_scorer(api, name="First"), create_scorer(api, name="Second")
    for path in (
        f"{LIST}{second['id']}/versions/{first['current_version_id']}/",
        f"{LIST}{first['id']}/versions/not-a-uuid/",
        f"{LIST}{first['id']}/versions/{first['id']}/",
    ):
        assert_error(api.get(path), 404, "not_found", None, "Not found.")
    theirs = create_scorer(other_project_client(app, factory))
    assert_error(api.get(f"{LIST}{theirs['id']}/versions/{theirs['current_version_id']}/"), 404, "not_found")
    assert_error(new_version(api, theirs, {"config": NEW_CONFIG}), 404, "not_found")


def test_archived_definitions_can_still_get_versions(api):
    created = create_scorer(api)
    api.patch(f"{LIST}{created['id']}/", {"archived": True})
    body = new_version(api, created, {"config": NEW_CONFIG}).get_json()
    assert body["archived"] is True and body["current_version"] == 2
