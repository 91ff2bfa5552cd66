"""validate_scores on its own: every value rule, decimal grids, and the entry index the review page relies on."""
from decimal import Decimal

import pytest

from reviewapp.services import scorers
from reviewapp.services.errors import ValidationError
from reviewapp.services.score_validation import SCORES_MAX, ScoreValidationError, validate_scores


@pytest.fixture
def project(factory):
    return factory.project()


@pytest.fixture
def admin(factory, project):
    return factory.user(project=project, role="admin")


def scorer(project, admin, kind, config, name=None):
    return scorers.create_definition(project.id, admin, name=name or kind.title(), kind=kind, config=config)


@pytest.fixture
def single(project, admin):
    return scorer(project, admin, "categorical", {"options": [{"key": "good", "label": "Good"},
                                                              {"key": "bad", "label": "Bad"}]}, "Verdict")


@pytest.fixture
def multiple(project, admin):
    return scorer(project, admin, "categorical", {
        "options": [{"key": k, "label": k} for k in ("a", "b", "c", "d")],
        "selection_mode": "multiple", "min_selections": 2, "max_selections": 3}, "Tags")


@pytest.fixture
def numeric(project, admin):
    return scorer(project, admin, "numeric", {"min": 1, "max": 5, "step": 0.5}, "Rating")


@pytest.fixture
def boolean(project, admin):
    return scorer(project, admin, "boolean", {}, "Correct")


def refusal(project, entries, detail: str, code: str = "invalid_input") -> ScoreValidationError:
    """The refusal of `entries`: a 400 on `scores` with exactly this detail (entry, field, message) and code."""
    with pytest.raises(ScoreValidationError) as caught:
        validate_scores(project.id, entries)
    error = caught.value
    assert (error.attr, error.detail, error.code) == ("scores", detail, code)
    where = f"scores[{error.index}]" + (f".{error.field}" if error.field else "")
    assert detail == f"{where}: {error.message}"  # the page shows the bare message beside the entry's scorer
    return error


def test_valid_scores_resolve_to_the_current_version(project, single, multiple, numeric, boolean):
    result = validate_scores(project.id, [
        {"definition_id": str(single.id), "categorical_values": ["good"]},
        {"definition_id": str(multiple.id), "categorical_values": ["a", "c"]},
        {"definition_id": str(numeric.id), "numeric_value": 4.5},
        {"definition_id": str(boolean.id), "boolean_value": False},
    ])
    assert [s.definition.id for s in result] == [single.id, multiple.id, numeric.id, boolean.id]
    assert all(s.version.id == s.definition.current_version_id for s in result)
    assert result[0].categorical_values == ["good"]
    assert result[1].categorical_values == ["a", "c"]
    assert result[2].numeric_value == Decimal("4.500000")
    assert result[3].boolean_value is False


def test_refusal_names_the_entry_and_the_scorer(project, single, numeric):
    error = refusal(project, [
        {"definition_id": str(single.id), "categorical_values": ["good"]},
        {"definition_id": str(numeric.id), "numeric_value": 4.3},
    ], "scores[1].numeric_value: Value 4.3 is not on the step grid (step 0.5 from 1).")
    assert (error.index, error.field, error.definition_id) == (1, "numeric_value", numeric.id)
    assert error.message == "Value 4.3 is not on the step grid (step 0.5 from 1)."


@pytest.mark.parametrize("value", [1, 1.5, "2.5", 5, "4.500000", Decimal("3.0")])
def test_grid_counts_from_min(project, numeric, value):
    entries = [{"definition_id": str(numeric.id), "numeric_value": value}]
    assert validate_scores(project.id, entries)[0].numeric_value == Decimal(str(value)).quantize(Decimal("0.000001"))


@pytest.mark.parametrize("value, message", [
    (1.25, "Value 1.25 is not on the step grid (step 0.5 from 1)."),
    (4.3, "Value 4.3 is not on the step grid (step 0.5 from 1)."),
    (5.5, "Value 5.5 is above the maximum 5."),
    (0.5, "Value 0.5 is below the minimum 1."),
])
def test_off_the_grid_or_out_of_range(project, numeric, value, message):
    refusal(project, [{"definition_id": str(numeric.id), "numeric_value": value}],
            f"scores[0].numeric_value: {message}")


def test_grid_in_decimal_not_float(project, admin):
    tenth = scorer(project, admin, "numeric", {"step": 0.1})
    # 0.3 % 0.1 is 0.09999999999999998 in floats; in decimal it is exactly on the grid.
    assert validate_scores(project.id, [{"definition_id": str(tenth.id), "numeric_value": 0.3}])[0].numeric_value \
        == Decimal("0.3")
    assert validate_scores(project.id, [{"definition_id": str(tenth.id), "numeric_value": -7.7}])
    refusal(project, [{"definition_id": str(tenth.id), "numeric_value": 0.1 + 0.2}],
            "scores[0].numeric_value: Ensure that there are no more than 6 decimal places.")
    refusal(project, [{"definition_id": str(tenth.id), "numeric_value": 0.35}],
            "scores[0].numeric_value: Value 0.35 is not on the step grid (step 0.1 from 0).")


def test_grid_from_a_negative_min(project, admin):
    offset = scorer(project, admin, "numeric", {"min": -0.25, "step": 0.5})
    assert validate_scores(project.id, [{"definition_id": str(offset.id), "numeric_value": 0.25}])
    refusal(project, [{"definition_id": str(offset.id), "numeric_value": 0}],
            "scores[0].numeric_value: Value 0 is not on the step grid (step 0.5 from -0.25).")


def test_numeric_without_bounds_takes_any_number(project, admin):
    free = scorer(project, admin, "numeric", {})
    for value in (-1e17, 0, 123.456789, "99999999999.5"):
        assert validate_scores(project.id, [{"definition_id": str(free.id), "numeric_value": value}])


@pytest.mark.parametrize("value, message", [
    (0.5, "Value 0.5 is below the minimum 1."),
    (5.5, "Value 5.5 is above the maximum 5."),
    ("four", "A valid number is required."),
    ("", "A valid number is required."),  # an emptied field, as a form sends it
    (True, "A valid number is required."),
    ([4], "A valid number is required."),
    (float("nan"), "A valid number is required."),
    (1e18, "Ensure the number is smaller than 10^18 in size."),
])
def test_numeric_refusals(project, numeric, value, message):
    error = refusal(project, [{"definition_id": str(numeric.id), "numeric_value": value}],
                    f"scores[0].numeric_value: {message}")
    assert (error.index, error.field, error.definition_id) == (0, "numeric_value", numeric.id)


@pytest.mark.parametrize("values, message", [
    ([], "Choose at least one option."),
    ("good", "Expected a list of option keys."),
    (["good", "bad"], "This scorer takes exactly one option (got 2)."),
    (["great"], "“great” is not an option of this scorer. Options: good, bad."),
    (["GOOD"], "“GOOD” is not an option of this scorer. Options: good, bad."),
    ([1], "Option keys are strings; got 1."),
])
def test_single_choice_refusals(project, single, values, message):
    error = refusal(project, [{"definition_id": str(single.id), "categorical_values": values}],
                    f"scores[0].categorical_values: {message}")
    assert (error.field, error.definition_id) == ("categorical_values", single.id)


@pytest.mark.parametrize("values, message", [
    (["a"], "Choose at least 2 options (got 1)."),
    (["a", "b", "c", "d"], "Choose at most 3 options (got 4)."),
    (["a", "a"], "Option “a” is chosen more than once."),
])
def test_multiple_choice_refusals(project, multiple, values, message):
    error = refusal(project, [{"definition_id": str(multiple.id), "categorical_values": values}],
                    f"scores[0].categorical_values: {message}")
    assert (error.field, error.definition_id) == ("categorical_values", multiple.id)


def test_boolean_must_be_a_real_boolean(project, boolean):
    for value in ("true", 1, 0, "yes"):
        refusal(project, [{"definition_id": str(boolean.id), "boolean_value": value}],
                "scores[0].boolean_value: Must be true or false.")
    refusal(project, [{"definition_id": str(boolean.id), "boolean_value": None}],
            "scores[0].boolean_value: This field is required for the boolean scorer “Correct”.", "required")


def test_exactly_one_value_field_matching_the_kind(project, numeric, boolean):
    refusal(project, [{"definition_id": str(numeric.id)}],
            "scores[0].numeric_value: This field is required for the numeric scorer “Rating”.", "required")
    both = refusal(project, [{"definition_id": str(numeric.id), "numeric_value": 2, "boolean_value": True}],
                   "scores[0]: Give exactly one value; the numeric scorer “Rating” takes numeric_value "
                   "(got numeric_value, boolean_value).")
    assert (both.field, both.definition_id) == (None, numeric.id)
    refusal(project, [{"definition_id": str(boolean.id), "numeric_value": 1}],
            "scores[0].numeric_value: “Correct” is a boolean scorer: give boolean_value instead.")
    # Nulls in the other value fields (as a GET returns them) are not values.
    assert validate_scores(project.id, [{"definition_id": str(boolean.id), "boolean_value": True,
                                         "numeric_value": None, "categorical_values": None}])


def test_definition_refusals(project, factory, admin, single):
    other = factory.project()
    theirs = scorer(other, factory.user(project=other), "boolean", {})
    refusal(project, [{"categorical_values": ["good"]}], "scores[0].definition_id: This field is required.",
            "required")
    refusal(project, [{"definition_id": "nope"}], "scores[0].definition_id: “nope” is not a valid UUID.")
    refusal(project, [{"definition_id": str(theirs.id), "boolean_value": True}],
            "scores[0].definition_id: Scorer not found.")
    twice = refusal(project, [{"definition_id": str(single.id), "categorical_values": ["good"]},
                              {"definition_id": str(single.id), "categorical_values": ["bad"]}],
                    "scores[1].definition_id: Scorer “Verdict” is scored more than once; "
                    "a review has at most one score per scorer.")
    assert twice.index == 1
    refusal(project, ["x"], "scores[0]: Expected an object with definition_id and a value.")


def test_list_shape_refusals(project):
    too_many = [{"definition_id": "x"}] * (SCORES_MAX + 1)
    for value, detail in ((None, "This field may not be null."), ({"a": 1}, "Expected a list of scores."),
                          (too_many, f"A review can have at most {SCORES_MAX} scores.")):
        with pytest.raises(ValidationError) as caught:
            validate_scores(project.id, value)
        assert (caught.value.attr, caught.value.detail, caught.value.code) == ("scores", detail, "invalid_input")
    assert validate_scores(project.id, []) == []


def test_pinned_version_is_validated_against_its_own_config(project, admin, single, numeric):
    v1 = single.current_version_id
    scorers.new_version(project.id, admin, single.id, {"options": [{"key": "pass", "label": "Pass"}]})
    pinned = validate_scores(project.id, [{"definition_id": str(single.id), "definition_version_id": str(v1),
                                           "categorical_values": ["good"]}])
    assert pinned[0].version.version == 1
    refusal(project, [{"definition_id": str(single.id), "categorical_values": ["good"]}],
            "scores[0].categorical_values: “good” is not an option of this scorer. Options: pass.")
    other_version = str(numeric.current_version_id)
    wrong = refusal(project, [{"definition_id": str(single.id), "definition_version_id": other_version,
                               "categorical_values": ["pass"]}],
                    "scores[0].definition_version_id: This is not a version of scorer “Verdict”.")
    assert wrong.definition_id == single.id
    refusal(project, [{"definition_id": str(single.id), "definition_version_id": "v1", "categorical_values": ["pass"]}],
            "scores[0].definition_version_id: “v1” is not a valid UUID.")


def test_archived_scorers_are_still_accepted(project, admin, boolean):
    scorers.set_archived(project.id, admin, boolean.id, True)
    assert validate_scores(project.id, [{"definition_id": str(boolean.id), "boolean_value": True}])


def test_first_bad_entry_in_order_is_reported(project, single, boolean):
    error = refusal(project, [
        {"definition_id": str(boolean.id), "boolean_value": "no"},
        {"definition_id": "missing"},
    ], "scores[0].boolean_value: Must be true or false.")
    assert error.index == 0
