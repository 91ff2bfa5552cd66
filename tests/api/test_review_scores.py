"""Scores inside trace_reviews/: the value rules through the API, version pins, config snapshots, ordering and
how a replaced set keeps unchanged scores."""
import pytest

from tests.support.api import assert_error
from tests.support.scoring import create_review, create_scorer, other_project_client

LIST = "trace_reviews/"
SCORE_FIELDS = {"id", "definition_id", "definition_name", "definition_kind", "definition_archived",
                "definition_version_id", "definition_version", "definition_config", "categorical_values",
                "numeric_value", "boolean_value", "created_at", "updated_at"}


@pytest.fixture
def scorers(api):
    return {
        "verdict": create_scorer(api, name="Verdict"),
        "tags": create_scorer(api, name="tags", config={
            "options": [{"key": k, "label": k.title()} for k in ("short", "rude", "wrong", "slow")],
            "selection_mode": "multiple", "min_selections": 1, "max_selections": 2}),
        "rating": create_scorer(api, name="Rating", kind="numeric", config={"min": 0, "max": 5, "step": 0.5}),
        "correct": create_scorer(api, name="correct", kind="boolean"),
    }


def test_each_kind_is_stored_and_returned(api, scorers):
    review = create_review(api, "t", scores=[
        {"definition_id": scorers["verdict"]["id"], "categorical_values": ["good"]},
        {"definition_id": scorers["tags"]["id"], "categorical_values": ["wrong", "rude"]},
        {"definition_id": scorers["rating"]["id"], "numeric_value": 4.5},
        {"definition_id": scorers["correct"]["id"], "boolean_value": False},
    ])
    scores = review["scores"]
    assert [s["definition_name"] for s in scores] == ["correct", "Rating", "tags", "Verdict"]  # by name
    assert all(set(s) == SCORE_FIELDS for s in scores)
    correct, rating, tags, verdict = scores
    assert (correct["boolean_value"], correct["numeric_value"], correct["categorical_values"]) == (False, None, None)
    assert rating["numeric_value"] == "4.500000" and rating["definition_kind"] == "numeric"
    assert tags["categorical_values"] == ["wrong", "rude"]
    assert verdict["categorical_values"] == ["good"] and verdict["definition_archived"] is False
    assert verdict["definition_version"] == 1
    assert verdict["definition_version_id"] == scorers["verdict"]["current_version_id"]
    assert verdict["definition_config"] == scorers["verdict"]["config"]
    assert api.get(f"{LIST}{review['id']}/").get_json()["scores"] == scores


@pytest.mark.parametrize("value, text", [(0, "0.000000"), ("2.5", "2.500000"), (5.0, "5.000000"),
                                         ("4.500000", "4.500000")])
def test_numeric_value_is_a_six_decimal_string(api, scorers, value, text):
    review = create_review(api, "t", scores=[{"definition_id": scorers["rating"]["id"], "numeric_value": value}])
    assert review["scores"][0]["numeric_value"] == text


@pytest.mark.parametrize("entry, detail, code", [
    ({"key": "rating", "numeric_value": 4.3},
     "scores[0].numeric_value: Value 4.3 is not on the step grid (step 0.5 from 0).", "invalid_input"),
    ({"key": "rating", "numeric_value": 5.5}, "scores[0].numeric_value: Value 5.5 is above the maximum 5.",
     "invalid_input"),
    ({"key": "rating", "numeric_value": -1}, "scores[0].numeric_value: Value -1 is below the minimum 0.",
     "invalid_input"),
    ({"key": "rating", "numeric_value": "lots"}, "scores[0].numeric_value: A valid number is required.",
     "invalid_input"),
    ({"key": "rating", "boolean_value": True},
     "scores[0].boolean_value: “Rating” is a numeric scorer: give numeric_value instead.", "invalid_input"),
    ({"key": "rating"}, "scores[0].numeric_value: This field is required for the numeric scorer “Rating”.",
     "required"),
    ({"key": "verdict", "categorical_values": ["good", "bad"]},
     "scores[0].categorical_values: This scorer takes exactly one option (got 2).", "invalid_input"),
    ({"key": "verdict", "categorical_values": []}, "scores[0].categorical_values: Choose at least one option.",
     "invalid_input"),
    ({"key": "verdict", "categorical_values": ["great"]},
     "scores[0].categorical_values: “great” is not an option of this scorer. Options: good, ok, bad.",
     "invalid_input"),
    ({"key": "tags", "categorical_values": ["rude", "wrong", "slow"]},
     "scores[0].categorical_values: Choose at most 2 options (got 3).", "invalid_input"),
    ({"key": "tags", "categorical_values": ["rude", "rude"]},
     "scores[0].categorical_values: Option “rude” is chosen more than once.", "invalid_input"),
    ({"key": "correct", "boolean_value": "yes"}, "scores[0].boolean_value: Must be true or false.",
     "invalid_input"),
    ({"key": "correct", "boolean_value": True, "numeric_value": 1},
     "scores[0]: Give exactly one value; the boolean scorer “correct” takes boolean_value "
     "(got numeric_value, boolean_value).", "invalid_input"),
    ({"definition_id": "00000000-0000-0000-0000-000000000000", "boolean_value": True},
     "scores[0].definition_id: Scorer not found.", "invalid_input"),
    ({"boolean_value": True}, "scores[0].definition_id: This field is required.", "required"),
])
def test_score_refusals(api, scorers, entry, detail, code):
    entry = dict(entry)
    key = entry.pop("key", None)
    if key:
        entry["definition_id"] = scorers[key]["id"]
    body = assert_error(api.post(LIST, {"trace_id": "t", "scores": [entry]}), 400, code, "scores", detail)
    assert set(body) == {"type", "code", "detail", "attr"}
    assert api.get(LIST).get_json()["count"] == 0


def test_refusal_points_at_the_offending_entry(api, scorers):
    body = assert_error(api.post(LIST, {"trace_id": "t", "scores": [
        {"definition_id": scorers["correct"]["id"], "boolean_value": True},
        {"definition_id": scorers["rating"]["id"], "numeric_value": 4.3},
    ]}), 400, "invalid_input", "scores")
    assert body["detail"] == "scores[1].numeric_value: Value 4.3 is not on the step grid (step 0.5 from 0)."


def test_a_scorer_at_most_once(api, scorers):
    entry = {"definition_id": scorers["correct"]["id"], "boolean_value": True}
    assert_error(api.post(LIST, {"trace_id": "t", "scores": [entry, entry]}), 400, "invalid_input", "scores",
                 "scores[1].definition_id: Scorer “correct” is scored more than once; "
                 "a review has at most one score per scorer.")


def test_scorers_of_other_projects_are_not_found(app, api, factory):
    theirs = create_scorer(other_project_client(app, factory), kind="boolean")
    assert_error(api.post(LIST, {"trace_id": "t", "scores": [{"definition_id": theirs["id"], "boolean_value": True}]}),
                 400, "invalid_input", "scores", "scores[0].definition_id: Scorer not found.")


def test_archived_scorers_still_accepted_and_flagged(api, scorers):
    api.patch(f"score_definitions/{scorers['correct']['id']}/", {"archived": True})
    review = create_review(api, "t", scores=[{"definition_id": scorers["correct"]["id"], "boolean_value": True}])
    assert review["scores"][0]["definition_archived"] is True


def test_snapshot_survives_a_new_version(api, scorers):
    verdict = scorers["verdict"]
    old = create_review(api, "old", scores=[{"definition_id": verdict["id"], "categorical_values": ["ok"]}])
    v2_config = {"options": [{"key": "pass", "label": "Pass"}, {"key": "fail", "label": "Fail"}]}
    v2 = api.post(f"score_definitions/{verdict['id']}/new_version/", {"config": v2_config}).get_json()

    kept = api.get(f"{LIST}{old['id']}/").get_json()["scores"][0]
    assert kept["definition_version"] == 1 and kept["definition_version_id"] == verdict["current_version_id"]
    assert kept["definition_config"] == verdict["config"] and kept["categorical_values"] == ["ok"]

    assert_error(api.post(LIST, {"trace_id": "new", "scores": [{"definition_id": verdict["id"],
                                                                 "categorical_values": ["ok"]}]}), 400,
                 "invalid_input", "scores",
                 "scores[0].categorical_values: “ok” is not an option of this scorer. Options: pass, fail.")
    new = create_review(api, "new", scores=[{"definition_id": verdict["id"], "categorical_values": ["pass"]}])
    assert new["scores"][0]["definition_version"] == 2
    assert new["scores"][0]["definition_version_id"] == v2["current_version_id"]
    assert new["scores"][0]["definition_config"] == v2["config"]


def test_pinning_an_older_version(api, scorers):
    verdict = scorers["verdict"]
    api.post(f"score_definitions/{verdict['id']}/new_version/",
             {"config": {"options": [{"key": "pass", "label": "Pass"}]}})
    pinned = create_review(api, "t", scores=[{"definition_id": verdict["id"],
                                              "definition_version_id": verdict["current_version_id"],
                                              "categorical_values": ["bad"]}])
    assert pinned["scores"][0]["definition_version"] == 1
    assert_error(api.post(LIST, {"trace_id": "u", "scores": [{
        "definition_id": verdict["id"], "definition_version_id": scorers["rating"]["current_version_id"],
        "categorical_values": ["pass"]}]}), 400, "invalid_input", "scores",
        "scores[0].definition_version_id: This is not a version of scorer “Verdict”.")


def test_replacing_scores_keeps_unchanged_ones(api, scorers):
    review = create_review(api, "t", scores=[
        {"definition_id": scorers["correct"]["id"], "boolean_value": True},
        {"definition_id": scorers["rating"]["id"], "numeric_value": 1},
    ])
    before = {s["definition_name"]: s for s in review["scores"]}
    after = api.patch(f"{LIST}{review['id']}/", {"scores": [
        {"definition_id": scorers["correct"]["id"], "boolean_value": True},
        {"definition_id": scorers["rating"]["id"], "numeric_value": 2},
        {"definition_id": scorers["verdict"]["id"], "categorical_values": ["good"]},
    ]}).get_json()
    scores = {s["definition_name"]: s for s in after["scores"]}
    assert set(scores) == {"correct", "Rating", "Verdict"}
    assert scores["correct"] == before["correct"]  # untouched: same row, same timestamps
    assert scores["Rating"]["id"] == before["Rating"]["id"] and scores["Rating"]["numeric_value"] == "2.000000"
    assert scores["Rating"]["updated_at"] != before["Rating"]["updated_at"]
    dropped = api.patch(f"{LIST}{review['id']}/", {"scores": [
        {"definition_id": scorers["verdict"]["id"], "categorical_values": ["bad"]}]}).get_json()
    assert [(s["definition_name"], s["categorical_values"]) for s in dropped["scores"]] == [("Verdict", ["bad"])]


def test_a_refused_patch_changes_nothing(api, scorers):
    review = create_review(api, "t", comment="kept",
                           scores=[{"definition_id": scorers["correct"]["id"], "boolean_value": True}])
    assert_error(api.patch(f"{LIST}{review['id']}/", {"comment": "lost", "scores": [
        {"definition_id": scorers["rating"]["id"], "numeric_value": 9}]}), 400, "invalid_input", "scores")
    assert api.get(f"{LIST}{review['id']}/").get_json() == review


def test_scores_echoed_back_from_a_get_are_accepted(api, scorers):
    review = create_review(api, "t", scores=[{"definition_id": scorers["rating"]["id"], "numeric_value": 3.5},
                                             {"definition_id": scorers["tags"]["id"], "categorical_values": ["slow"]}])
    again = api.patch(f"{LIST}{review['id']}/", {"scores": review["scores"]})
    assert again.status_code == 200
    assert again.get_json()["scores"] == review["scores"]
