"""services.passing: the pass/fail verdict of a score and its rule in words, as PostHog's offline-result tags decide
them (spec §1.5), and the verdict every saved score stores."""
from decimal import Decimal

import pytest

from reviewapp.extensions import db
from reviewapp.services import passing, reviews, scorers
from tests.support.rules import give_rule

OPTIONS = [{"key": "good", "label": "Good"}, {"key": "ok", "label": "Acceptable"}, {"key": "bad", "label": "Bad"}]


# --- boolean: always decided --------------------------------------------------------------------------

@pytest.mark.parametrize("config,value,expected", [
    ({}, True, True), ({}, False, False),  # no true_is_failure: true passes
    ({"true_is_failure": None}, True, True), ({"true_is_failure": None}, False, False),
    ({"true_is_failure": False}, True, True), ({"true_is_failure": False}, False, False),
    ({"true_is_failure": True}, True, False), ({"true_is_failure": True}, False, True),
])
def test_boolean_passes_when_the_value_differs_from_true_is_failure(config, value, expected):
    assert passing.verdict("boolean", config, boolean_value=value) is expected
    assert passing.has_rule("boolean", config)


def test_boolean_without_a_value_is_neutral():
    assert passing.verdict("boolean", {"true_is_failure": True}) is None


@pytest.mark.parametrize("config,expected", [
    ({}, "Yes means pass"),
    ({"true_is_failure": True}, "No means pass"),
    ({"true_label": "Safe", "false_label": "Unsafe"}, "Safe means pass"),
    ({"true_label": "Safe", "false_label": "Unsafe", "true_is_failure": True}, "Unsafe means pass"),
])
def test_boolean_rule_in_words(config, expected):
    assert passing.describe("boolean", config) == expected


# --- numeric: decided only with a valid rule -----------------------------------------------------------

GTE_4 = {"min": 1, "max": 5, "passing_rule": {"operator": "gte", "threshold": 4.0}}
LTE_2_5 = {"passing_rule": {"operator": "lte", "threshold": 2.5}}


@pytest.mark.parametrize("config,value,expected", [
    (GTE_4, Decimal("4"), True), (GTE_4, Decimal("4.000000"), True), (GTE_4, Decimal("5"), True),
    (GTE_4, Decimal("3.999999"), False), (GTE_4, 1, False),
    (LTE_2_5, Decimal("2.5"), True), (LTE_2_5, Decimal("-10"), True), (LTE_2_5, Decimal("2.500001"), False),
    (LTE_2_5, 3.0, False),
])
def test_numeric_at_above_and_below_the_threshold(config, value, expected):
    assert passing.verdict("numeric", config, numeric_value=value) is expected


def test_an_integer_threshold_counts_like_a_float():
    config = {"passing_rule": {"operator": "gte", "threshold": 4}}
    assert passing.verdict("numeric", config, numeric_value=Decimal("4")) is True
    assert passing.describe("numeric", config) == "≥ 4 passes"


@pytest.mark.parametrize("config", [
    {}, {"min": 0, "max": 10}, {"passing_rule": None},
    {"passing_rule": {"operator": "gt", "threshold": 4}},
    {"passing_rule": {"threshold": 4}},
    {"passing_rule": {"operator": "gte"}},
    {"passing_rule": {"operator": "gte", "threshold": None}},
    {"passing_rule": {"operator": "gte", "threshold": "4"}},
    {"passing_rule": {"operator": "gte", "threshold": True}},
    {"passing_rule": {"operator": "gte", "threshold": float("inf")}},
    {"passing_rule": {"operator": "gte", "threshold": float("nan")}},
    {"passing_rule": {"operator": "gte", "threshold": 10 ** 400}},
    {"passing_rule": ["gte", 4]},
])
def test_numeric_without_a_usable_rule_is_neutral(config):
    assert passing.verdict("numeric", config, numeric_value=Decimal("4")) is None
    assert passing.describe("numeric", config) is None
    assert not passing.has_rule("numeric", config)


def test_numeric_without_a_value_is_neutral():
    assert passing.verdict("numeric", GTE_4) is None


@pytest.mark.parametrize("config,expected", [
    (GTE_4, "≥ 4 passes"), (LTE_2_5, "≤ 2.5 passes"),
    ({"passing_rule": {"operator": "gte", "threshold": -0.5}}, "≥ -0.5 passes"),
])
def test_numeric_rule_in_words(config, expected):
    assert passing.describe("numeric", config) == expected
    assert passing.has_rule("numeric", config)


# --- categorical: decided only with passing_rule.categories ------------------------------------------------

SINGLE = {"options": OPTIONS, "passing_rule": {"categories": ["good", "ok"]}}
MULTIPLE = {"options": OPTIONS, "selection_mode": "multiple", "passing_rule": {"categories": ["good"]}}
NONE_PASS = {"options": OPTIONS, "selection_mode": "multiple", "passing_rule": {"categories": []}}


@pytest.mark.parametrize("config,values,expected", [
    (SINGLE, ["good"], True), (SINGLE, ["ok"], True), (SINGLE, ["bad"], False),
    (MULTIPLE, ["good"], True), (MULTIPLE, ["good", "ok"], False), (MULTIPLE, ["bad", "ok"], False),
    (MULTIPLE, [], False),  # an empty selection fails a rule with categories
    (NONE_PASS, ["good"], False), (NONE_PASS, ["good", "bad"], False),
    (NONE_PASS, [], True),  # ... and passes one without
])
def test_categorical_passes_when_every_chosen_key_is_a_passing_category(config, values, expected):
    assert passing.verdict("categorical", config, categorical_values=values) is expected


@pytest.mark.parametrize("config", [
    {"options": OPTIONS}, {"options": OPTIONS, "passing_rule": None}, {"options": OPTIONS, "passing_rule": {}},
    {"options": OPTIONS, "passing_rule": {"categories": "good"}},
])
def test_categorical_without_a_rule_is_neutral(config):
    assert passing.verdict("categorical", config, categorical_values=["good"]) is None
    assert passing.describe("categorical", config) is None
    assert not passing.has_rule("categorical", config)


def test_categorical_without_a_value_is_neutral():
    assert passing.verdict("categorical", SINGLE) is None


@pytest.mark.parametrize("config,expected", [
    (SINGLE, "Good and Acceptable pass"),
    (MULTIPLE, "Good passes"),
    (NONE_PASS, "Every answer fails"),
    # In the options' order, whatever the stored (sorted) order: Good, Acceptable, Bad.
    ({"options": OPTIONS, "passing_rule": {"categories": ["bad", "good", "ok"]}}, "Good, Acceptable and Bad pass"),
])
def test_categorical_rule_in_words(config, expected):
    assert passing.describe("categorical", config) == expected


# --- each saved score stores its verdict ------------------------------------------------------------------

def stored_verdicts(project_id, review_id):
    db.session.expire_all()  # read what the database holds, not the objects just written
    return {score.definition.name: score.passed for score in reviews.load_review(project_id, review_id).scores}


def test_saving_a_review_stores_each_scores_verdict(factory):
    project = factory.project()
    admin = factory.user(project=project, role="admin")
    quality = give_rule(scorers.create_definition(project.id, admin, name="Quality", kind="categorical",
                                                  config={"options": OPTIONS}),
                        passing_rule={"categories": ["good"]})
    rating = give_rule(scorers.create_definition(project.id, admin, name="Rating", kind="numeric",
                                                 config={"min": 0, "max": 10}),
                       passing_rule={"operator": "gte", "threshold": 4.0})
    length = scorers.create_definition(project.id, admin, name="Length", kind="numeric", config={})
    unsafe = give_rule(scorers.create_definition(project.id, admin, name="Unsafe", kind="boolean", config={}),
                       true_is_failure=True)
    review = reviews.save_review(project.id, admin, trace_id="t1", scores=[
        {"definition_id": str(quality.id), "categorical_values": ["bad"]},
        {"definition_id": str(rating.id), "numeric_value": "4"},
        {"definition_id": str(length.id), "numeric_value": "120"},
        {"definition_id": str(unsafe.id), "boolean_value": False},
    ])
    assert stored_verdicts(project.id, review.id) == {"Quality": False, "Rating": True, "Length": None, "Unsafe": True}

    # An edit decides again: a changed value, a changed verdict.
    review = reviews.save_review(project.id, admin, review_id=review.id, scores=[
        {"definition_id": str(quality.id), "categorical_values": ["good"]},
        {"definition_id": str(rating.id), "numeric_value": "3.5"},
        {"definition_id": str(unsafe.id), "boolean_value": True},
    ])
    assert stored_verdicts(project.id, review.id) == {"Quality": True, "Rating": False, "Unsafe": False}
