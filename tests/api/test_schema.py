"""The OpenAPI document matches the routes the app really serves and the answers it really gives."""
import re

import pytest
from openapi_spec_validator import validate
from werkzeug.datastructures import ImmutableMultiDict

from reviewapp.api.core import PREFIXES
from reviewapp.api.schema import PREFIX
from reviewapp.services.ingest.posthog import ingest_batch
from tests.support.api import assert_documented
from tests.support.judge_data import judge_event
from tests.support.scoring import CONFIGS, create_scorer
from tests.traces.helpers import chat_trace


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
        templated = (templated.replace("{judgment_id}", "{id}").replace("{rule_id}", "{id}")
                     .replace("{evaluation_id}", "{id}"))
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


# --- the operations, parameters and answers a client relies on (/work/shared/spec/api.md) -------------------

def page(name: str) -> str:
    return f"page of {name}"


# (path, method): (success status, its body: a component, a page of one, or None; the request body's fields, with
# the required ones first as a set). From PostHog's API and this app's documented extensions.
CONTRACT = {
    ("/review_queues/", "get"): (200, page("ReviewQueue"), None),
    ("/review_queues/", "post"): (201, "ReviewQueue", ({"name"}, {"description"})),
    ("/review_queues/{id}/", "get"): (200, "ReviewQueue", None),
    ("/review_queues/{id}/", "patch"): (200, "ReviewQueue", (set(), {"name", "description"})),
    ("/review_queues/{id}/", "delete"): (204, None, None),
    ("/review_queues/{id}/claim_next/", "post"): (200, "ReviewQueueItem", None),
    ("/review_queue_items/", "get"): (200, page("ReviewQueueItem"), None),
    ("/review_queue_items/", "post"): (201, "ReviewQueueItem", ({"queue_id", "trace_id"}, set())),
    ("/review_queue_items/bulk/", "post"): (200, "BulkAddResult", ({"queue_id", "trace_ids"}, set())),
    ("/review_queue_items/{id}/", "get"): (200, "ReviewQueueItem", None),
    ("/review_queue_items/{id}/", "patch"): (200, "ReviewQueueItem", ({"queue_id"}, set())),
    ("/review_queue_items/{id}/", "delete"): (204, None, None),
    ("/review_queue_items/{id}/adjudicate/", "post"): (200, "TraceReview", ({"scores"}, {"comment"})),
    ("/score_definitions/", "get"): (200, page("ScoreDefinition"), None),
    ("/score_definitions/", "post"): (201, "ScoreDefinition", ({"name", "kind", "config"},
                                                               {"description", "archived"})),
    ("/score_definitions/{id}/", "get"): (200, "ScoreDefinition", None),
    ("/score_definitions/{id}/", "patch"): (200, "ScoreDefinition", (set(), {"name", "description", "archived"})),
    ("/score_definitions/{id}/new_version/", "post"): (200, "ScoreDefinition", ({"config"}, {"base_version", "name",
                                                                                           "description"})),
    ("/score_definitions/{id}/versions/", "get"): (200, page("ScoreDefinitionVersion"), None),
    ("/score_definitions/{id}/versions/{version_id}/", "get"): (200, "ScoreDefinitionVersion", None),
    ("/trace_reviews/", "get"): (200, page("TraceReview"), None),
    ("/trace_reviews/", "post"): (201, "TraceReview", ({"trace_id"}, {"comment", "scores", "queue_id"})),
    ("/trace_reviews/export/", "get"): (200, None, None),
    ("/trace_reviews/{id}/", "get"): (200, "TraceReview", None),
    ("/trace_reviews/{id}/", "patch"): (200, "TraceReview", (set(), {"comment", "scores", "queue_id"})),
    ("/trace_reviews/{id}/", "delete"): (204, None, None),
    ("/trace_reviews/{id}/history/", "get"): (200, page("ReviewChange"), None),
    ("/traces/", "get"): (200, page("Trace"), None),
    ("/traces/{trace_id}/", "get"): (200, "TraceDetail", None),
    ("/traces/{trace_id}/review_history/", "get"): (200, page("ReviewChange"), None),
    ("/judgments/", "get"): (200, page("Judgment"), None),
    ("/judgments/", "post"): (201, "Judgment", ({"queue_id", "trace_id"}, {"comment", "scores",
                                                                           "time_spent_seconds"})),
    ("/judgments/{id}/", "get"): (200, "Judgment", None),
    ("/judgments/{id}/", "patch"): (200, "Judgment", (set(), {"comment", "scores"})),
    ("/agreement/", "get"): (200, "Agreement", None),
    ("/queue_rules/", "get"): (200, page("QueueRule"), None),
    ("/queue_rules/", "post"): (201, "QueueRule", ({"queue_id", "name"}, {"conditions", "sample_percent",
                                                                          "daily_cap", "paused"})),
    ("/queue_rules/{id}/", "get"): (200, "QueueRule", None),
    ("/queue_rules/{id}/", "patch"): (200, "QueueRule", (set(), {"name", "conditions", "sample_percent",
                                                               "daily_cap", "paused", "queue_id"})),
    ("/queue_rules/{id}/", "delete"): (204, None, None),
    ("/queue_rules/{id}/preview/", "get"): (200, "QueueRulePreview", None),
    ("/queue_rules/{id}/backfill/", "post"): (200, "QueueRuleBackfill", None),
    ("/queue_rules/{id}/additions/", "get"): (200, page("QueueRuleAddition"), None),
    ("/evaluations/", "get"): (200, page("Evaluation"), None),
    ("/evaluations/{id}/", "get"): (200, "Evaluation", None),
    ("/evaluations/{id}/", "patch"): (200, "Evaluation", (set(), {"true_is_failure", "passing_rule",
                                                                   "score_definition_id"})),
    ("/traces/{trace_id}/evaluations/", "get"): (200, "TraceEvaluations", None),
    ("/judge_agreement/", "get"): (200, "JudgeAgreements", None),
}

PAGE = {"limit", "offset"}
LIST = PAGE | {"order_by", "search"}
REVIEW_FILTERS = {"trace_id", "trace_id__in", "definition_id", "definition_id__in", "search"}
# The query parameters of each operation that has any: pagination, and the filters the spec names.
QUERY = {
    ("/review_queues/", "get"): LIST | {"name"},
    ("/review_queue_items/", "get"): LIST | {"queue_id", "trace_id", "trace_id__in"},
    ("/score_definitions/", "get"): LIST | {"archived", "kind"},
    ("/score_definitions/{id}/versions/", "get"): {"limit", "cursor"},
    ("/trace_reviews/", "get"): LIST | REVIEW_FILTERS,
    ("/trace_reviews/export/", "get"): REVIEW_FILTERS | {"format", "form"},
    ("/traces/", "get"): LIST | {"model", "date_from", "date_to", "errors_only", "evaluation_failed",
                                 "review_state"},
    ("/trace_reviews/{id}/history/", "get"): PAGE | {"order_by"},
    ("/traces/{trace_id}/review_history/", "get"): PAGE | {"order_by"},
    ("/evaluations/", "get"): PAGE | {"order_by"},
    ("/judge_agreement/", "get"): {"evaluation_id"},
    ("/judgments/", "get"): PAGE | {"order_by", "queue_id", "trace_id", "reviewer_id", "definition_id"},
    ("/agreement/", "get"): {"queue_id", "definition_id", "version", "ordinal"},
    ("/queue_rules/", "get"): PAGE | {"queue_id"},
    ("/queue_rules/{id}/additions/", "get"): PAGE,
}


def documented(client) -> dict:
    return client.get("/api/schema/").get_json()


def operation_of(document, path: str, method: str) -> dict:
    return document["paths"][PREFIX + path][method]


def described(schema: dict | None) -> str | None:
    """A response schema as CONTRACT names it."""
    if schema is None:
        return None
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    return page(schema["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[1])


def test_the_contract_covers_every_documented_operation(client):
    assert set(CONTRACT) == documented_operations(documented(client))


@pytest.mark.parametrize("path, method", list(CONTRACT), ids=[f"{m.upper()} {p}" for p, m in CONTRACT])
def test_each_operation_documents_its_success_answer_and_body(client, path, method):
    status, answer, body = CONTRACT[(path, method)]
    operation = operation_of(documented(client), path, method)
    success = sorted(code for code in operation["responses"] if code.startswith("2"))
    assert success[0] == str(status)
    content = operation["responses"][str(status)].get("content", {})
    assert described(content.get("application/json", {}).get("schema")) == answer
    if body is None:
        assert "requestBody" not in operation
        return
    required, optional = body
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema.get("required", [])) == required
    assert required | optional <= set(schema["properties"])
    assert operation["requestBody"]["required"] is True


def test_the_export_documents_both_formats(client):
    operation = operation_of(documented(client), "/trace_reviews/export/", "get")
    assert set(operation["responses"]["200"]["content"]) == {"text/csv", "application/x-ndjson"}
    fmt = next(p for p in operation["parameters"] if p["name"] == "format")["schema"]
    assert (fmt["enum"], fmt["default"]) == (["csv", "jsonl"], "csv")


def test_every_operation_documents_its_path_parameters_and_scope(client):
    for path, methods in documented(client)["paths"].items():
        for method, operation in methods.items():
            in_path = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert in_path == set(re.findall(r"{(\w+)}", path)), (path, method)
            assert all(p["required"] for p in operation["parameters"] if p["in"] == "path")
            scope = "read" if method == "get" else "write"
            assert operation["security"] == [{"PersonalApiKey": [f"llm_analytics:{scope}"]}], (path, method)


def test_each_list_documents_the_spec_filters(client):
    document = documented(client)
    for path, method in CONTRACT:
        names = {p["name"] for p in operation_of(document, path, method)["parameters"] if p["in"] == "query"}
        assert names == QUERY.get((path, method), set()), (path, method)


def judged(api, trace_id: str) -> dict:
    """A judgment of `trace_id`, in a new queue with two reviewers per trace."""
    import uuid

    from reviewapp.extensions import db
    from reviewapp.models import ReviewQueue

    pairs = api.post("review_queues/", {"name": "Pairs"}).get_json()
    db.session.get(ReviewQueue, uuid.UUID(pairs["id"])).reviews_per_trace = 2
    db.session.commit()
    api.post("review_queue_items/", {"queue_id": pairs["id"], "trace_id": trace_id})
    return api.post("judgments/", {"queue_id": pairs["id"], "trace_id": trace_id, "comment": "ok"}).get_json()


def test_the_document_lists_exactly_the_query_parameters_each_operation_reads(app, api, monkeypatch):
    """A filter the API reads but the document leaves out (or the reverse) is a client's surprise: record which
    query parameters each GET really looks at."""
    read: set[str] = set()

    class Recorded(ImmutableMultiDict):
        def __getitem__(self, key):
            read.add(key)
            return super().__getitem__(key)

        def get(self, key, default=None, type=None):
            read.add(key)
            return super().get(key, default, type)

        def getlist(self, key, type=None):
            read.add(key)
            return super().getlist(key, type)

        def __contains__(self, key):
            read.add(key)
            return super().__contains__(key)

    plain = app.request_class.args
    monkeypatch.setattr(app.request_class, "args", property(lambda request: Recorded(plain.__get__(request))))
    chat_trace(api.project_id, "t-1")
    chat_trace(api.project_id, "t-2")
    scorer = create_scorer(api)
    queue = api.post("review_queues/", {"name": "Inbox"}).get_json()
    item = api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "t-1"}).get_json()
    review = api.post("trace_reviews/", {"trace_id": "t-2", "comment": "fine"}).get_json()
    judgment = judged(api, "t-3")
    rule = api.post("queue_rules/", {"queue_id": queue["id"], "name": "Everything"}).get_json()
    ingest_batch(api.project_id, [judge_event("t-1", 0, True)])
    evaluation = api.get("evaluations/").get_json()["results"][0]
    ids = {"id": None, "version_id": scorer["current_version_id"], "trace_id": "t-1"}
    by_resource = {"review_queues": queue["id"], "review_queue_items": item["id"],
                   "score_definitions": scorer["id"], "trace_reviews": review["id"], "judgments": judgment["id"],
                   "queue_rules": rule["id"], "evaluations": evaluation["id"]}
    document = documented(api.client)
    for path, method in CONTRACT:
        if method != "get":
            continue
        ids["id"] = by_resource.get(path.split("/")[1])
        read.clear()
        required = f"?queue_id={queue['id']}" if path == "/agreement/" else ""  # its one required parameter
        response = api.get(path.lstrip("/").format(**ids) + required)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:200])
        names = {p["name"] for p in operation_of(document, path, method)["parameters"] if p["in"] == "query"}
        assert read == names, (path, sorted(read ^ names))


# --- scorer configs: each kind's keys, stored as sent (spec §1) ------------------------------------------

OPTIONS = [{"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}]


def config_errors(config) -> list[str]:
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    from reviewapp.api.schema import SCHEMAS

    def inline(schema):
        if isinstance(schema, dict):
            if "$ref" in schema:
                return inline(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in schema.items()}
        if isinstance(schema, list):
            return [inline(item) for item in schema]
        return schema

    validator = OAS30Validator(inline(SCHEMAS["ScoreDefinitionConfig"]), format_checker=oas30_format_checker)
    return [error.message for error in validator.iter_errors(config)]


@pytest.mark.parametrize("config", [
    {"options": OPTIONS},
    {"options": OPTIONS, "passing_rule": {"categories": ["good"]}},
    {"options": OPTIONS, "selection_mode": "multiple", "min_selections": None, "max_selections": 2,
     "passing_rule": {"categories": []}},
    {"options": OPTIONS, "passing_rule": None},
    {"options": OPTIONS, "selection_mode": "single", "min_selections": None, "max_selections": None},
    {},
    {"min": 1.0, "max": 5.0, "step": 1.0, "passing_rule": {"operator": "gte", "threshold": 3.0}},
    {"min": None, "max": None, "step": None, "passing_rule": {"operator": "lte", "threshold": -2.5}},
    {"passing_rule": None},
    {"true_label": "Yes", "false_label": "No", "true_is_failure": False},
    {"true_is_failure": True},
    {"true_label": None, "false_label": None, "true_is_failure": None},
])
def test_every_stored_config_shape_is_documented(config):
    assert config_errors(config) == []


@pytest.mark.parametrize("config", [
    {"options": OPTIONS, "passing_rule": {"categories": ["good"], "extra": 1}},
    {"min": 1.0, "passing_rule": {"operator": "gt", "threshold": 3.0}},
    {"min": 1.0, "passing_rule": {"operator": "gte"}},
    {"options": OPTIONS, "min": 1.0},
    {"true_is_failure": "sometimes"},
    {"options": []},
    [],
])
def test_configs_no_kind_takes_are_not_documented(config):
    assert config_errors(config) != []
