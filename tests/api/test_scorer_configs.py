"""Scorer configs over the API, as PostHog's newest serializers answer: every config message with its exact body,
and configs stored as sent (create, retrieve, new_version and the versions endpoints all return the same object)."""
import pytest

from tests.support.scoring import create_scorer

LIST = "score_definitions/"
TWO = [{"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}]
THREE = [{"key": "great", "label": "Great"}, *TWO]


def refusal(code: str, attr: str, detail: str) -> dict:
    return {"type": "validation_error", "code": code, "detail": detail, "attr": attr}


def typed(value):
    """A JSON value with the type of every number, so 0.0 and 0 differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def create(api, kind, config):
    return api.post(LIST, {"name": "Quality", "kind": kind, "config": config})


# --- stored as sent ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, sent, stored", [
    # PostHog's own round-trip cases (its test at 13c25b9b): the stored config equals the payload.
    ("categorical", {"options": TWO}, {"options": TWO}),
    ("numeric", {"min": 1, "max": 5, "step": 1, "passing_rule": {"operator": "gte", "threshold": 3}},
     {"min": 1.0, "max": 5.0, "step": 1.0, "passing_rule": {"operator": "gte", "threshold": 3.0}}),
    ("boolean", {"true_label": "Yes", "false_label": "No", "true_is_failure": False},
     {"true_label": "Yes", "false_label": "No", "true_is_failure": False}),
    ("categorical", {"options": THREE, "selection_mode": "multiple", "min_selections": 1, "max_selections": 2,
                     "passing_rule": {"categories": ["great", "good"]}},
     {"options": THREE, "selection_mode": "multiple", "min_selections": 1, "max_selections": 2,
      "passing_rule": {"categories": ["good", "great"]}}),
    # The normalisations.
    ("categorical", {"options": [{"key": " Very-Good ", "label": " Very good ", "colour": "green"}],
                     "passing_rule": {"categories": [" very-good "]}},
     {"options": [{"key": "very-good", "label": "Very good"}], "passing_rule": {"categories": ["very-good"]}}),
    ("categorical", {"options": TWO, "selection_mode": "single", "min_selections": None, "passing_rule": None},
     {"options": TWO, "selection_mode": "single", "min_selections": None, "passing_rule": None}),
    ("categorical", {"options": TWO, "selection_mode": "multiple", "min_selections": "2", "max_selections": 2.0},
     {"options": TWO, "selection_mode": "multiple", "min_selections": 2, "max_selections": 2}),
    ("numeric", {}, {}),
    ("numeric", {"min": 0, "max": None, "step": "0.5"}, {"min": 0.0, "max": None, "step": 0.5}),
    ("numeric", {"passing_rule": {"operator": "lte", "threshold": 2}},
     {"passing_rule": {"operator": "lte", "threshold": 2.0}}),
    ("boolean", {}, {}),
    ("boolean", {"true_is_failure": "yes"}, {"true_is_failure": True}),
    ("boolean", {"true_is_failure": None, "true_label": " Broken "}, {"true_is_failure": None, "true_label": "Broken"}),
])
def test_config_is_stored_as_sent(api, kind, sent, stored):
    response = create(api, kind, sent)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["config"] == stored
    # 0 comes back as 0.0, a selection bound as an int: the JSON spells them differently.
    assert typed(created["config"]) == typed(stored)
    assert api.get(f"{LIST}{created['id']}/").get_json()["config"] == stored
    versions = api.get(f"{LIST}{created['id']}/versions/").get_json()["results"]
    assert [v["config"] for v in versions] == [stored]
    assert api.get(f"{LIST}{created['id']}/versions/{versions[0]['id']}/").get_json()["config"] == stored


def test_new_version_stores_its_config_as_sent(api):
    created = create_scorer(api, kind="numeric", config={"min": 0, "max": 10})
    response = api.post(f"{LIST}{created['id']}/new_version/", {
        "config": {"min": 0, "max": 10, "passing_rule": {"operator": "gte", "threshold": 7}}, "base_version": 1})
    assert response.status_code == 200
    stored = {"min": 0.0, "max": 10.0, "passing_rule": {"operator": "gte", "threshold": 7.0}}
    assert response.get_json()["config"] == stored
    versions = api.get(f"{LIST}{created['id']}/versions/").get_json()["results"]
    assert [v["config"] for v in versions] == [stored, {"min": 0.0, "max": 10.0}]


def test_new_version_checks_the_config_against_the_stored_kind(api):
    created = create_scorer(api, kind="categorical", config={"options": TWO})
    response = api.post(f"{LIST}{created['id']}/new_version/", {
        "kind": "numeric", "config": {"options": TWO, "passing_rule": {"operator": "gte", "threshold": 1}}})
    assert response.status_code == 400
    assert response.get_json() == refusal("invalid_input", "config__passing_rule__non_field_errors",
                                          "Only category keys may be configured in this rule.")


# --- every config message ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body, expected", [
    ({"name": "Q", "kind": "numeric"}, refusal("required", "config", "This field is required.")),
    ({"name": "Q", "kind": "numeric", "config": None}, refusal("null", "config", "This field may not be null.")),
    ({"name": "Q", "kind": "numeric", "config": []},
     refusal("invalid_input", "config__non_field_errors", "Invalid data. Expected a dictionary, but got list.")),
    ({"name": "Q", "kind": "numeric", "config": "min=1"},
     refusal("invalid_input", "config__non_field_errors", "Invalid data. Expected a dictionary, but got str.")),
    # The kind is checked first: without a valid one, the config is not looked at.
    ({"name": "Q", "config": {"options": []}}, refusal("required", "kind", "This field is required.")),
    ({"name": "Q", "kind": None, "config": {}}, refusal("null", "kind", "This field may not be null.")),
    ({"name": "Q", "kind": "rating", "config": {"x": 1}},
     refusal("invalid_choice", "kind", '"rating" is not a valid choice.')),
])
def test_config_and_kind_presence(api, body, expected):
    response = api.post(LIST, body)
    assert response.status_code == 400
    assert response.get_json() == expected
    assert api.get(LIST).get_json()["count"] == 0


@pytest.mark.parametrize("kind, config, expected", [
    ("numeric", {"options": TWO}, refusal(
        "invalid_input", "config",
        "Unsupported keys for `kind` `numeric`: ['options']. Allowed keys: ['max', 'min', 'passing_rule', 'step'].")),
    ("categorical", {"options": TWO, "min": 1, "colour": "red"}, refusal(
        "invalid_input", "config",
        "Unsupported keys for `kind` `categorical`: ['colour', 'min']. Allowed keys: ['max_selections', "
        "'min_selections', 'options', 'passing_rule', 'selection_mode'].")),
    ("boolean", {"labels": ["y", "n"]}, refusal(
        "invalid_input", "config",
        "Unsupported keys for `kind` `boolean`: ['labels']. Allowed keys: ['false_label', 'true_is_failure', "
        "'true_label'].")),
    # Categorical.
    ("categorical", {}, refusal("required", "config__options", "This field is required.")),
    ("categorical", {"options": []}, refusal("invalid_input", "config__options",
                                             "Provide at least one categorical option.")),
    ("categorical", {"options": [{"key": "a", "label": "A"}, {"key": " A ", "label": "Also A"}]},
     refusal("invalid_input", "config__options", "Categorical option keys must be unique.")),
    ("categorical", {"options": [{"key": "very good", "label": "Very good"}]},
     refusal("invalid_input", "config__options",
             "`key` must use lowercase letters, numbers, underscores, or hyphens.")),
    ("categorical", {"options": [{"key": " ", "label": "Blank"}]},
     refusal("invalid_input", "config__options", "This field may not be blank.")),
    ("categorical", {"options": TWO, "selection_mode": "some"},
     refusal("invalid_choice", "config__selection_mode", '"some" is not a valid choice.')),
    ("categorical", {"options": TWO, "selection_mode": None},
     refusal("null", "config__selection_mode", "This field may not be null.")),
    ("categorical", {"options": TWO, "min_selections": 1}, refusal(
        "invalid_input", "config__min_selections",
        "`min_selections` is only supported when `selection_mode` is `multiple`.")),
    ("categorical", {"options": TWO, "selection_mode": "single", "max_selections": 1}, refusal(
        "invalid_input", "config__max_selections",
        "`max_selections` is only supported when `selection_mode` is `multiple`.")),
    ("categorical", {"options": TWO, "selection_mode": "multiple", "min_selections": 3}, refusal(
        "invalid_input", "config__min_selections",
        "Ensure `min_selections` is less than or equal to the number of options.")),
    ("categorical", {"options": TWO, "selection_mode": "multiple", "max_selections": 3}, refusal(
        "invalid_input", "config__max_selections",
        "Ensure `max_selections` is less than or equal to the number of options.")),
    ("categorical", {"options": THREE, "selection_mode": "multiple", "min_selections": 3, "max_selections": 2},
     refusal("invalid_input", "config__max_selections",
             "Ensure `max_selections` is greater than or equal to `min_selections`.")),
    ("categorical", {"options": TWO, "selection_mode": "multiple", "min_selections": 0},
     refusal("min_value", "config__min_selections", "Ensure this value is greater than or equal to 1.")),
    ("categorical", {"options": TWO, "selection_mode": "multiple", "max_selections": 1.5},
     refusal("invalid_input", "config__max_selections", "A valid integer is required.")),
    ("categorical", {"options": TWO, "passing_rule": {"categories": ["good"], "operator": "gte"}},
     refusal("invalid_input", "config__passing_rule__non_field_errors",
             "Only category keys may be configured in this rule.")),
    ("categorical", {"options": TWO, "passing_rule": ["good"]},
     refusal("invalid_input", "config__passing_rule__non_field_errors",
             "Invalid data. Expected a dictionary, but got list.")),
    ("categorical", {"options": TWO, "passing_rule": {}},
     refusal("required", "config__passing_rule__categories", "This field is required.")),
    ("categorical", {"options": TWO, "passing_rule": {"categories": "good"}},
     refusal("not_a_list", "config__passing_rule__categories", 'Expected a list of items but got type "str".')),
    ("categorical", {"options": TWO, "passing_rule": {"categories": ["good", " "]}},
     refusal("blank", "config__passing_rule__categories__1", "This field may not be blank.")),
    ("categorical", {"options": TWO, "passing_rule": {"categories": ["good", " good"]}},
     refusal("invalid_input", "config__passing_rule__categories", "Select each passing category only once.")),
    ("categorical", {"options": TWO, "passing_rule": {"categories": []}},
     refusal("invalid_input", "config__passing_rule", "Choose at least one passing category.")),
    ("categorical", {"options": TWO, "passing_rule": {"categories": ["Good"]}},  # not lower-cased
     refusal("invalid_input", "config__passing_rule", "Choose passing categories from the configured options.")),
    # Passing-rule checks come before the selection bounds.
    ("categorical", {"options": TWO, "min_selections": 1, "passing_rule": {"categories": ["great"]}},
     refusal("invalid_input", "config__passing_rule", "Choose passing categories from the configured options.")),
    # Numeric.
    ("numeric", {"min": 2, "max": 1}, refusal("invalid_input", "config__max",
                                              "Ensure `max` is greater than or equal to `min`.")),
    ("numeric", {"step": 0}, refusal("invalid_input", "config__step", "Ensure `step` is greater than 0.")),
    ("numeric", {"min": "low"}, refusal("invalid_input", "config__min", "A valid number is required.")),
    ("numeric", {"passing_rule": {"operator": "gte", "threshold": 1, "unit": "%", "inclusive": True}},
     refusal("invalid_input", "config__passing_rule__non_field_errors",
             "Unsupported passing rule keys: ['inclusive', 'unit'].")),
    ("numeric", {"passing_rule": {"operator": "gt", "threshold": 1}},
     refusal("invalid_choice", "config__passing_rule__operator", '"gt" is not a valid choice.')),
    ("numeric", {"passing_rule": {"threshold": 1}},
     refusal("required", "config__passing_rule__operator", "This field is required.")),
    ("numeric", {"passing_rule": {"operator": "gte"}},
     refusal("required", "config__passing_rule__threshold", "This field is required.")),
    ("numeric", {"passing_rule": {"operator": "gte", "threshold": "3"}},
     refusal("invalid_input", "config__passing_rule__threshold", "Provide a finite number.")),
    ("numeric", {"passing_rule": {"operator": "gte", "threshold": True}},
     refusal("invalid_input", "config__passing_rule__threshold", "Provide a finite number.")),
    ("numeric", {"passing_rule": {"operator": "gte", "threshold": None}},
     refusal("invalid_input", "config__passing_rule__threshold", "Provide a finite number.")),
    ("numeric", {"passing_rule": {"operator": "gte", "threshold": 10 ** 400}},
     refusal("invalid_input", "config__passing_rule__threshold", "Provide a finite number.")),
    ("numeric", {"min": 1, "passing_rule": {"operator": "gte", "threshold": 0.5}},
     refusal("invalid_input", "config__passing_rule", "The passing threshold must be at least `min`.")),
    ("numeric", {"max": 5, "passing_rule": {"operator": "lte", "threshold": 5.5}},
     refusal("invalid_input", "config__passing_rule", "The passing threshold must be at most `max`.")),
    # Boolean.
    ("boolean", {"true_is_failure": "maybe"},
     refusal("invalid_input", "config__true_is_failure", "Must be a valid boolean.")),
    ("boolean", {"true_label": " "}, refusal("blank", "config__true_label", "This field may not be blank.")),
    ("boolean", {"false_label": None}, refusal("null", "config__false_label", "This field may not be null.")),
    # Ours beyond PostHog: numbers must fit the exact decimals scores are stored in.
    ("numeric", {"step": 0.0000001},
     refusal("invalid_input", "config__step", "Ensure that there are no more than 6 decimal places.")),
    ("numeric", {"max": 1e18}, refusal("invalid_input", "config__max",
                                       "Ensure the number is smaller than 10^18 in size.")),
])
def test_config_refusals(api, kind, config, expected):
    response = create(api, kind, config)
    assert response.status_code == 400
    assert response.get_json() == expected
    assert api.get(LIST).get_json()["count"] == 0


def test_threshold_on_the_bounds_is_accepted(api):
    config = {"min": 1, "max": 5, "step": 2, "passing_rule": {"operator": "lte", "threshold": 5}}
    assert create(api, "numeric", config).status_code == 201  # inclusive, and not checked against the step
    config = {"min": 1, "max": 5, "passing_rule": {"operator": "gte", "threshold": 1}}
    assert create(api, "numeric", config).status_code == 201


def test_multiple_choice_may_pass_nothing(api):
    """An empty category list is allowed with multiple choice: every answer fails."""
    response = create(api, "categorical", {"options": TWO, "selection_mode": "multiple",
                                           "passing_rule": {"categories": []}})
    assert response.status_code == 201
    assert response.get_json()["config"]["passing_rule"] == {"categories": []}
