"""POST review_queue_items/{id}/adjudicate/ (an extension): an admin settles an item whose judgments disagree; the
answer is the trace's final review, exactly as trace_reviews/ serves it."""
from __future__ import annotations

import pytest

from tests.support.api import ApiClient
from tests.support.judgments import three_judges


@pytest.fixture
def case(factory):
    return three_judges(factory, traces=2, waiting=1)


def client_of(app, factory, case, user, scopes: str = "*") -> ApiClient:
    return ApiClient(app.test_client(), case.wb.project.id, factory.api_key(user, scopes), user=user,
                     project=case.wb.project)


@pytest.fixture
def admin_api(app, factory, case):
    return client_of(app, factory, case, case.wb.admin)


def path(item) -> str:
    return f"review_queue_items/{item.id}/adjudicate/"


def test_an_admin_adjudicates_and_gets_the_final_review(admin_api, case):
    wb = case.wb
    response = admin_api.post(path(case.item), {"scores": [case.quality("bad"), case.rating(5), case.helpful(True)],
                                                "comment": "Bob is right about refunds."})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    stored = admin_api.get(f"trace_reviews/{body['id']}/").get_json()
    assert body == stored  # the same serializer as trace_reviews/
    assert body["trace_id"] == "trace-001"
    assert body["comment"] == "Bob is right about refunds."
    assert body["created_by"]["email"] == wb.admin.email and body["reviewed_by"]["email"] == wb.admin.email
    assert body["queue_id"] == str(wb.queue.id)
    assert [(s["definition_name"], s["categorical_values"], s["numeric_value"], s["boolean_value"])
            for s in body["scores"]] == [("Answer quality", ["bad"], None, None),
                                         ("Rating", None, "5.000000", None),
                                         ("Resolved the issue", None, None, True)]
    if "resolution" in body:  # the review's resolution field, where the API documents it
        assert body["resolution"] == "adjudicated"
    # The item is done: it left the pending list, and its history says who decided.
    assert admin_api.get(f"review_queue_items/{case.item.id}/").status_code == 404
    history = admin_api.get(f"trace_reviews/{body['id']}/history/").get_json()["results"]
    assert [(h["action"], h["actor"]["email"]) for h in history] == [("adjudicated", wb.admin.email)]


def test_a_second_decision_is_a_409_and_keeps_the_first(admin_api, case):
    first = admin_api.post(path(case.item), {"scores": [case.quality("good")], "comment": None})
    assert first.status_code == 200
    again = admin_api.post(path(case.item), {"scores": [case.quality("bad")], "comment": "no, bad"})
    assert again.status_code == 409
    assert again.get_json() == {"type": "invalid_request", "code": "conflict", "attr": None,
                                "detail": "This trace was already settled by Ada Admin: your decision was not saved."}
    assert admin_api.get(f"trace_reviews/{first.get_json()['id']}/").get_json()["scores"][0]["categorical_values"] \
        == ["good"]


def test_an_item_still_collecting_judgments_is_a_409(admin_api, case):
    pending = case.wb.items()[1]
    response = admin_api.post(path(pending), {"scores": [case.quality("good")]})
    assert response.status_code == 409
    assert response.get_json() == {
        "type": "invalid_request", "code": "conflict", "attr": None,
        "detail": "This trace is not waiting for a decision: its judgments are not all in yet."}


def test_bad_input_is_a_400_naming_the_field(admin_api, case):
    out_of_range = admin_api.post(path(case.item), {"scores": [case.rating(11)]})
    assert out_of_range.status_code == 400
    assert out_of_range.get_json() == {"type": "validation_error", "code": "invalid_input", "attr": "scores",
                                       "detail": "scores[0].numeric_value: Value 11 is above the maximum 10."}
    missing = admin_api.post(path(case.item), {"comment": "no scores"})
    assert missing.status_code == 400
    assert missing.get_json() == {"type": "validation_error", "code": "required", "attr": "scores",
                                  "detail": "This field is required."}
    empty = admin_api.post(path(case.item), {"scores": [], "comment": ""})
    assert empty.status_code == 400
    assert empty.get_json() == {"type": "validation_error", "code": "required", "attr": "scores",
                                "detail": "Nothing to save: give at least one score or a note."}
    note = admin_api.post(path(case.item), {"scores": [case.quality("good")], "comment": 5})
    assert note.status_code == 400 and note.get_json()["attr"] == "comment"
    # Nothing was decided: the item still waits.
    assert admin_api.get(f"review_queue_items/{case.item.id}/").status_code == 200


def test_only_admins_with_a_write_key_may_adjudicate(app, factory, case):
    reviewer = client_of(app, factory, case, case.wb.reviewer)
    refused = reviewer.post(path(case.item), {"scores": [case.quality("good")]})
    assert refused.status_code == 403
    assert refused.get_json() == {"type": "authentication_error", "code": "permission_denied", "attr": None,
                                  "detail": "You do not have permission to perform this action."}
    read_only = client_of(app, factory, case, case.wb.admin, scopes="llm_analytics:read")
    refused = read_only.post(path(case.item), {"scores": [case.quality("good")]})
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "API key missing required scope 'llm_analytics:write'."


def test_unknown_and_foreign_items_are_not_found(app, factory, case, admin_api):
    assert admin_api.post("review_queue_items/not-a-uuid/adjudicate/", {"scores": []}).status_code == 404
    other = factory.project()
    outsider = factory.user(project=other, role="admin")
    foreign = ApiClient(app.test_client(), other.id, factory.api_key(outsider), user=outsider, project=other)
    response = foreign.post(path(case.item), {"scores": [case.quality("good")]})
    assert response.status_code == 404
    assert response.get_json() == {"type": "invalid_request", "code": "not_found", "attr": None,
                                   "detail": "Not found."}
