"""GET agreement/?queue_id=&definition_id=&version=: the numbers of the Insights Agreement section as JSON, in the
documented shape, with 400s naming the parameter and a 404 for another project's queue."""
from __future__ import annotations

import pytest

from reviewapp.services import reliability
from tests.support import agreement_data
from tests.support.api import ApiClient, assert_error
from tests.support.scoring import other_project_client

URL = "agreement/"


@pytest.fixture
def triple(factory):
    return agreement_data.build(factory)


@pytest.fixture
def viewer_api(app, factory, triple):
    return ApiClient(app.test_client(), triple.project.id, factory.api_key(triple.viewer, scopes="llm_analytics:read"),
                     user=triple.viewer, project=triple.project)


def test_every_scorer_version_of_the_queue(viewer_api, triple):
    response = viewer_api.get(f"{URL}?queue_id={triple.queue.id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["queue_id"], body["queue_name"], body["reviews_per_trace"]) == (str(triple.queue.id), "Triple", 3)
    assert [(r["name"], r["version"], r["level"]) for r in body["results"]] == [
        ("Quality", 1, "nominal"), ("Rating", 1, "interval"), ("Safe", 1, "nominal"), ("Tags", 1, "masi")]


def test_one_scorer_version_in_full(viewer_api, triple):
    body = viewer_api.get(f"{URL}?queue_id={triple.queue.id}&definition_id={triple.quality.id}&version=1").get_json()
    [quality] = body["results"]
    expected = reliability.queue_agreement(triple.project.id, triple.queue, definition_id=triple.quality.id).versions[0]
    ann, bob, cat = triple.ann.id, triple.bob.id, triple.cat.id
    assert quality["definition_id"] == str(triple.quality.id)
    assert (quality["items"], quality["judgments"]) == (4, 11)
    assert quality["percent_agreement"] == pytest.approx(7 / 12)
    assert quality["alpha"] == pytest.approx(expected.alpha)
    assert quality["fleiss_kappa"] is None and quality["fleiss_kappa_interval"] is None  # t4 has two judgments, not 3
    assert quality["reading"] == expected.reading
    assert quality["reviewers"] == [{"id": ann, "name": "Ann Admin"}, {"id": bob, "name": "Bob Baker"},
                                    {"id": cat, "name": "Cat Cole"}]
    assert {(p["a"], p["b"]): p["items"] for p in quality["pairwise"]} == {(ann, bob): 4, (ann, cat): 3,
                                                                          (bob, cat): 3}
    assert quality["calibration"] == [
        {"reviewer": {"id": ann, "name": "Ann Admin"}, "judgments": 4, "compared": 2, "agreed": 1,
         "agreement": 0.5, "adjudicated": 1, "overruled": 1},
        {"reviewer": {"id": bob, "name": "Bob Baker"}, "judgments": 4, "compared": 2, "agreed": 2,
         "agreement": 1.0, "adjudicated": 1, "overruled": 0},
        {"reviewer": {"id": cat, "name": "Cat Cole"}, "judgments": 3, "compared": 2, "agreed": 1,
         "agreement": 0.5, "adjudicated": 1, "overruled": 1},
    ]
    assert quality["disagreements"][0] == {
        "item_id": str(triple.items["t3"].id), "trace_id": "t3", "distinct": 3, "spread": None,
        "needs_decision": True, "answers": [{"reviewer": "Ann Admin", "answer": "ok"},
                                            {"reviewer": "Bob Baker", "answer": "bad"},
                                            {"reviewer": "Cat Cole", "answer": "good"}]}
    assert [d["trace_id"] for d in quality["disagreements"]] == ["t3", "t2"]


def test_ordinal_on_request(viewer_api, triple):
    body = viewer_api.get(f"{URL}?queue_id={triple.queue.id}&ordinal=true").get_json()
    assert [r["level"] for r in body["results"]] == ["ordinal", "ordinal", "nominal", "masi"]


def test_a_version_never_judged_has_no_result(viewer_api, triple):
    body = viewer_api.get(f"{URL}?queue_id={triple.queue.id}&definition_id={triple.quality.id}&version=7").get_json()
    assert body["results"] == []


@pytest.mark.parametrize(("query", "attr", "code"), [
    ("", "queue_id", "required"),
    ("queue_id=nope", "queue_id", None),
    ("queue_id={q}&definition_id=nope", "definition_id", None),
    ("queue_id={q}&definition_id={d}&version=0", "version", None),
    ("queue_id={q}&definition_id={d}&version=x", "version", None),
    ("queue_id={q}&version=1", "version", None),
    ("queue_id={q}&ordinal=maybe", "ordinal", None),
    ("queue_id={q}&queue_id={q}", "queue_id", None),
    ("queue_id={q}&level=nominal", "level", None),
])
def test_bad_parameters_are_400s_naming_them(viewer_api, triple, query, attr, code):
    response = viewer_api.get(URL + "?" + query.format(q=triple.queue.id, d=triple.quality.id))
    assert_error(response, 400, code, attr=attr)


def test_another_projects_queue_is_not_found(app, factory, triple):
    other = other_project_client(app, factory)
    assert_error(other.get(f"{URL}?queue_id={triple.queue.id}"), 404)


def test_a_read_scope_is_enough_and_no_key_is_refused(viewer_api, triple):
    assert_error(viewer_api.as_key(None).get(f"{URL}?queue_id={triple.queue.id}"), 401)
