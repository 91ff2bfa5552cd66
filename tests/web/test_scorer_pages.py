"""The Scorers pages: list with filters and sort, the config editor (with and without scripts), new versions and
stale edits, duplicate, archive, version history, and who may use them."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinition, ScoreDefinitionVersion
from reviewapp.services import reviews, scorers
from tests.support.api import ApiClient

CATEGORICAL = {"options": [{"key": "good", "label": "Good"}, {"key": "ok", "label": "OK"},
                           {"key": "bad", "label": "Bad"}]}


@pytest.fixture
def project(factory):
    return factory.project("Scoring")


@pytest.fixture
def api_client(app, factory, project, admin):
    """The same admin through the JSON API, to compare the pages' messages with the API's."""
    return ApiClient(app.test_client(), project.id, factory.api_key(admin), user=admin, project=project)


def url(project, path: str = "") -> str:
    return f"/projects/{project.id}/scorers/{path}"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def scorer(project, admin, name="Quality", kind="categorical", config=None, **fields):
    return scorers.create_definition(project.id, admin, name=name, kind=kind,
                                     config=CATEGORICAL if config is None else config, **fields)


def definition_count() -> int:
    return db.session.scalar(select(func.count(ScoreDefinition.id)))


def input_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or \
        re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page)
    return html.unescape(match.group(1)) if match else None


def row_values(page: str, name: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'name="{name}" value="([^"]*)"', page)]


# --- the list ----------------------------------------------------------------------------------------

def test_list_searches_filters_by_kind_and_archived_and_sorts(client, project, admin, token):
    scorer(project, admin, "Helpfulness", description="Did it help the user?")
    scorer(project, admin, "Accuracy", kind="numeric", config={"min": 0, "max": 5})
    old = scorer(project, admin, "Tone", kind="boolean", config={})
    scorers.set_archived(project.id, admin, old.id, True)

    page = page_text(client.get(url(project)))
    assert "Helpfulness" in page and "Accuracy" in page and "Tone" not in page
    assert page.index("Accuracy") < page.index("Helpfulness")  # by name

    page = page_text(client.get(url(project, "?search=help+the")))
    assert "Helpfulness" in page and "Accuracy" not in page

    page = page_text(client.get(url(project, "?kind=numeric")))
    assert "Accuracy" in page and "Helpfulness" not in page

    page = page_text(client.get(url(project, "?archived=true")))
    assert "Tone" in page and "Archived" in page and "Accuracy" not in page

    page = page_text(client.get(url(project, "?archived=all&order=-name")))
    assert page.index("Tone") < page.index("Helpfulness") < page.index("Accuracy")

    # A hand-edited sort falls back to the default order instead of failing.
    assert client.get(url(project, "?order=password")).status_code == 200


def test_empty_list_says_what_to_do(client, project, token):
    page = page_text(client.get(url(project)))
    assert "No scorers yet." in page and "Create the first scorer" in page


def test_list_runs_a_fixed_number_of_queries(client, project, admin, token, count_queries):
    for i in range(2):
        scorer(project, admin, f"S{i}")
    with count_queries() as few:
        assert client.get(url(project)).status_code == 200
    for i in range(2, 15):
        scorer(project, admin, f"S{i}")
    with count_queries() as many:
        assert client.get(url(project)).status_code == 200
    assert len(many) == len(few)


# --- creating ----------------------------------------------------------------------------------------

def test_new_scorer_starts_by_choosing_a_kind(client, project, token):
    page = page_text(client.get(url(project, "new")))
    for kind in ("categorical", "numeric", "boolean"):
        assert f"kind={kind}" in page


def test_create_multiple_choice_scorer_makes_keys_from_labels(client, project, token):
    response = client.post(url(project, "new?kind=categorical"), data={
        "csrf_token": token, "name": "  Issues  ", "description": "What went wrong",
        "option_label": ["Wrong answer", "Too long!", "", "Off topic"], "option_key": ["", "", "", "topic"],
        "selection_mode": "multiple", "min_selections": "1", "max_selections": "2",
    })
    assert response.status_code == 302
    definition = db.session.scalars(select(ScoreDefinition)).one()
    assert response.location == url(project, f"{definition.id}/")
    assert (definition.name, definition.kind, definition.description) == ("Issues", "categorical", "What went wrong")
    assert definition.current.config == {
        "options": [{"key": "wrong_answer", "label": "Wrong answer"}, {"key": "too_long", "label": "Too long!"},
                    {"key": "topic", "label": "Off topic"}],
        "selection_mode": "multiple", "min_selections": 1, "max_selections": 2,
    }
    assert "Scorer “Issues” created (version 1)." in page_text(client.get(response.location))


def test_create_numeric_and_boolean_scorers(client, project, token):
    response = client.post(url(project, "new?kind=numeric"), data={
        "csrf_token": token, "name": "Rating", "min_value": "1", "max_value": "5", "step": "0.5"})
    assert response.status_code == 302
    response = client.post(url(project, "new?kind=boolean"), data={
        "csrf_token": token, "name": "Safe", "true_label": "Safe", "false_label": ""})
    assert response.status_code == 302
    configs = {d.name: d.current.config for d in db.session.scalars(select(ScoreDefinition))}
    # Only what was filled in is saved; a boolean scorer's rule always is (true passes unless told otherwise).
    assert configs == {"Rating": {"min": 1, "max": 5, "step": 0.5},
                       "Safe": {"true_label": "Safe", "true_is_failure": False}}


# Each case: the editor's fields, the same config through the API with PostHog's answer, where the page shows the
# message and the page's words for it.
BAD_CONFIGS = [
    pytest.param("categorical", {"option_label": ["", ""], "option_key": ["", ""]},
                 {"options": []}, "config", "Provide at least one categorical option.", "Add at least one option.",
                 id="no-options"),
    pytest.param("categorical", {"option_label": ["Good", "Bad"], "option_key": ["good", "Not OK!"]},
                 {"options": [{"key": "good", "label": "Good"}, {"key": "Not OK!", "label": "Bad"}]},
                 ("row", 1), "`key` must use lowercase letters, numbers, underscores, or hyphens.",
                 "The key may only contain lowercase letters and digits, separated by single - or _ "
                 "(for example “very_good”).", id="bad-key"),
    pytest.param("categorical", {"option_label": ["Good", "Also good"], "option_key": ["good", "GOOD"]},
                 {"options": [{"key": "good", "label": "Good"}, {"key": "GOOD", "label": "Also good"}]},
                 ("row", 1), "Categorical option keys must be unique.",
                 "This key is used by another option; keys must be unique.", id="duplicate-key"),
    pytest.param("categorical", {"option_label": ["Good", ""], "option_key": ["good", "meh"]},
                 {"options": [{"key": "good", "label": "Good"}, {"key": "meh", "label": ""}]},
                 ("row", 1), "This field may not be blank.", "Give this option a label.", id="missing-label"),
    pytest.param("categorical", {"option_label": ["A", "B", "C"], "option_key": ["", "", ""],
                                 "selection_mode": "multiple", "min_selections": "3", "max_selections": "2"},
                 {"options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}, {"key": "c", "label": "C"}],
                  "selection_mode": "multiple", "min_selections": 3, "max_selections": 2},
                 "max_selections", "Ensure `max_selections` is greater than or equal to `min_selections`.",
                 "“At most” cannot be less than “At least”.", id="min-over-max"),
    pytest.param("categorical", {"option_label": ["A", "B"], "option_key": ["", ""],
                                 "selection_mode": "multiple", "max_selections": "3"},
                 {"options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
                  "selection_mode": "multiple", "max_selections": 3},
                 "max_selections", "Ensure `max_selections` is less than or equal to the number of options.",
                 "“At most” cannot be more than the number of options.", id="max-over-option-count"),
    pytest.param("categorical", {"option_label": ["A", "B"], "option_key": ["", ""],
                                 "selection_mode": "single", "min_selections": "1"},
                 {"options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
                  "selection_mode": "single", "min_selections": 1},
                 "min_selections", "`min_selections` is only supported when `selection_mode` is `multiple`.",
                 "“At least” applies to multiple choice only.", id="bounds-in-single-mode"),
    pytest.param("categorical", {"option_label": ["A"], "option_key": [""], "selection_mode": "multiple",
                                 "min_selections": "zero"},
                 {"options": [{"key": "a", "label": "A"}], "selection_mode": "multiple", "min_selections": "zero"},
                 "min_selections", "A valid integer is required.", "Enter a whole number, or leave it blank.",
                 id="not-a-number"),
    pytest.param("numeric", {"min_value": "10", "max_value": "1"}, {"min": 10, "max": 1}, "max_value",
                 "Ensure `max` is greater than or equal to `min`.", "“Maximum” cannot be less than “Minimum”.",
                 id="min-over-max-number"),
    pytest.param("numeric", {"step": "0"}, {"step": 0}, "step", "Ensure `step` is greater than 0.",
                 "“Step” must be greater than 0.", id="zero-step"),
    pytest.param("numeric", {"max_value": "lots"}, {"max": "lots"}, "max_value", "A valid number is required.",
                 "Enter a number, or leave it blank.", id="max-not-a-number"),
    pytest.param("numeric", {"step": "0.0000001"}, {"step": 0.0000001}, "step",
                 "Ensure that there are no more than 6 decimal places.",
                 "Ensure that there are no more than 6 decimal places.", id="too-many-places"),
    pytest.param("numeric", {"min_value": "1", "max_value": "5", "rule_operator": "gte", "threshold": "7"},
                 {"min": 1, "max": 5, "passing_rule": {"operator": "gte", "threshold": 7}}, "threshold",
                 "The passing threshold must be at most `max`.", "The threshold cannot be above the “Maximum”.",
                 id="threshold-over-max"),
    pytest.param("numeric", {"rule_operator": "lte", "threshold": "high"},
                 {"passing_rule": {"operator": "lte", "threshold": "high"}}, "threshold",
                 "Provide a finite number.", "Enter the number the rule compares with.", id="threshold-not-a-number"),
    pytest.param("numeric", {"rule_operator": "gte", "threshold": ""},
                 {"passing_rule": {"operator": "gte", "threshold": None}}, "threshold",
                 "Provide a finite number.", "Enter the number the rule compares with.", id="threshold-missing"),
    pytest.param("numeric", {"rule_operator": "above", "threshold": "3"},
                 {"passing_rule": {"operator": "above", "threshold": 3}}, "rule_operator",
                 '"above" is not a valid choice.', '"above" is not a valid choice.', id="unknown-operator"),
    pytest.param("boolean", {"true_label": "   "}, {"true_label": "   "}, "true_label",
                 "This field may not be blank.", "Cannot be only spaces (leave it empty for the default).",
                 id="blank-label"),
]


@pytest.mark.parametrize("kind, fields, api_config, where, api_detail, page_detail", BAD_CONFIGS)
def test_config_errors_show_beside_the_field_in_the_forms_words_and_keep_the_input(
        client, project, token, api_client, kind, fields, api_config, where, api_detail, page_detail):
    api_answer = api_client.post("score_definitions/", {"name": "Same", "kind": kind, "config": api_config})
    assert api_answer.status_code == 400
    assert api_answer.get_json()["detail"] == api_detail  # the API keeps PostHog's words

    response = client.post(url(project, f"new?kind={kind}"), data={"csrf_token": token, "name": "Kept name",
                                                                    **fields})
    assert response.status_code == 400
    page = page_text(response)
    assert input_value(page, "name") == "Kept name"
    if where == "config":
        assert re.search(r'class="config-errors"[^>]*>\s*<p class="field-error">' + re.escape(page_detail), page)
    elif isinstance(where, tuple):
        rows = re.findall(r'<tr class="option-row[^"]*"[^>]*>(.*?)</tr>', page, re.S)
        assert page_detail in rows[where[1]] and "has-error" in page
        assert all(page_detail not in row for i, row in enumerate(rows) if i != where[1])
    elif where == "rule_operator":
        block = re.search(r'<div class="field has-error">.*?data-rule-operator.*?</div>', page, re.S)
        assert block and page_detail in block.group(0)
    else:
        block = re.search(rf'<div class="field[^"]*has-error[^"]*">\s*<label for="{where}">.*?</div>', page, re.S)
        assert block and page_detail in block.group(0), (where, page_detail)
    for name, value in fields.items():
        if isinstance(value, list):
            submitted = [v for v in value]
            assert row_values(page, name)[:len(submitted)] == submitted or name == "option_key"
        elif name in ("selection_mode", "rule_operator"):
            assert re.search(rf'<input[^>]*checked[^>]*value="{value}"|<input[^>]*value="{value}"[^>]*checked',
                             page) or value == "above"
        else:
            assert input_value(page, name) == value
    assert definition_count() == 0


def test_the_at_least_and_at_most_refusal_uses_the_forms_words(client, project, token):
    response = client.post(url(project, "new?kind=categorical"), data={
        "csrf_token": token, "name": "Issues", "option_label": ["A", "B", "C"], "option_key": ["", "", ""],
        "selection_mode": "multiple", "min_selections": "3", "max_selections": "2"})
    page = page_text(response)
    assert "“At most” cannot be less than “At least”." in page
    words = re.sub(r"<[^>]+>", " ", page.split("<main")[1])  # what the user reads, not the field names
    assert "min_selections" not in words and "max_selections" not in words and "`" not in words


def test_name_and_config_errors_show_together(client, project, token, api_client):
    name_detail = api_client.post("score_definitions/", {"name": "   ", "kind": "numeric", "config": {}}
                                  ).get_json()["detail"]
    response = client.post(url(project, "new?kind=numeric"), data={
        "csrf_token": token, "name": "   ", "description": "Kept description", "min_value": "5", "max_value": "1"})
    assert response.status_code == 400
    page = page_text(response)
    assert re.search(r'<label for="name">Name</label>.*?' + re.escape(name_detail), page, re.S)
    assert "“Maximum” cannot be less than “Minimum”." in page
    assert "Kept description" in page
    assert definition_count() == 0


def test_option_rows_can_be_added_removed_and_moved_without_scripts(client, project, token):
    base = {"csrf_token": token, "name": "Draft", "option_label": ["First", "Second", "Third"],
            "option_key": ["first", "", "third"]}
    page = page_text(client.post(url(project, "new?kind=categorical"), data={**base, "row_action": "add"}))
    assert row_values(page, "option_label") == ["First", "Second", "Third", "", "", ""]
    assert input_value(page, "name") == "Draft"

    page = page_text(client.post(url(project, "new?kind=categorical"), data={**base, "row_action": "remove-1"}))
    assert row_values(page, "option_label") == ["First", "Third"]
    assert row_values(page, "option_key") == ["first", "third"]

    page = page_text(client.post(url(project, "new?kind=categorical"), data={**base, "row_action": "up-2"}))
    assert row_values(page, "option_label") == ["First", "Third", "Second"]

    page = page_text(client.post(url(project, "new?kind=categorical"), data={**base, "row_action": "down-0"}))
    assert row_values(page, "option_label") == ["Second", "First", "Third"]
    assert definition_count() == 0


# --- editing -----------------------------------------------------------------------------------------

def test_edit_name_and_description_keeps_the_version(client, project, admin, token):
    definition = scorer(project, admin)
    response = client.post(url(project, f"{definition.id}/details"), data={
        "csrf_token": token, "name": "Answer quality", "description": "How good is the answer?"})
    assert response.status_code == 302
    db.session.refresh(definition)
    assert (definition.name, definition.description, definition.current_version) == (
        "Answer quality", "How good is the answer?", 1)


def test_edit_name_error_keeps_input_and_saves_nothing(client, project, admin, token):
    definition = scorer(project, admin, description="Before")
    response = client.post(url(project, f"{definition.id}/details"), data={
        "csrf_token": token, "name": "x" * 256, "description": "After"})
    assert response.status_code == 400
    page = page_text(response)
    assert "Ensure this field has no more than 255 characters." in page
    assert "After" in page and input_value(page, "name") == "x" * 256
    db.session.expire_all()
    assert (definition.name, definition.description) == ("Quality", "Before")


def test_a_refused_edit_shows_the_stored_name_not_the_half_applied_one(client, project, admin, token):
    # The name is valid and the description is not: the service set the name before it refused the description.
    definition = scorer(project, admin, description="Before")
    response = client.post(url(project, f"{definition.id}/details"), data={
        "csrf_token": token, "name": "Renamed", "description": "d" * 10_001})
    assert response.status_code == 400
    page = page_text(response)
    assert "<h1>Quality</h1>" in page and input_value(page, "name") == "Renamed"


def test_a_refusing_service_leaves_the_session_as_stored(project, admin):
    definition = scorer(project, admin, description="Before")
    with pytest.raises(scorers.ValidationError):
        scorers.update_definition(project.id, admin, definition.id, {"name": "Renamed", "description": "d" * 10_001})
    assert not db.session.dirty
    assert (definition.name, definition.description) == ("Quality", "Before")


def test_editing_the_config_makes_a_new_version(client, project, admin, token):
    definition = scorer(project, admin)
    page = page_text(client.get(url(project, f"{definition.id}/")))
    assert row_values(page, "option_label")[:3] == ["Good", "OK", "Bad"]
    assert input_value(page, "base_version") == "1"

    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "option_label": ["Good", "Fine", "Bad", "Awful"],
        "option_key": ["good", "ok", "bad", ""], "selection_mode": "single"})
    assert response.status_code == 302
    db.session.refresh(definition)
    assert definition.current_version == 2
    assert definition.current.config["options"][1] == {"key": "ok", "label": "Fine"}
    assert definition.current.config["options"][3] == {"key": "awful", "label": "Awful"}
    assert "Saved as version 2." in page_text(client.get(response.location))


def test_saving_the_same_config_makes_no_version(client, project, admin, token):
    definition = scorer(project, admin, kind="numeric", config={"min": 0, "max": 10})
    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "min_value": "0", "max_value": "10.0", "step": ""})
    assert response.status_code == 302
    assert "No change" in page_text(client.get(response.location))
    assert db.session.scalar(select(func.count(ScoreDefinitionVersion.id))) == 1


def test_new_version_error_keeps_input_and_saves_nothing(client, project, admin, token, api_client):
    definition = scorer(project, admin)
    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "option_label": ["Good", "Good too"],
        "option_key": ["good", "good"]})
    assert response.status_code == 400
    page = page_text(response)
    api_detail = api_client.post(f"score_definitions/{definition.id}/new_version/", {"config": {
        "options": [{"key": "good", "label": "Good"}, {"key": "good", "label": "Good too"}]}}).get_json()["detail"]
    assert api_detail == "Categorical option keys must be unique."
    assert "This key is used by another option; keys must be unique." in page
    assert row_values(page, "option_label")[:2] == ["Good", "Good too"]
    db.session.expire_all()
    assert definition.current_version == 1


def test_stale_config_edit_says_it_changed_since_you_opened_it(client, project, admin, token):
    definition = scorer(project, admin)
    client.get(url(project, f"{definition.id}/"))  # opened at version 1
    scorers.new_version(project.id, admin, definition.id, {"options": CATEGORICAL["options"] + [
        {"key": "great", "label": "Great"}]})  # someone else saves version 2

    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "option_label": ["Good", "Bad"], "option_key": ["good", "bad"]})
    assert response.status_code == 409
    page = page_text(response)
    assert scorers.STALE_VERSION.format(current=2, base=1) in page
    assert "Added option “Great” (great)." in page  # what the other edit changed
    assert row_values(page, "option_label")[:2] == ["Good", "Bad"]  # the user's input is kept
    assert input_value(page, "base_version") == "2"
    db.session.expire_all()
    assert definition.current_version == 2

    # Saving again is now a deliberate choice on top of version 2.
    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "2", "option_label": ["Good", "Bad"], "option_key": ["good", "bad"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert definition.current_version == 3


def test_duplicate_copies_the_current_config(client, project, admin, token):
    definition = scorer(project, admin, description="Original")
    response = client.post(url(project, f"{definition.id}/duplicate"), data={"csrf_token": token})
    assert response.status_code == 302
    copy = db.session.scalars(select(ScoreDefinition).where(ScoreDefinition.id != definition.id)).one()
    assert response.location == url(project, f"{copy.id}/")
    assert (copy.name, copy.description, copy.current_version, copy.current.config) == (
        "Quality (copy)", "Original", 1, definition.current.config)


def test_archive_and_unarchive(client, project, admin, token):
    definition = scorer(project, admin)
    assert client.post(url(project, f"{definition.id}/archive"), data={"csrf_token": token}).status_code == 302
    db.session.refresh(definition)
    assert definition.archived is True
    page = page_text(client.get(url(project, f"{definition.id}/")))
    assert "Unarchive" in page
    assert client.post(url(project, f"{definition.id}/unarchive"), data={"csrf_token": token}).status_code == 302
    db.session.refresh(definition)
    assert definition.archived is False


def test_version_history_shows_changes_and_reviews_per_version(client, project, admin, token, count_queries):
    definition = scorer(project, admin)
    for i in range(3):
        reviews.save_review(project.id, admin, trace_id=f"t{i}", scores=[
            {"definition_id": str(definition.id), "categorical_values": ["good"]}])
    scorers.new_version(project.id, admin, definition.id, {
        "options": [{"key": "good", "label": "Great"}, {"key": "bad", "label": "Bad"},
                    {"key": "awful", "label": "Awful"}], "selection_mode": "multiple", "max_selections": 2})
    reviews.save_review(project.id, admin, trace_id="t9", scores=[
        {"definition_id": str(definition.id), "categorical_values": ["awful"]}])
    deleted = reviews.save_review(project.id, admin, trace_id="t10", scores=[
        {"definition_id": str(definition.id), "categorical_values": ["bad"]}])
    reviews.delete_review(project.id, admin, deleted.id)

    db.session.expire_all()  # each request starts as it would in production: nothing loaded yet
    with count_queries() as statements:
        response = client.get(url(project, f"{definition.id}/versions"))
    page = page_text(response)
    assert response.status_code == 200
    rows = re.findall(r"<tr>\s*<td class=\"nowrap\"><span class=\"version-pin\">(v\d)</span>(.*?)</tr>", page, re.S)
    assert [version for version, _ in rows] == ["v2", "v1"]
    newest, first = rows[0][1], rows[1][1]
    for change in ("Added option “Awful” (awful).", "Removed option “OK” (ok).",
                   "Relabelled good: “Good” → “Great”.", "Selection: “single” → “multiple”.",
                   "At most: not set → 2."):
        assert change in newest
    assert "First version." in first
    assert re.search(r'<td class="num">1</td>', newest) and re.search(r'<td class="num">3</td>', first)

    for i in range(4):  # more versions (by another admin) and more reviews: the same number of queries
        other = scorers.new_version(project.id, None, definition.id, {"options": [{"key": f"k{i}", "label": "K"}]})
        reviews.save_review(project.id, admin, trace_id=f"more{i}", scores=[
            {"definition_id": str(other.id), "categorical_values": [f"k{i}"]}])
    db.session.expire_all()  # each request starts as it would in production: nothing loaded yet
    with count_queries() as more:
        assert client.get(url(project, f"{definition.id}/versions")).status_code == 200
    assert len(more) == len(statements)


def test_a_scorer_of_another_project_is_not_found(client, factory, project, token):
    other = factory.project("Other")
    foreign = scorers.create_definition(other.id, None, name="Secret", kind="boolean", config={})
    assert client.get(url(project, f"{foreign.id}/")).status_code == 404
    assert client.post(url(project, f"{foreign.id}/archive"), data={"csrf_token": token}).status_code == 404
    assert client.get(url(project, "not-a-uuid/")).status_code == 404
    db.session.refresh(foreign)
    assert foreign.archived is False


def test_csrf_is_required(client, project, admin, token):
    definition = scorer(project, admin)
    assert client.post(url(project, f"{definition.id}/archive"), data={}).status_code == 400
    db.session.refresh(definition)
    assert definition.archived is False


# --- who may -----------------------------------------------------------------------------------------

# Every scorer page and action, by endpoint: the inventory test below fails when a route is added without one.
ACTIONS = {
    "scorers.index": [("GET", "", None)],
    "scorers.create": [("GET", "new", None), ("GET", "new?kind=numeric", None),
                       ("POST", "new?kind=numeric", {"name": "Sneaky"})],
    "scorers.edit": [("GET", "{id}/", None)],
    "scorers.update_details": [("POST", "{id}/details", {"name": "Renamed"})],
    "scorers.update_config": [("POST", "{id}/config", {"base_version": "1", "option_label": ["X"],
                                                       "option_key": ["x"]})],
    "scorers.duplicate": [("POST", "{id}/duplicate", {})],
    "scorers.archive": [("POST", "{id}/archive", {})],
    "scorers.unarchive": [("POST", "{id}/unarchive", {})],
    "scorers.versions": [("GET", "{id}/versions", None)],
}


def test_the_permission_inventory_covers_every_scorer_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("scorers.")}
    assert endpoints == set(ACTIONS)


# What a member who is not an admin may read: the rubric reviewers score against.
READ_ONLY = {"scorers.index", "scorers.edit", "scorers.versions"}


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
@pytest.mark.parametrize("method, path, data", [
    pytest.param(*action, id=f"{endpoint}-{action[0]}-{action[1]}")
    for endpoint, actions in ACTIONS.items() if endpoint not in READ_ONLY for action in actions
])
def test_viewers_and_reviewers_may_not_change_scorers(client, factory, project, admin, login, role, method,
                                                      path, data):
    definition = scorer(project, admin)
    token = login(factory.member(project, role))
    target = url(project, path.format(id=definition.id))
    if method == "GET":
        response = client.get(target)
    else:
        response = client.post(target, data={"csrf_token": token, **data})
    assert response.status_code == 403
    db.session.expire_all()
    assert definition_count() == 1
    assert (definition.name, definition.archived, definition.current_version) == ("Quality", False, 1)


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_viewers_and_reviewers_read_the_rubric_without_edit_controls(client, factory, project, admin, login, role):
    definition = scorer(project, admin, description="Is the answer right?", config={
        "options": [{"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}],
        "selection_mode": "multiple", "max_selections": 2})
    scorers.new_version(project.id, admin, definition.id, {"options": [
        {"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}, {"key": "ok", "label": "OK"}]})
    login(factory.member(project, role))

    listing = page_text(client.get(url(project)))
    assert "Quality" in listing and "Is the answer right?" in listing
    assert "New scorer" not in listing and url(project, "new") not in listing

    response = client.get(url(project, f"{definition.id}/"))
    assert response.status_code == 200
    detail = page_text(response)
    assert "Is the answer right?" in detail and "Single choice · 3 options" in detail
    assert re.findall(r"<li>(\w+) <code>", detail) == ["Good", "Bad", "OK"]
    assert "Version history" in detail
    assert "<form" not in detail.split("<main")[1]  # nothing to submit: no save, duplicate or archive
    for action in ("details", "config", "duplicate", "archive"):
        assert url(project, f"{definition.id}/{action}") not in detail

    versions = client.get(url(project, f"{definition.id}/versions"))
    assert versions.status_code == 200
    assert "Added option “OK” (ok)." in page_text(versions)


# --- passing rules -----------------------------------------------------------------------------------

def list_rules(client, project) -> dict[str, str]:
    page = page_text(client.get(url(project)))
    rows = re.findall(r'class="scorer-link"[^>]*>([^<]+)</a>.*?<td class="scorer-rule">(.*?)</td>', page, re.S)
    return {name: re.sub(r"<[^>]+>", "", rule).strip() for name, rule in rows}


def history_changes(client, project, definition) -> list[str]:
    page = page_text(client.get(url(project, f"{definition.id}/versions")))
    newest = re.search(r'<ul class="changes">(.*?)</ul>', page, re.S).group(1)
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", newest)]


def test_a_numeric_rule_is_saved_listed_and_in_the_history(client, project, admin, token):
    definition = scorer(project, admin, name="Rating", kind="numeric", config={"min": 1, "max": 5})
    assert list_rules(client, project) == {"Rating": "neutral"}
    editor = page_text(client.get(url(project, f"{definition.id}/")))
    assert "Scores stay neutral without a passing rule." in editor
    assert "Rule: Neutral: no pass or fail" in re.sub(r"<[^>]+>", "", editor)

    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "min_value": "1", "max_value": "5", "rule_operator": "gte",
        "threshold": "4"})
    assert response.status_code == 302
    db.session.refresh(definition)
    assert definition.current.config == {"min": 1, "max": 5, "passing_rule": {"operator": "gte", "threshold": 4}}
    assert list_rules(client, project) == {"Rating": "≥ 4 passes"}
    assert history_changes(client, project, definition) == ["Passing rule: none (neutral) → ≥ 4 passes."]
    editor = page_text(client.get(url(project, f"{definition.id}/")))
    assert input_value(editor, "threshold") == "4"
    assert "Rule: ≥ 4 passes" in re.sub(r"<[^>]+>", "", editor)

    client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "2", "min_value": "1", "max_value": "5", "rule_operator": "lte",
        "threshold": "2.5"})
    assert history_changes(client, project, definition) == ["Passing rule: ≥ 4 passes → ≤ 2.5 passes."]
    client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "3", "min_value": "1", "max_value": "5", "rule_operator": "",
        "threshold": "2.5"})  # the threshold left behind is not saved without an operator
    db.session.refresh(definition)
    assert definition.current.config == {"min": 1, "max": 5}
    assert history_changes(client, project, definition) == ["Passing rule: ≤ 2.5 passes → none (neutral)."]


def test_a_boolean_rule_uses_the_scorers_own_labels_and_is_always_saved(client, project, admin, token):
    response = client.post(url(project, "new?kind=boolean"), data={
        "csrf_token": token, "name": "Broken?", "true_label": "Broken", "false_label": "Fine",
        "true_is_failure": "true"})
    assert response.status_code == 302
    definition = db.session.scalars(select(ScoreDefinition)).one()
    assert definition.current.config == {"true_is_failure": True, "true_label": "Broken", "false_label": "Fine"}
    assert list_rules(client, project) == {"Broken?": "Fine means pass"}
    editor = page_text(client.get(url(project, f"{definition.id}/")))
    assert re.findall(r'data-rule-choice="(\w+)">([^<]+)<', editor) == [("false", "Broken means pass"),
                                                                        ("true", "Fine means pass")]
    client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "true_label": "Broken", "false_label": "Fine",
        "true_is_failure": "false"})
    assert history_changes(client, project, definition) == ["Passing rule: Fine means pass → Broken means pass."]


def test_categorical_options_that_pass(client, project, admin, token):
    definition = scorer(project, admin, name="Tone", config={"options": [
        {"key": "great", "label": "Great"}, {"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}]})
    editor = page_text(client.get(url(project, f"{definition.id}/")))
    assert "With none ticked, scores stay neutral" in editor
    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "option_label": ["Great", "Good", "Bad", ""],
        "option_key": ["great", "good", "bad", ""], "option_passes": ["0", "1"], "selection_mode": "single"})
    assert response.status_code == 302
    db.session.refresh(definition)
    assert definition.current.config["passing_rule"] == {"categories": ["good", "great"]}  # stored sorted
    assert list_rules(client, project) == {"Tone": "Great and Good pass"}
    assert history_changes(client, project, definition) == [
        "Passing rule: none (neutral) → Great and Good pass."]
    editor = page_text(client.get(url(project, f"{definition.id}/")))
    assert re.findall(r'name="option_passes" value="(\d)"[^>]*checked', editor) == ["0", "1"]

    # A relabelled option changes the rule's wording, not the rule: no "Passing rule" line.
    client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "2", "option_label": ["Superb", "Good", "Bad"],
        "option_key": ["great", "good", "bad"], "option_passes": ["0", "1"], "selection_mode": "single"})
    assert history_changes(client, project, definition) == ["Relabelled great: “Great” → “Superb”."]

    # None ticked: neutral again.
    client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "3", "option_label": ["Superb", "Good", "Bad"],
        "option_key": ["great", "good", "bad"], "selection_mode": "single"})
    db.session.refresh(definition)
    assert "passing_rule" not in definition.current.config
    assert list_rules(client, project) == {"Tone": "neutral"}
    assert history_changes(client, project, definition) == ["Passing rule: Superb and Good pass → none (neutral)."]


def test_a_ticked_option_moves_with_its_row_without_scripts(client, project, token):
    page = page_text(client.post(url(project, "new?kind=categorical"), data={
        "csrf_token": token, "name": "Draft", "option_label": ["First", "Second", "Third"],
        "option_key": ["", "", ""], "option_passes": ["2"], "row_action": "up-2"}))
    assert row_values(page, "option_label")[:3] == ["First", "Third", "Second"]
    assert re.findall(r'name="option_passes" value="(\d)"[^>]*checked', page) == ["1"]
    assert "Rule: Third passes" in re.sub(r"<[^>]+>", "", page)


def test_a_refused_rule_keeps_the_ticks_and_the_threshold(client, project, admin, token):
    definition = scorer(project, admin, kind="numeric", config={"min": 0, "max": 10})
    response = client.post(url(project, f"{definition.id}/config"), data={
        "csrf_token": token, "base_version": "1", "min_value": "0", "max_value": "10", "rule_operator": "lte",
        "threshold": "-1"})
    assert response.status_code == 400
    page = page_text(response)
    assert "The threshold cannot be below the “Minimum”." in page
    assert input_value(page, "threshold") == "-1"
    assert re.search(r'<input[^>]*checked[^>]*value="lte"|<input[^>]*value="lte"[^>]*checked', page)

    response = client.post(url(project, "new?kind=categorical"), data={
        "csrf_token": token, "name": "", "option_label": ["Good", "Bad"], "option_key": ["", ""],
        "option_passes": ["1"]})
    assert response.status_code == 400
    assert re.findall(r'name="option_passes" value="(\d)"[^>]*checked', page_text(response)) == ["1"]


@pytest.mark.parametrize("kind, config, fields", [
    ("categorical", {"options": [{"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}]},
     {"option_label": ["Good", "Bad"], "option_key": ["good", "bad"], "selection_mode": "single"}),
    ("boolean", {}, {"true_label": "", "false_label": "", "true_is_failure": "false"}),
    ("numeric", {"min": 0, "passing_rule": None}, {"min_value": "0", "rule_operator": "", "threshold": ""}),
])
def test_an_untouched_save_of_an_api_config_makes_no_version(client, project, admin, token, kind, config, fields):
    """Configs made through the API leave out keys the editor always sends (selection_mode, true_is_failure):
    the same meaning is no change."""
    definition = scorer(project, admin, kind=kind, config=config)
    response = client.post(url(project, f"{definition.id}/config"), data={"csrf_token": token, "base_version": "1",
                                                                          **fields})
    assert response.status_code == 302
    assert "No change" in page_text(client.get(response.location))
    db.session.refresh(definition)
    assert definition.current_version == 1


def test_the_read_only_page_and_the_history_show_the_rule(client, factory, project, admin, login):
    definition = scorer(project, admin, kind="numeric", config={"passing_rule": {"operator": "gte", "threshold": 3}})
    login(factory.member(project, "reviewer"))
    detail = re.sub(r"<[^>]+>", "", page_text(client.get(url(project, f"{definition.id}/"))))
    assert "Passing rule: ≥ 3 passes" in detail
    versions = re.sub(r"<[^>]+>", "", page_text(client.get(url(project, f"{definition.id}/versions"))))
    assert "Passing rule: ≥ 3 passes" in versions


def test_the_history_shows_numbers_as_typed_and_unset_bounds_as_none(client, project, admin, token):
    definition = scorer(project, admin, kind="numeric", config={})
    scorers.new_version(project.id, admin, definition.id, {"min": 0, "max": 2.5})
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page_text(client.get(url(project, f"{definition.id}/versions")))))
    assert "Minimum 0 · Maximum 2.5 · Step any" in page
    assert "Minimum none · Maximum none · Step any" in page
    assert "Minimum: not set → 0." in page and "Maximum: not set → 2.5." in page
