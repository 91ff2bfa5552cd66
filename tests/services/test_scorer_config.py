"""validate_config: the one place every scorer config rule lives (the API and the scorer editor both use it)."""
import pytest

from reviewapp.services.errors import ValidationError
from reviewapp.services.scorer_config import ConfigError, suggest_option_key, validate_config, validate_kind


def refused(kind, config) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate_config(kind, config)
    return caught.value


def options(*keys):
    return [{"key": key, "label": key.title() or "x"} for key in keys]


# --- categorical -------------------------------------------------------------------------------------

def test_categorical_is_normalised_with_single_mode_by_default():
    config = validate_config("categorical", {"options": [{"key": "  Very_Good ", "label": "  Very good "},
                                                         {"key": "BAD", "label": "Bad"}]})
    assert config == {
        "options": [{"key": "very_good", "label": "Very good"}, {"key": "bad", "label": "Bad"}],
        "selection_mode": "single",
        "min_selections": None,
        "max_selections": None,
    }


def test_multiple_mode_with_bounds():
    config = validate_config("categorical", {"options": options("a", "b", "c"), "selection_mode": "multiple",
                                             "min_selections": 1, "max_selections": 3})
    assert (config["selection_mode"], config["min_selections"], config["max_selections"]) == ("multiple", 1, 3)


@pytest.mark.parametrize("key", ["a", "good", "very-good", "very_good", "a1-b2_c3", "1", "x" * 128])
def test_valid_option_keys(key):
    assert validate_config("categorical", {"options": options(key)})["options"][0]["key"] == key


@pytest.mark.parametrize("key", ["very good", "a--b", "-a", "a_", "é", "a.b", "a__b", "_"])
def test_invalid_option_keys(key):
    error = refused("categorical", {"options": [{"key": "ok", "label": "OK"}, {"key": key, "label": "X"}]})
    assert error.attr == "config__options"
    assert error.index == 1
    assert error.detail.startswith("Option 2: the key")
    assert "may only contain lowercase letters and digits" in error.detail


@pytest.mark.parametrize("config, attr, code, detail", [
    (None, "config", "required", "This field is required."),
    ([], "config", "invalid_input", "Expected an object with the scorer's settings."),
    ({"options": options("a"), "colour": "red", "min": 1}, "config", "invalid_input",
     "Unsupported config keys for a categorical scorer: colour, min. "
     "Allowed keys: options, selection_mode, min_selections, max_selections."),
    ({}, "config__options", "required", "This field is required."),
    ({"options": []}, "config__options", "invalid_input", "Add at least one option."),
    ({"options": "a,b"}, "config__options", "invalid_input",
     "Expected a list of options, each with a key and a label."),
    ({"options": ["a"]}, "config__options", "invalid_input", "Option 1: expected an object with a key and a label."),
    ({"options": [{"key": "a", "label": "A", "colour": "red"}]}, "config__options", "invalid_input",
     "Option 1: unsupported keys colour. Allowed keys: key, label."),
    ({"options": [{"label": "A"}]}, "config__options", "invalid_input", "Option 1: the key is required."),
    ({"options": [{"key": "  ", "label": "A"}]}, "config__options", "invalid_input",
     "Option 1: the key is required."),
    ({"options": [{"key": "a", "label": " "}]}, "config__options", "invalid_input",
     "Option 1: the label is required."),
    ({"options": [{"key": "a", "label": 5}]}, "config__options", "invalid_input",
     "Option 1: the label is required."),
    ({"options": [{"key": "a", "label": "x" * 257}]}, "config__options", "invalid_input",
     "Option 1: the label must be at most 256 characters."),
    ({"options": [{"key": "x" * 129, "label": "A"}]}, "config__options", "invalid_input",
     "Option 1: the key must be at most 128 characters."),
    ({"options": [{"key": "good", "label": "A"}, {"key": " GOOD ", "label": "B"}]}, "config__options",
     "invalid_input", "Option 2: the key “good” is used by another option; keys must be unique."),
    ({"options": options("a"), "selection_mode": "some"}, "config__selection_mode", "invalid_choice",
     "“some” is not a valid selection mode. Choose single or multiple."),
    ({"options": options("a", "b"), "min_selections": 1}, "config__min_selections", "invalid_input",
     "min_selections is only allowed when selection_mode is multiple."),
    ({"options": options("a", "b"), "selection_mode": "single", "max_selections": 1}, "config__max_selections",
     "invalid_input", "max_selections is only allowed when selection_mode is multiple."),
    ({"options": options("a", "b"), "selection_mode": "multiple", "min_selections": 3}, "config__min_selections",
     "invalid_input", "min_selections cannot be more than the number of options (2)."),
    ({"options": options("a", "b"), "selection_mode": "multiple", "max_selections": 3}, "config__max_selections",
     "invalid_input", "max_selections cannot be more than the number of options (2)."),
    ({"options": options("a", "b", "c"), "selection_mode": "multiple", "min_selections": 3, "max_selections": 2},
     "config__min_selections", "invalid_input", "min_selections (3) cannot be greater than max_selections (2)."),
    ({"options": options("a", "b"), "selection_mode": "multiple", "min_selections": 0}, "config__min_selections",
     "invalid_input", "Must be a whole number of at least 1, or null."),
    ({"options": options("a", "b"), "selection_mode": "multiple", "max_selections": 1.5},
     "config__max_selections", "invalid_input", "Must be a whole number of at least 1, or null."),
    ({"options": options("a", "b"), "selection_mode": "multiple", "max_selections": True},
     "config__max_selections", "invalid_input", "Must be a whole number of at least 1, or null."),
])
def test_categorical_refusals(config, attr, code, detail):
    error = refused("categorical", config)
    assert (error.attr, error.code, error.detail) == (attr, code, detail)


def test_min_and_max_may_be_null_in_either_mode():
    config = validate_config("categorical", {"options": options("a"), "min_selections": None,
                                             "max_selections": None})
    assert config["min_selections"] is None and config["max_selections"] is None


def test_min_equal_to_max_is_allowed():
    config = validate_config("categorical", {"options": options("a", "b"), "selection_mode": "multiple",
                                             "min_selections": 2, "max_selections": 2})
    assert config["min_selections"] == config["max_selections"] == 2


# --- numeric -----------------------------------------------------------------------------------------

def test_numeric_empty_config_is_valid():
    assert validate_config("numeric", {}) == {"min": None, "max": None, "step": None}


def test_numeric_decimals_are_kept_exactly():
    config = validate_config("numeric", {"min": -1.5, "max": "2.25", "step": 0.1})
    assert config == {"min": -1.5, "max": 2.25, "step": 0.1}
    assert validate_config("numeric", {"min": 1.0, "max": 10})["min"] == 1


@pytest.mark.parametrize("config, attr, detail", [
    ({"min": 5, "max": 1}, "config__min", "min (5) cannot be greater than max (1)."),
    ({"step": 0}, "config__step", "step must be greater than 0."),
    ({"step": -0.5}, "config__step", "step must be greater than 0."),
    ({"min": "abc"}, "config__min", "A valid number is required."),
    ({"max": True}, "config__max", "A valid number is required."),
    ({"max": [1]}, "config__max", "A valid number is required."),
    ({"step": float("nan")}, "config__step", "A valid number is required."),
    ({"step": float("inf")}, "config__step", "A valid number is required."),
    ({"step": 0.0000001}, "config__step", "Ensure that there are no more than 6 decimal places."),
    ({"max": 10 ** 18}, "config__max", "Ensure the number is smaller than 10^18 in size."),
    ({"min": 0, "max": 1, "stepp": 1}, "config", "Unsupported config keys for a numeric scorer: stepp. "
                                                 "Allowed keys: min, max, step."),
])
def test_numeric_refusals(config, attr, detail):
    error = refused("numeric", config)
    assert (error.attr, error.detail) == (attr, detail)


def test_equal_min_and_max_is_allowed():
    assert validate_config("numeric", {"min": 3, "max": 3}) == {"min": 3, "max": 3, "step": None}


# --- boolean -----------------------------------------------------------------------------------------

def test_boolean_labels_optional_and_trimmed():
    assert validate_config("boolean", {}) == {"true_label": None, "false_label": None}
    assert validate_config("boolean", {"true_label": " Pass ", "false_label": "Fail"}) == {
        "true_label": "Pass", "false_label": "Fail"}


@pytest.mark.parametrize("config, attr, detail", [
    ({"true_label": "  "}, "config__true_label", "true_label must be a non-blank text when given."),
    ({"false_label": 0}, "config__false_label", "false_label must be a non-blank text when given."),
    ({"true_label": "x" * 257}, "config__true_label", "true_label must be at most 256 characters."),
    ({"options": []}, "config", "Unsupported config keys for a boolean scorer: options. "
                                "Allowed keys: true_label, false_label."),
])
def test_boolean_refusals(config, attr, detail):
    error = refused("boolean", config)
    assert (error.attr, error.detail) == (attr, detail)


# --- kind and key suggestions ------------------------------------------------------------------------

def test_kind_must_be_one_of_three():
    assert [validate_kind(k) for k in ("categorical", "numeric", "boolean")] == ["categorical", "numeric", "boolean"]
    for raw in ("rating", "Numeric", 3, ["numeric"]):
        with pytest.raises(ValidationError) as caught:
            validate_kind(raw)
        assert (caught.value.attr, caught.value.code) == ("kind", "invalid_choice")
    with pytest.raises(ValidationError) as caught:
        validate_kind(None)
    assert (caught.value.attr, caught.value.code) == ("kind", "required")


def test_suggested_keys_are_valid_and_unique():
    assert suggest_option_key("Very good!") == "very_good"
    assert suggest_option_key("  ") == "option"
    assert suggest_option_key("Good", {"good", "good_2"}) == "good_3"
    key = suggest_option_key("Ünïcode – only ✓")
    validate_config("categorical", {"options": [{"key": key, "label": "x"}]})
