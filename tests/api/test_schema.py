"""The OpenAPI document matches the routes the app really serves and the answers it really gives."""
import re

import pytest
from openapi_spec_validator import validate

from reviewapp.api.core import PREFIXES
from reviewapp.api.schema import PREFIX
from tests.support.api import assert_documented
from tests.support.scoring import CONFIGS, create_scorer


def served_operations(app) -> set[tuple[str, str]]:
    operations = set()
    prefix = PREFIXES[0]
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/api" + prefix) or not path.endswith("/"):
            continue
        templated = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", path[len("/api" + prefix):])
        templated = templated.replace("{queue_id}", "{id}").replace("{item_id}", "{id}")
        templated = templated.replace("{definition_id}", "{id}").replace("{review_id}", "{id}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((templated, method.lower()))
    return operations


def documented_operations(schema) -> set[tuple[str, str]]:
    return {(path[len(PREFIX):], method) for path, methods in schema["paths"].items() for method in methods}


def test_schema_is_public_json(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    schema = client.get("/api/schema/").get_json()
    assert served_operations(app) == documented_operations(schema)


def test_the_document_is_valid_openapi_3_0_3(client):
    document = client.get("/api/schema/").get_json()
    assert document["openapi"] == "3.0.3"
    validate(document)  # raises on e.g. `"type": [...]`, which is 3.1 only


def test_reviews_are_documented_with_the_fields_they_carry(api, client):
    """A review's extensions (queue_id, time_spent_seconds) are in the document, and nothing undocumented is sent:
    every ApiClient answer is checked against it (tests/support/api.py)."""
    review = client.get("/api/schema/").get_json()["components"]["schemas"]["TraceReview"]
    assert {"queue_id", "time_spent_seconds"} <= set(review["required"])
    body = api.post("trace_reviews/", {"trace_id": "t-1", "time_spent_seconds": 12.5}).get_json()
    assert set(body) == set(review["properties"]) and body["time_spent_seconds"] == 12.5


def responses_of(client, path, method):
    return client.get("/api/schema/").get_json()["paths"][PREFIX + path][method]["responses"]


def test_every_answer_an_operation_gives_is_documented(client):
    assert "204" in responses_of(client, "/review_queues/{id}/claim_next/", "post")
    conflict = responses_of(client, "/score_definitions/{id}/new_version/", "post")["409"]
    assert conflict["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/VersionConflict"}
    for path, methods in client.get("/api/schema/").get_json()["paths"].items():
        for method, operation in methods.items():
            if method in ("post", "patch"):
                assert "413" in operation["responses"], (path, method)


def test_an_empty_queue_answers_claim_next_with_the_documented_204(api):
    queue = api.post("review_queues/", {"name": "Empty"}).get_json()
    response = api.post(f"review_queues/{queue['id']}/claim_next/")
    assert response.status_code == 204 and response.get_data() == b""


def test_a_stale_new_version_answers_the_documented_409(api):
    scorer = create_scorer(api)
    response = api.post(f"score_definitions/{scorer['id']}/new_version/",
                        {"config": CONFIGS["categorical"], "base_version": 7})
    assert response.status_code == 409 and response.get_json()["current_version"] == 1


def test_documented_bounds_are_the_enforced_ones(api, client):
    """`limit=0` and `name=""` are refused, so the document says they are invalid (minimum, minLength)."""
    operation = client.get("/api/schema/").get_json()["paths"][PREFIX + "/review_queues/"]
    limit = next(p for p in operation["get"]["parameters"] if p["name"] == "limit")["schema"]
    name = operation["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["name"]
    assert limit["minimum"] == 1 and name["minLength"] == 1
    assert api.get("review_queues/?limit=0").status_code == 400
    assert api.post("review_queues/", {"name": ""}).status_code == 400


def test_an_answer_the_document_does_not_describe_fails_the_check(app):
    url = "/api/environments/1/llm_analytics/trace_reviews/"
    wrong = app.response_class('{"id": "not-a-uuid"}', status=201, mimetype="application/json")
    with pytest.raises(AssertionError, match="not as documented"):
        assert_documented("POST", url, wrong)
    with pytest.raises(AssertionError, match="does not document"):
        assert_documented("POST", url, app.response_class("{}", status=418, mimetype="application/json"))
    with pytest.raises(AssertionError, match="Allow"):
        assert_documented("PUT", url, app.response_class("{}", status=405, mimetype="application/json"))
