"""Schemathesis against /api/schema/: every documented operation, fed generated input, answers no 5xx and only
what the document says (status code, content type, body schema, headers). SQLite only, to keep `make test` short."""
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reviewapp.api.schema import PREFIX, build_schema
from tests.conftest import IS_POSTGRES
from tests.support.api import ApiClient
from tests.support.scoring import CONFIGS, create_review, create_scorer
from tests.traces.helpers import chat_trace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(IS_POSTGRES, reason="the fuzz run is bounded to SQLite; PostgreSQL runs the API tests"),
]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@dataclass
class Seeded:
    """A project with one of each kind of thing, and its admin's key: generated ids and bodies are swapped for
    these real ones half the time, so the run reaches past "not found" into the services."""

    project_id: int
    secret: str
    ids: dict[str, list[str]]

    def path_ids(self, path: str) -> list[str]:
        resource = path[len(PREFIX):].split("/")[1]
        return self.ids.get(resource, [])


@pytest.fixture
def seeded(app, factory):
    project = factory.project()
    user = factory.user(project=project, role="admin")
    api = ApiClient(app.test_client(), project.id, factory.api_key(user, scopes="*"), user=user, project=project)
    chat_trace(project.id, "trace-1")
    chat_trace(project.id, "trace-2")
    scorer_ids = [create_scorer(api, f"S {kind}", kind)["id"] for kind in CONFIGS]
    queue = api.post("review_queues/", {"name": "Inbox", "scorer_ids": scorer_ids}).get_json()
    item = api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "trace-2"}).get_json()
    review = create_review(api, "trace-1", [{"definition_id": scorer_ids[0], "categorical_values": ["good"]}])
    version = api.get(f"score_definitions/{scorer_ids[0]}/versions/").get_json()["results"][0]
    return Seeded(project.id, api.key, {
        "review_queues": [queue["id"]], "review_queue_items": [item["id"]], "score_definitions": scorer_ids,
        "trace_reviews": [review["id"]], "traces": ["trace-1", "trace-2"], "versions": [version["id"]],
        "queue_id": [queue["id"]], "definition_id": scorer_ids, "trace_id": ["trace-1", "trace-2"]})


def with_real_ids(case, seeded: Seeded, path: str, draw) -> None:
    params = {**(case.path_parameters or {}), "project_id": seeded.project_id}
    for name in ("id", "trace_id"):
        if name in params and seeded.path_ids(path) and draw(st.booleans()):
            params[name] = draw(st.sampled_from(seeded.path_ids(path)))
    if "version_id" in params and draw(st.booleans()):
        params["version_id"] = seeded.ids["versions"][0]
    case.path_parameters = params
    # Always the real key: a negative case may drop or spoil it, and a 401 reaches nothing.
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {seeded.secret}"}
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return
    for name in ("queue_id", "trace_id", "definition_id"):
        if name in body and draw(st.booleans()):
            body[name] = draw(st.sampled_from(seeded.ids[name]))
    for score in body["scores"] if isinstance(body.get("scores"), list) else []:
        if isinstance(score, dict) and draw(st.booleans()):
            score["definition_id"] = draw(st.sampled_from(seeded.ids["definition_id"]))


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/schema/", app)


# Parametrized by hand (schemathesis' own pytest plugin reads a node attribute pytest 9 no longer has).
OPERATIONS = sorted((path, method.upper()) for path, methods in build_schema()["paths"].items() for method in methods)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p[len(PREFIX):]}" for p, m in OPERATIONS])
def test_the_api_answers_as_documented(api_schema, seeded, path, method):
    operation = api_schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases, data=st.data())
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def answers_as_documented(case, data):
        with_real_ids(case, seeded, path, data.draw)
        case.call_and_validate(checks=CHECKS)

    answers_as_documented()
