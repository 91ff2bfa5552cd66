"""validate_config: the one place every scorer config rule lives (the API and the scorer editor both use it).

The expected answers below were checked against PostHog's config serializers (score_definition_configs.py at
5ea1ff6c) run under DRF 3.17.2 and drf-exceptions-hog 0.4.0: same stored config, same code, attr and detail. One
deliberate difference: a bad option answers with its plain message (PostHog's many=True serializer gives the repr
of the first item's errors), and names the row in `index`."""
import pytest

from reviewapp.services.errors import ValidationError
from reviewapp.services.scorer_config import (
    MISSING,
    OPTIONS_MAX,
    ConfigError,
    suggest_option_key,
    validate_config,
    validate_kind,
    with_defaults,
)

TWO = [{"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}]


def refused(kind, config) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate_config(kind, config)
    return caught.value


# --- stored as sent, with PostHog's normalisations --------------------------------------------------------

@pytest.mark.parametrize("kind, config, stored", [
    ("categorical", {"options": TWO}, {"options": TWO}),
    ("categorical", {"options": [{"key": "  Very_Good ", "label": "  Very good "}, {"key": "BAD", "label": "Bad"}]},
     {"options": [{"key": "very_good", "label": "Very good"}, {"key": "bad", "label": "Bad"}]}),
    ("categorical", {"options": TWO, "selection_mode": "multiple", "passing_rule": {"categories": [" good", "bad "]}},
     {"options": TWO, "selection_mode": "multiple", "passing_rule": {"categories": ["bad", "good"]}}),
    ("categorical", {"options": TWO, "selection_mode": "single", "passing_rule": None},
     {"options": TWO, "selection_mode": "single", "passing_rule": None}),
    ("numeric", {"min": 0, "max": 10, "step": 1, "passing_rule": {"operator": "gte", "threshold": 3}},
     {"min": 0.0, "max": 10.0, "step": 1.0, "passing_rule": {"operator": "gte", "threshold": 3.0}}),
    ("numeric", {"passing_rule": {"operator": "lte", "threshold": -2.5}},
     {"passing_rule": {"operator": "lte", "threshold": -2.5}}),
    ("boolean", {"true_is_failure": False}, {"true_is_failure": False}),
    ("boolean", {"true_is_failure": "yes", "true_label": " Broken "},
     {"true_is_failure": True, "true_label": "Broken"}),
    ('categorical', {'options': [{'key': 5, 'label': 6}]},
     {'options': [{'key': '5', 'label': '6'}]}),
    ('categorical', {'options': [{'key': ' A-B ', 'label': ' L ', 'extra': 1}]},
     {'options': [{'key': 'a-b', 'label': 'L'}]}),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': None, 'max_selections': None},
     {'options': TWO, 'selection_mode': 'multiple', 'min_selections': None, 'max_selections': None}),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': '2', 'max_selections': 2.0},
     {'options': TWO, 'selection_mode': 'multiple', 'min_selections': 2, 'max_selections': 2}),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': ' 2 '},
     {'options': TWO, 'selection_mode': 'multiple', 'min_selections': 2}),
    ('categorical', {'options': TWO, 'min_selections': None},
     {'options': TWO, 'min_selections': None}),
    ('categorical', {'options': TWO, 'passing_rule': None},
     {'options': TWO, 'passing_rule': None}),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'passing_rule': {'categories': []}},
     {'options': TWO, 'selection_mode': 'multiple', 'passing_rule': {'categories': []}}),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': [' good ', 'bad']}},
     {'options': TWO, 'passing_rule': {'categories': ['bad', 'good']}}),
    ('numeric', {},
     {}),
    ('numeric', {'min': None, 'max': None, 'step': None, 'passing_rule': None},
     {'min': None, 'max': None, 'step': None, 'passing_rule': None}),
    ('numeric', {'min': 0, 'max': '10', 'step': True},
     {'min': 0.0, 'max': 10.0, 'step': 1.0}),
    ('numeric', {'min': 1, 'max': 5, 'step': 2, 'passing_rule': {'operator': 'lte', 'threshold': 5}},
     {'min': 1.0, 'max': 5.0, 'step': 2.0, 'passing_rule': {'operator': 'lte', 'threshold': 5.0}}),
    ('numeric', {'min': 1, 'max': 5, 'passing_rule': {'operator': 'gte', 'threshold': 1}},
     {'min': 1.0, 'max': 5.0, 'passing_rule': {'operator': 'gte', 'threshold': 1.0}}),
    ('boolean', {},
     {}),
    ('boolean', {'true_is_failure': None},
     {'true_is_failure': None}),
    ('boolean', {'true_is_failure': 'yes'},
     {'true_is_failure': True}),
    ('boolean', {'true_is_failure': 'off'},
     {'true_is_failure': False}),
    ('boolean', {'true_is_failure': 1},
     {'true_is_failure': True}),
    ('boolean', {'true_is_failure': 0.0},
     {'true_is_failure': False}),
    ('boolean', {'true_is_failure': ''},
     {'true_is_failure': None}),
    ('boolean', {'true_is_failure': 'null'},
     {'true_is_failure': None}),
    ('boolean', {'true_label': 5},
     {'true_label': '5'}),
    ('boolean', {'true_is_failure': True, 'true_label': ' Pass ', 'false_label': 'Fail'},
     {'true_is_failure': True, 'true_label': 'Pass', 'false_label': 'Fail'}),
])
def test_stored_as_sent(kind, config, stored):
    result = validate_config(kind, config)
    assert result == stored
    assert [type(v) for v in result.values()] == [type(v) for v in stored.values()]  # 0.0 stays a float, 2 an int


def test_an_option_keeps_only_its_key_and_label():
    config = validate_config("categorical", {"options": [{"key": "a", "label": "A", "colour": "red", "key2": 1}]})
    assert config == {"options": [{"key": "a", "label": "A"}]}


# --- refusals, in PostHog's order --------------------------------------------------------------------------

@pytest.mark.parametrize("kind, config, code, attr, detail", [
    ('numeric', MISSING,
     'required', 'config', 'This field is required.'),
    ('numeric', None,
     'null', 'config', 'This field may not be null.'),
    ('numeric', [],
     'invalid_input', 'config__non_field_errors', 'Invalid data. Expected a dictionary, but got list.'),
    ('numeric', 'x',
     'invalid_input', 'config__non_field_errors', 'Invalid data. Expected a dictionary, but got str.'),
    ('numeric', 5,
     'invalid_input', 'config__non_field_errors', 'Invalid data. Expected a dictionary, but got int.'),
    ('numeric', True,
     'invalid_input', 'config__non_field_errors', 'Invalid data. Expected a dictionary, but got bool.'),
    ('numeric', 1.5,
     'invalid_input', 'config__non_field_errors', 'Invalid data. Expected a dictionary, but got float.'),
    ('bogus', {},
     'invalid_input', 'config__kind', 'Unsupported score definition kind.'),
    ('', {},
     'invalid_input', 'config__kind', 'Set `kind` before validating `config`.'),
    (None, {},
     'invalid_input', 'config__kind', 'Set `kind` before validating `config`.'),
    ('numeric', {'options': []},
     'invalid_input', 'config',
     "Unsupported keys for `kind` `numeric`: ['options']. Allowed keys: ['max', 'min', 'passing_rule', 'step']."),
    ('numeric', {'zeta': 1, 'alpha': 2, 'min': 1},
     'invalid_input', 'config',
     "Unsupported keys for `kind` `numeric`: ['alpha', 'zeta']. Allowed keys: ['max', 'min', 'passing_rule', 'step']."),
    ('categorical', {'min': 1},
     'invalid_input', 'config',
     "Unsupported keys for `kind` `categorical`: ['min']. "
     "Allowed keys: ['max_selections', 'min_selections', 'options', 'passing_rule', 'selection_mode']."),
    ('boolean', {"x'y": 1},
     'invalid_input', 'config',
     'Unsupported keys for `kind` `boolean`: ["x\'y"]. '
     "Allowed keys: ['false_label', 'true_is_failure', 'true_label']."),
    ('categorical', {},
     'required', 'config__options', 'This field is required.'),
    ('categorical', {'options': None},
     'null', 'config__options', 'This field may not be null.'),
    ('categorical', {'options': 'x'},
     'not_a_list', 'config__options__non_field_errors', 'Expected a list of items but got type "str".'),
    ('categorical', {'options': {}},
     'not_a_list', 'config__options__non_field_errors', 'Expected a list of items but got type "dict".'),
    ('categorical', {'options': []},
     'invalid_input', 'config__options', 'Provide at least one categorical option.'),
    ('categorical', {'options': [1]},
     'invalid_input', 'config__options', 'Invalid data. Expected a dictionary, but got int.'),
    ('categorical', {'options': [{'key': 'a'}]},
     'invalid_input', 'config__options', 'This field is required.'),
    ('categorical', {'options': [{'label': 'a'}]},
     'invalid_input', 'config__options', 'This field is required.'),
    ('categorical', {'options': [{'key': ' ', 'label': 'a'}]},
     'invalid_input', 'config__options', 'This field may not be blank.'),
    ('categorical', {'options': [{'key': None, 'label': 'a'}]},
     'invalid_input', 'config__options', 'This field may not be null.'),
    ('categorical', {'options': [{'key': True, 'label': 'a'}]},
     'invalid_input', 'config__options', 'Not a valid string.'),
    ('categorical', {'options': [{'key': 'a', 'label': []}]},
     'invalid_input', 'config__options', 'Not a valid string.'),
    ('categorical', {'options': [{'key': 'k' * 129, 'label': 'a'}]},
     'invalid_input', 'config__options', 'Ensure this field has no more than 128 characters.'),
    ('categorical', {'options': [{'key': 'a', 'label': 'l' * 257}]},
     'invalid_input', 'config__options', 'Ensure this field has no more than 256 characters.'),
    ('categorical', {'options': [{'key': 'a b', 'label': 'x'}]},
     'invalid_input', 'config__options', '`key` must use lowercase letters, numbers, underscores, or hyphens.'),
    ('categorical', {'options': [{'key': 'A', 'label': 'x'}, {'key': 'a', 'label': 'y'}]},
     'invalid_input', 'config__options', 'Categorical option keys must be unique.'),
    ('categorical', {'options': TWO, 'selection_mode': None},
     'null', 'config__selection_mode', 'This field may not be null.'),
    ('categorical', {'options': TWO, 'selection_mode': ''},
     'invalid_choice', 'config__selection_mode', '"" is not a valid choice.'),
    ('categorical', {'options': TWO, 'selection_mode': 'Multi'},
     'invalid_choice', 'config__selection_mode', '"Multi" is not a valid choice.'),
    ('categorical', {'options': TWO, 'selection_mode': True},
     'invalid_choice', 'config__selection_mode', '"True" is not a valid choice.'),
    ('categorical', {'options': TWO, 'selection_mode': ['single']},
     'invalid_choice', 'config__selection_mode', '"[\'single\']" is not a valid choice.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': 0},
     'min_value', 'config__min_selections', 'Ensure this value is greater than or equal to 1.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': 1.5},
     'invalid_input', 'config__min_selections', 'A valid integer is required.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': True},
     'invalid_input', 'config__min_selections', 'A valid integer is required.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': ''},
     'invalid_input', 'config__min_selections', 'A valid integer is required.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': 'x' * 1001},
     'max_string_length', 'config__min_selections', 'String value too large.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': 3},
     'invalid_input', 'config__min_selections',
     'Ensure `min_selections` is less than or equal to the number of options.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'max_selections': 3},
     'invalid_input', 'config__max_selections',
     'Ensure `max_selections` is less than or equal to the number of options.'),
    ('categorical', {'options': TWO, 'selection_mode': 'multiple', 'min_selections': 2, 'max_selections': 1},
     'invalid_input', 'config__max_selections',
     'Ensure `max_selections` is greater than or equal to `min_selections`.'),
    ('categorical', {'options': TWO, 'min_selections': 1},
     'invalid_input', 'config__min_selections',
     '`min_selections` is only supported when `selection_mode` is `multiple`.'),
    ('categorical', {'options': TWO, 'selection_mode': 'single', 'max_selections': 1},
     'invalid_input', 'config__max_selections',
     '`max_selections` is only supported when `selection_mode` is `multiple`.'),
    ('categorical', {'options': TWO, 'passing_rule': {}},
     'required', 'config__passing_rule__categories', 'This field is required.'),
    ('categorical', {'options': TWO, 'passing_rule': []},
     'invalid_input', 'config__passing_rule__non_field_errors', 'Invalid data. Expected a dictionary, but got list.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['good'], 'x': 1}},
     'invalid_input', 'config__passing_rule__non_field_errors', 'Only category keys may be configured in this rule.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': None}},
     'null', 'config__passing_rule__categories', 'This field may not be null.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': 'good'}},
     'not_a_list', 'config__passing_rule__categories', 'Expected a list of items but got type "str".'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': 5}},
     'not_a_list', 'config__passing_rule__categories', 'Expected a list of items but got type "int".'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': {}}},
     'not_a_list', 'config__passing_rule__categories', 'Expected a list of items but got type "dict".'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['good', None]}},
     'null', 'config__passing_rule__categories__1', 'This field may not be null.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['good', ' ']}},
     'blank', 'config__passing_rule__categories__1', 'This field may not be blank.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['good', ['x']]}},
     'invalid_input', 'config__passing_rule__categories__1', 'Not a valid string.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['g' * 129]}},
     'max_length', 'config__passing_rule__categories__0', 'Ensure this field has no more than 128 characters.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['good', ' good ']}},
     'invalid_input', 'config__passing_rule__categories', 'Select each passing category only once.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': []}},
     'invalid_input', 'config__passing_rule', 'Choose at least one passing category.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['Good']}},
     'invalid_input', 'config__passing_rule', 'Choose passing categories from the configured options.'),
    ('categorical', {'options': TWO, 'passing_rule': {'categories': ['nope']}, 'min_selections': 1},
     'invalid_input', 'config__passing_rule', 'Choose passing categories from the configured options.'),
    ('categorical', {'options': [{'key': 'a', 'label': 'A'}], 'passing_rule': {'categories': ['x']},
                     'min_selections': 0},
     'min_value', 'config__min_selections', 'Ensure this value is greater than or equal to 1.'),
    ('numeric', {'min': 'x'},
     'invalid_input', 'config__min', 'A valid number is required.'),
    ('numeric', {'min': []},
     'invalid_input', 'config__min', 'A valid number is required.'),
    ('numeric', {'min': '1' * 1001},
     'max_string_length', 'config__min', 'String value too large.'),
    ('numeric', {'min': 10 ** 400},
     'overflow', 'config__min', 'Integer value too large to convert to float'),
    ('numeric', {'min': 2, 'max': 1},
     'invalid_input', 'config__max', 'Ensure `max` is greater than or equal to `min`.'),
    ('numeric', {'step': 0},
     'invalid_input', 'config__step', 'Ensure `step` is greater than 0.'),
    ('numeric', {'step': -1},
     'invalid_input', 'config__step', 'Ensure `step` is greater than 0.'),
    ('numeric', {'min': 2, 'max': 1, 'step': 0},
     'invalid_input', 'config__max', 'Ensure `max` is greater than or equal to `min`.'),
    ('numeric', {'passing_rule': {}},
     'required', 'config__passing_rule__operator', 'This field is required.'),
    ('numeric', {'passing_rule': []},
     'invalid_input', 'config__passing_rule__non_field_errors', 'Invalid data. Expected a dictionary, but got list.'),
    ('numeric', {'passing_rule': {'operator': 'gte', 'threshold': 1, 'b': 1, 'a': 2}},
     'invalid_input', 'config__passing_rule__non_field_errors', "Unsupported passing rule keys: ['a', 'b']."),
    ('numeric', {'passing_rule': {'operator': 'gt', 'threshold': 1}},
     'invalid_choice', 'config__passing_rule__operator', '"gt" is not a valid choice.'),
    ('numeric', {'passing_rule': {'operator': None, 'threshold': 1}},
     'null', 'config__passing_rule__operator', 'This field may not be null.'),
    ('numeric', {'passing_rule': {'operator': 'gte'}},
     'required', 'config__passing_rule__threshold', 'This field is required.'),
    ('numeric', {'passing_rule': {'threshold': 1}},
     'required', 'config__passing_rule__operator', 'This field is required.'),
    ('numeric', {'passing_rule': {'operator': 'gte', 'threshold': None}},
     'invalid_input', 'config__passing_rule__threshold', 'Provide a finite number.'),
    ('numeric', {'passing_rule': {'operator': 'gte', 'threshold': '3'}},
     'invalid_input', 'config__passing_rule__threshold', 'Provide a finite number.'),
    ('numeric', {'passing_rule': {'operator': 'gte', 'threshold': True}},
     'invalid_input', 'config__passing_rule__threshold', 'Provide a finite number.'),
    ('numeric', {'passing_rule': {'operator': 'bad', 'threshold': '3'}},
     'invalid_input', 'config__passing_rule__threshold', 'Provide a finite number.'),
    ('numeric', {'passing_rule': {'operator': 'gte', 'threshold': 10 ** 400}},
     'invalid_input', 'config__passing_rule__threshold', 'Provide a finite number.'),
    ('numeric', {'min': 1, 'passing_rule': {'operator': 'gte', 'threshold': 0.5}},
     'invalid_input', 'config__passing_rule', 'The passing threshold must be at least `min`.'),
    ('numeric', {'max': 5, 'passing_rule': {'operator': 'lte', 'threshold': 6}},
     'invalid_input', 'config__passing_rule', 'The passing threshold must be at most `max`.'),
    ('numeric', {'min': 0, 'max': 5, 'passing_rule': {'operator': ['gte'], 'threshold': 1}},
     'invalid_choice', 'config__passing_rule__operator', '"[\'gte\']" is not a valid choice.'),
    ('boolean', {'true_is_failure': 'maybe'},
     'invalid_input', 'config__true_is_failure', 'Must be a valid boolean.'),
    ('boolean', {'true_is_failure': []},
     'invalid_input', 'config__true_is_failure', 'Must be a valid boolean.'),
    ('boolean', {'true_is_failure': 2},
     'invalid_input', 'config__true_is_failure', 'Must be a valid boolean.'),
    ('boolean', {'true_label': None},
     'null', 'config__true_label', 'This field may not be null.'),
    ('boolean', {'true_label': ' '},
     'blank', 'config__true_label', 'This field may not be blank.'),
    ('boolean', {'true_label': ''},
     'blank', 'config__true_label', 'This field may not be blank.'),
    ('boolean', {'true_label': ' Yes ', 'false_label': {}},
     'invalid_input', 'config__false_label', 'Not a valid string.'),
    ('boolean', {'true_is_failure': 'x', 'true_label': ' '},
     'invalid_input', 'config__true_is_failure', 'Must be a valid boolean.'),
])
def test_refusals(kind, config, code, attr, detail):
    error = refused(kind, config)
    assert (error.code, error.attr, error.detail) == (code, attr, detail)


@pytest.mark.parametrize("key", ["very good", "a--b", "-a", "a_", "é", "a.b", "a__b", "_"])
def test_a_bad_option_key_names_its_row(key):
    error = refused("categorical", {"options": [{"key": "ok", "label": "OK"}, {"key": key, "label": "X"}]})
    assert (error.attr, error.index) == ("config__options", 1)
    assert error.detail == "`key` must use lowercase letters, numbers, underscores, or hyphens."


def test_a_repeated_option_key_names_the_second_row():
    error = refused("categorical", {"options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"},
                                                {"key": " B", "label": "Also B"}]})
    assert (error.attr, error.index, error.detail) == ("config__options", 2, "Categorical option keys must be unique.")


@pytest.mark.parametrize("key", ["a", "good", "very-good", "very_good", "a1-b2_c3", "1", "x" * 128])
def test_valid_option_keys(key):
    assert validate_config("categorical", {"options": [{"key": key, "label": "X"}]})["options"][0]["key"] == key


def test_our_own_limits_keep_their_wording():
    """Beyond PostHog: at most OPTIONS_MAX options, and numbers that fit the NUMERIC(24, 6) scores."""
    too_many = [{"key": f"k{i}", "label": "x"} for i in range(OPTIONS_MAX + 1)]
    assert refused("categorical", {"options": too_many}).detail == f"A scorer can have at most {OPTIONS_MAX} options."
    error = refused("numeric", {"step": 0.0000001})
    assert (error.attr, error.detail) == ("config__step", "Ensure that there are no more than 6 decimal places.")
    error = refused("numeric", {"max": 1e18})
    assert (error.attr, error.detail) == ("config__max", "Ensure the number is smaller than 10^18 in size.")
    error = refused("numeric", {"passing_rule": {"operator": "gte", "threshold": 0.1234567}})
    assert error.attr == "config__passing_rule__threshold"
    assert refused("numeric", {"min": "nan"}).detail == "A valid number is required."
    assert validate_config("numeric", {"min": -99999999999, "step": 0.000001}) == {"min": -99999999999.0,
                                                                                     "step": 0.000001}


def test_missing_and_null_config_and_kind():
    assert (refused("numeric", MISSING).code, refused("numeric", MISSING).detail) == ("required",
                                                                                     "This field is required.")
    assert (refused("numeric", None).code, refused("numeric", None).detail) == ("null", "This field may not be null.")
    assert (refused(None, {}).attr, refused(None, {}).detail) == ("config__kind",
                                                                  "Set `kind` before validating `config`.")
    assert (refused("rating", {}).attr, refused("rating", {}).detail) == ("config__kind",
                                                                         "Unsupported score definition kind.")


def test_kind_is_refused_as_a_drf_choice():
    assert [validate_kind(k) for k in ("categorical", "numeric", "boolean")] == ["categorical", "numeric", "boolean"]
    for raw, detail in (("rating", '"rating" is not a valid choice.'), ("Numeric", '"Numeric" is not a valid choice.'),
                        (3, '"3" is not a valid choice.'), ("", '"" is not a valid choice.')):
        with pytest.raises(ValidationError) as caught:
            validate_kind(raw)
        assert (caught.value.attr, caught.value.code, caught.value.detail) == ("kind", "invalid_choice", detail)
    with pytest.raises(ValidationError) as caught:
        validate_kind(None)
    error = caught.value
    assert (error.attr, error.code, error.detail) == ("kind", "null", "This field may not be null.")
    with pytest.raises(ValidationError) as caught:
        validate_kind()
    assert (caught.value.attr, caught.value.code) == ("kind", "required")


def test_with_defaults_reads_a_missing_key_as_its_default():
    assert with_defaults("categorical", {"options": TWO}) == with_defaults(
        "categorical", {"options": TWO, "selection_mode": "single", "min_selections": None, "passing_rule": None})
    assert with_defaults("categorical", {"options": TWO}) != with_defaults(
        "categorical", {"options": TWO, "passing_rule": {"categories": ["good"]}})
    assert with_defaults("numeric", {}) == with_defaults("numeric", {"min": None, "passing_rule": None})
    assert with_defaults("numeric", {"min": 0}) == with_defaults("numeric", {"min": 0.0})
    assert with_defaults("boolean", {}) == with_defaults("boolean", {"true_is_failure": None}) == \
        with_defaults("boolean", {"true_is_failure": False})
    assert with_defaults("boolean", {}) != with_defaults("boolean", {"true_is_failure": True})


def test_suggested_keys_are_valid_and_unique():
    assert suggest_option_key("Very good!") == "very_good"
    assert suggest_option_key("  ") == "option"
    assert suggest_option_key("Good", {"good", "good_2"}) == "good_3"
    key = suggest_option_key("Ünïcode – only ✓")
    validate_config("categorical", {"options": [{"key": key, "label": "x"}]})
