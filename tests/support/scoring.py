"""Helpers for tests of scorers and reviews: create them through the JSON API, as a client would."""
from __future__ import annotations

from typing import Any

from tests.support.api import ApiClient

CONFIGS: dict[str, dict[str, Any]] = {
    "categorical": {"options": [{"key": "good", "label": "Good"}, {"key": "ok", "label": "OK"},
                                {"key": "bad", "label": "Bad"}]},
    "numeric": {"min": 0, "max": 10, "step": 0.5},
    "boolean": {"true_label": "Yes", "false_label": "No"},
}


def create_scorer(api, name: str = "Quality", kind: str = "categorical", config: dict | None = None,
                  **fields: Any) -> dict[str, Any]:
    body = {"name": name, "kind": kind, "config": CONFIGS[kind] if config is None else config, **fields}
    response = api.post("score_definitions/", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_review(api, trace_id: str, scores: list[dict] | None = None, **fields: Any) -> dict[str, Any]:
    body = {"trace_id": trace_id, **fields}
    if scores is not None:
        body["scores"] = scores
    response = api.post("trace_reviews/", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def client_with_role(app, api, factory, role: str, scopes: str = "*"):
    """A client for a new member of the api fixture's project with `role`."""
    user = factory.member(api.project, role)
    return ApiClient(app.test_client(), api.project_id, factory.api_key(user, scopes), user=user,
                     project=api.project)


def other_project_client(app, factory):
    """An admin client of a fresh, separate project."""
    project = factory.project()
    user = factory.user(project=project, role="admin")
    return ApiClient(app.test_client(), project.id, factory.api_key(user), user=user, project=project)
