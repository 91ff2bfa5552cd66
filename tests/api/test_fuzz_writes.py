"""Property: whatever a client sends to a write endpoint — any JSON, wrong types, bad ids, huge strings, broken
bytes, wrong content types — the answer is a 2xx or a 4xx in the API's error shape, never a 5xx."""
from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import assert_error
from tests.support.scoring import CONFIGS, create_review, create_scorer

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
                database=None)

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=20)
huge_strings = st.sampled_from(["x" * 300, "é" * 5_000, "a" * 200_000, "\x00", "nul\x00", "\ud800",
                                "' OR 1=1 --", "%_\\"])
odd_values = json_values | huge_strings | st.sampled_from(["", " ", "00000000-0000-0000-0000-000000000000",
                                                           str(uuid.uuid4()), "not-a-uuid", 0, -1, 1.5, 2 ** 63])


@pytest.fixture
def world(api):
    """One of everything in the api fixture's project, plus ids of it the fuzzer can aim at."""
    queue = api.post("review_queues/", {"name": "Fuzz queue"}).get_json()
    item = api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "fuzz-pending"}).get_json()
    scorers = {kind: create_scorer(api, name=f"Fuzz {kind}", kind=kind) for kind in CONFIGS}
    review = create_review(api, "fuzz-reviewed")
    return {"queue": queue, "item": item, "scorers": scorers, "review": review}


def ids_of(world):
    known = [world["queue"]["id"], world["item"]["id"], world["review"]["id"],
             *(s["id"] for s in world["scorers"].values()),
             *(s["current_version_id"] for s in world["scorers"].values())]
    return st.sampled_from(known) | odd_values


def body_with(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """A JSON object with any subset of the endpoint's fields (plausible or wild) and perhaps a stray key."""
    return st.fixed_dictionaries({}, optional={**fields, "unexpected": json_values})


def score_entries(world):
    ids = ids_of(world)
    entry = body_with({
        "definition_id": ids,
        "definition_version_id": ids,
        "categorical_values": st.lists(st.sampled_from(["good", "ok", "bad"]) | odd_values, max_size=4) | odd_values,
        "numeric_value": st.decimals(allow_nan=False, places=3).map(str) | st.floats() | odd_values,
        "boolean_value": st.booleans() | odd_values,
    })
    return st.lists(entry | odd_values, max_size=4) | odd_values


def configs():
    option = body_with({"key": st.text(max_size=10) | odd_values, "label": st.text(max_size=10) | odd_values})
    return body_with({
        "options": st.lists(option | odd_values, max_size=4) | odd_values,
        "selection_mode": st.sampled_from(["single", "multiple"]) | odd_values,
        "min_selections": st.integers(-2, 5) | odd_values,
        "max_selections": st.integers(-2, 5) | odd_values,
        "min": st.floats() | odd_values,
        "max": st.floats() | odd_values,
        "step": st.floats() | odd_values,
        "true_label": odd_values,
        "false_label": odd_values,
    }) | odd_values


def endpoints(world) -> dict[str, tuple[str, str, st.SearchStrategy]]:
    ids = ids_of(world)
    scorer_id = world["scorers"]["categorical"]["id"]
    return {
        "create queue": ("POST", "review_queues/", body_with({"name": odd_values, "description": odd_values,
                                                              "scorer_ids": st.lists(ids) | odd_values})),
        "update queue": ("PATCH", f"review_queues/{world['queue']['id']}/",
                         body_with({"name": odd_values, "description": odd_values, "scorer_ids": odd_values})),
        "claim next": ("POST", f"review_queues/{world['queue']['id']}/claim_next/", body_with({})),
        "add item": ("POST", "review_queue_items/", body_with({"queue_id": ids, "trace_id": odd_values})),
        "bulk add": ("POST", "review_queue_items/bulk/",
                     body_with({"queue_id": ids, "trace_ids": st.lists(odd_values, max_size=6) | odd_values})),
        "move item": ("PATCH", f"review_queue_items/{world['item']['id']}/", body_with({"queue_id": ids})),
        "create scorer": ("POST", "score_definitions/", body_with({
            "name": odd_values, "description": odd_values, "archived": odd_values,
            "kind": st.sampled_from(["categorical", "numeric", "boolean"]) | odd_values, "config": configs()})),
        "update scorer": ("PATCH", f"score_definitions/{scorer_id}/", body_with({
            "name": odd_values, "description": odd_values, "archived": odd_values, "kind": odd_values,
            "config": odd_values})),
        "new version": ("POST", f"score_definitions/{scorer_id}/new_version/",
                        body_with({"config": configs(), "base_version": st.integers(-1, 3) | odd_values})),
        "create review": ("POST", "trace_reviews/", body_with({
            "trace_id": st.sampled_from(["fuzz-pending", "fuzz-reviewed"]) | odd_values, "comment": odd_values,
            "scores": score_entries(world), "queue_id": ids, "time_spent_seconds": odd_values})),
        "update review": ("PATCH", f"trace_reviews/{world['review']['id']}/", body_with({
            "trace_id": odd_values, "comment": odd_values, "scores": score_entries(world), "queue_id": ids,
            "time_spent_seconds": odd_values})),
    }


def assert_answer_shape(response) -> None:
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)[:2000]
    if status >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict), response.get_data(as_text=True)[:500]
        if status == 409:
            assert set(body) == {"detail", "current_version"}, body
        else:
            assert {"type", "code", "detail", "attr"} <= set(body), body


def send_json(api, method, path, body):
    # allow_nan: Python's JSON (and some clients) writes NaN/Infinity; the server must refuse it politely.
    return api.request(method, path, raw=json.dumps(body, allow_nan=True))


ENDPOINT_NAMES = ["create queue", "update queue", "claim next", "add item", "bulk add", "move item",
                  "create scorer", "update scorer", "new version", "create review", "update review"]


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_json_bodies_never_cause_a_server_error(api, world, name):
    method, path, bodies = endpoints(world)[name]

    @FUZZ
    @given(body=bodies | json_values)
    def check(body):
        assert_answer_shape(send_json(api, method, path, body))

    check()


CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                 "application/xml", "application/json; charset=latin-1", ""]


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_raw_bytes_and_content_types_never_cause_a_server_error(api, world, name):
    method, path, _ = endpoints(world)[name]

    @FUZZ
    @given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
           content_type=st.sampled_from(CONTENT_TYPES))
    def check(raw, content_type):
        assert_answer_shape(api.request(method, path, raw=raw, content_type=content_type))

    check()


WRITE_ROUTES = [
    ("PATCH", "review_queues/{}/"), ("DELETE", "review_queues/{}/"), ("POST", "review_queues/{}/claim_next/"),
    ("PATCH", "review_queue_items/{}/"), ("DELETE", "review_queue_items/{}/"),
    ("PATCH", "score_definitions/{}/"), ("POST", "score_definitions/{}/new_version/"),
    ("DELETE", "score_definitions/{}/"),
    ("PATCH", "trace_reviews/{}/"), ("DELETE", "trace_reviews/{}/"),
]


@pytest.mark.parametrize("method, template", WRITE_ROUTES)
def test_any_id_in_the_path_is_a_clean_answer(api, world, method, template):
    @FUZZ
    @given(raw_id=ids_of(world).map(str) | st.text(min_size=1, max_size=60))
    def check(raw_id):
        path = template.format(quote(raw_id, safe="", errors="surrogatepass"))
        assert_answer_shape(send_json(api, method, path, {"name": "x", "queue_id": world["queue"]["id"]}))

    check()


def test_an_oversized_body_is_413_in_the_error_shape(api, world):
    huge = {"trace_id": "t", "comment": "x" * (2 * 1024 * 1024)}
    for method, path in (("POST", "trace_reviews/"), ("POST", "score_definitions/"),
                         ("PATCH", f"trace_reviews/{world['review']['id']}/")):
        response = send_json(api, method, path, huge)
        assert response.status_code == 413
        assert_answer_shape(response)


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000,
                                 "NaN", '{"a": 1,}', "[1]"])
def test_malformed_json_is_a_parse_error(api, world, raw):
    for method, path in (("POST", "trace_reviews/"), ("POST", "score_definitions/"),
                         ("POST", "review_queues/"), ("PATCH", f"trace_reviews/{world['review']['id']}/")):
        response = api.request(method, path, raw=raw)
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert_answer_shape(response)


@pytest.mark.parametrize("raw, attr, detail", [
    ('{"trace_id": "a\\u0000b"}', "trace_id", "Null characters are not allowed."),
    ('{"trace_id": "t", "scores": [{"x": ["\\u0000"]}]}', "scores", "Null characters are not allowed."),
    ('{"trace_id": "t", "comment": "\\ud800"}', "comment", "Text must be valid Unicode (no lone surrogates)."),
])
def test_text_no_database_can_store_is_refused(api, raw, attr, detail):
    assert_error(api.request("POST", "trace_reviews/", raw=raw), 400, "invalid_input", attr, detail)
    form = api.request("POST", "review_queues/", raw="name=a%00b", content_type="application/x-www-form-urlencoded")
    assert_error(form, 400, "invalid_input", "name", "Null characters are not allowed.")


@pytest.mark.parametrize("path", ["trace_reviews/?search=%00", "trace_reviews/?trace_id=a%00",
                                  "score_definitions/?search=%00", "trace_reviews/export/?trace_id__in=a,%00",
                                  "review_queue_items/?trace_id=%00"])
def test_null_characters_in_query_parameters_are_400(api, path):
    response = api.get(path)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["detail"] == "Null characters are not allowed."



@pytest.mark.parametrize("raw_id", ["/", "0/", "a//b", "%2F"])
def test_an_id_holding_a_slash_reaches_no_other_address(api, world, raw_id):
    """A decoded %2F must not land on the list route (a 405) or be redirected to a shorter id (a 308)."""
    for method in ("GET", "PATCH", "DELETE"):
        response = send_json(api, method, f"review_queue_items/{quote(raw_id, safe='')}/", {"name": "x"})
        assert response.status_code == 404, (method, raw_id, response.status_code)
        assert_answer_shape(response)
